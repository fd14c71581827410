// A consumer belongs to one tenant, over real HTTP: with bravo's vm payroll-db holding a VF, alpha's
// operator can neither attach to it (with or without interface names) nor probe it or bravo's MAC;
// every answer alpha gets is free of bravo's attachment id, PF, VF index, MAC and interface names,
// and is the same answer as for any other cause; the admin is told who holds what, and sees the
// probes in the audit log, which neither tenant does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment, AuditEntry } from '../../../src/ledger/types.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import {
  ledgerState,
  openApiFixture,
  type ApiFixture,
  type HttpAnswer,
  type ProblemBody,
} from '../../support/api-fixture.js';
import { onNetwork, type NetworkAttachment } from '../../support/network-attachment.js';

const V1 = '/api/v1';
let f: ApiFixture;
const tok = {} as Record<'admin' | 'alpha' | 'bravo', string>;
/** bravo's vm payroll-db on net0, attached by bravo's operator over HTTP. */
let held: NetworkAttachment;
/** bravo's vm ledger-db, with three interfaces. */
let wide: Attachment[];

function post(who: keyof typeof tok, path: string, json: unknown): Promise<HttpAnswer> {
  return f.req('POST', `${V1}${path}`, { token: tok[who], json });
}

const alphaAsks = (over: Record<string, unknown>) => ({
  tenant: 'alpha',
  pool: 'fast',
  consumer: { kind: 'vm', name: 'alpha-web' },
  vlan: 100,
  ...over,
});

/** What an answer says, without the part that echoes the request (its URL). */
function said(r: HttpAnswer): Omit<ProblemBody, 'instance'> {
  const { instance: _instance, ...rest } = r.body as ProblemBody;
  return rest;
}

/** The answer names nothing of bravo's (but `sent`, what alpha sent itself). */
function revealsNothing(r: HttpAnswer, sent: string[] = []): void {
  let text = r.text;
  for (const s of sent) text = text.replaceAll(s, '<sent>');
  for (const a of [held, ...wide])
    for (const secret of ['bravo', a.id, a.pf, a.pfNetdev, a.mac, a.vfPciAddress!, a.interface])
      expect(text).not.toContain(secret);
  // Nor how many VFs or attachments it holds, in any words (the URL echoed aside).
  expect(JSON.stringify(said(r))).not.toMatch(/\bVFs?\b|attachment|\d+ of/);
}

beforeAll(async () => {
  f = await openApiFixture();
  await f.ledger.putPool(f.root, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  for (const [name, vlans] of [
    ['alpha', '100'],
    ['bravo', '200'],
  ] as const)
    await f.ledger.putTenant(f.root, name, tenantSpec.parse({ pools: ['fast'], vlans }));
  tok.admin = (await f.token('admin', 'admin')).secret;
  tok.alpha = (await f.token('alpha-operator', 'operator', 'alpha')).secret;
  tok.bravo = (await f.token('bravo-operator', 'operator', 'bravo')).secret;
  const bravoAsks = (name: string, extra: Record<string, unknown>) =>
    post('bravo', '/attachments', {
      tenant: 'bravo',
      pool: 'fast',
      consumer: { kind: 'vm', name },
      ...extra,
    });
  const r = await bravoAsks('payroll-db', { interfaces: ['net0'] });
  expect(r.status).toBe(201);
  held = onNetwork((r.body as { attachments: Attachment[] }).attachments[0]!);
  const w = await bravoAsks('ledger-db', { count: 3 });
  expect(w.status).toBe(201);
  wide = (w.body as { attachments: Attachment[] }).attachments;
});

afterAll(async () => {
  await f.close();
});

describe("another tenant's consumer", () => {
  it('POST /attachments naming it with interfaces: 409 that names nothing of bravo', async () => {
    const before = await ledgerState(f.store);
    const r = await post(
      'alpha',
      '/attachments',
      alphaAsks({ consumer: { kind: 'vm', name: 'payroll-db' }, interfaces: ['net0'] }),
    );
    expect(r.status).toBe(409);
    expect(said(r)).toEqual({
      type: 'https://sriovctl.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'vm payroll-db is not available to tenant alpha',
      field: 'consumer.name',
      fix: 'name a consumer of your own: consumer names are shared by every tenant on a host (a prefix of your tenant avoids clashes)',
      code: 'consumer-unavailable',
    });
    revealsNothing(r);
    // The refusal's audit entry is the only change.
    const after = (await ledgerState(f.store)) as { auditHead: AuditEntry };
    expect({ ...after, auditHead: null }).toEqual({ ...(before as object), auditHead: null });
  });

  it('without interfaces it is the same 409, not net1 into bravo’s VM', async () => {
    const r = await post(
      'alpha',
      '/attachments',
      alphaAsks({ consumer: { kind: 'vm', name: 'payroll-db' } }),
    );
    expect(r.status).toBe(409);
    expect(said(r).detail).toBe('vm payroll-db is not available to tenant alpha');
    revealsNothing(r);
    const bravos = await f.req('GET', `${V1}/attachments?consumer=payroll-db`, {
      token: tok.bravo,
    });
    expect((bravos.body as { items: Attachment[] }).items).toEqual([held]);
    const alphas = await f.req('GET', `${V1}/attachments`, { token: tok.alpha });
    expect((alphas.body as { items: Attachment[] }).items).toEqual([]);
  });

  it('the answer is the same whatever the consumer holds (1 or 3 interfaces), and for a dry run', async () => {
    const one = await post(
      'alpha',
      '/attachments',
      alphaAsks({ consumer: { kind: 'vm', name: 'payroll-db' } }),
    );
    const three = await post(
      'alpha',
      '/attachments',
      alphaAsks({ consumer: { kind: 'vm', name: 'ledger-db' } }),
    );
    expect(JSON.stringify(said(three)).replaceAll('ledger-db', 'X')).toBe(
      JSON.stringify(said(one)).replaceAll('payroll-db', 'X'),
    );
    revealsNothing(three);
    const dry = await post(
      'alpha',
      '/placements',
      alphaAsks({ consumer: { kind: 'vm', name: 'ledger-db' } }),
    );
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({
      ok: false,
      reason: 'vm ledger-db is not available to tenant alpha',
      code: 'consumer-unavailable',
      choices: [],
      placement: null,
    });
    revealsNothing(dry);
  });
});

describe("another tenant's MAC", () => {
  it("is refused exactly like the host's own PF MAC: the answer cannot tell them apart", async () => {
    const pfMac = (await f.allocation.inventory.get()).pfs.find((p) => p.netdev === 'ens1f0')!.mac!;
    const theirs = await post('alpha', '/attachments', alphaAsks({ mac: held.mac }));
    const hosts = await post('alpha', '/attachments', alphaAsks({ mac: pfMac }));
    expect(theirs.status).toBe(409);
    expect(said(theirs)).toMatchObject({
      detail: `MAC ${held.mac} is not available on this host`,
      field: 'mac',
      code: 'mac-unavailable',
    });
    expect(JSON.stringify(said(theirs)).replaceAll(held.mac, 'M')).toBe(
      JSON.stringify(said(hosts)).replaceAll(pfMac, 'M'),
    );
    revealsNothing(theirs, [held.mac]);
    const dry = await post('alpha', '/placements', alphaAsks({ mac: held.mac }));
    expect(dry.body).toMatchObject({ ok: false, code: 'mac-unavailable' });
    revealsNothing(dry, [held.mac]);
    expect((await f.store.listAttachments({ tenant: 'alpha' })).length).toBe(0);
  });
});

describe('the admin', () => {
  it('is told who holds the consumer and the MAC', async () => {
    const c = await post(
      'admin',
      '/attachments',
      alphaAsks({ consumer: { kind: 'vm', name: 'payroll-db' } }),
    );
    expect(c.status).toBe(409);
    expect(said(c).detail).toBe(
      `vm payroll-db holds 1 VF of tenant bravo (net0: attachment ${held.id}); a consumer belongs to one tenant while it holds VFs`,
    );
    const m = await post('admin', '/attachments', alphaAsks({ mac: held.mac }));
    expect(said(m).detail).toBe(
      `MAC ${held.mac} is used by attachment ${held.id} of tenant bravo (vm payroll-db net0)`,
    );
  });

  it("sees alpha's probes in the audit log; neither tenant does", async () => {
    // The entries are written after the refusal is answered; the next unit comes after them.
    await f.store.mutate(async () => undefined);
    const audit = async (token: string) =>
      (
        (await f.req('GET', `${V1}/audit?action=attachment.refused&limit=100`, { token })).body as {
          items: AuditEntry[];
        }
      ).items;
    const all = await audit(tok.admin);
    const byAlpha = all.filter((e) => e.actor === 'alpha-operator');
    expect(byAlpha.map((e) => e.target).sort()).toEqual(
      [
        ...Array(3).fill('consumer/compute-17/vm/payroll-db'),
        ...Array(2).fill('consumer/compute-17/vm/ledger-db'),
        ...Array(2).fill(`mac/${held.mac}`),
      ].sort(),
    );
    expect(byAlpha.every((e) => e.tenant === null)).toBe(true);
    expect(await audit(tok.alpha)).toEqual([]);
    expect(await audit(tok.bravo)).toEqual([]);
  });
});
