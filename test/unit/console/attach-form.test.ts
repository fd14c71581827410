// The attach dialog against the real API: the body it builds from what a person typed is what the
// API takes, and every field error the API answers lands under a field of the dialog (a name the
// dialog does not know would leave the person with an error they cannot place).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachBody,
  emptyForm,
  errorsByField,
  type AttachForm,
} from '../../../src/console/pages/allocations/attachForm.js';
import { fieldErrors, toProblem } from '../../../src/console/lib/problem.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { openApiFixture, type ApiFixture } from '../../support/api-fixture.js';

let f: ApiFixture;
let operator: string;

beforeAll(async () => {
  f = await openApiFixture({ db: 'memory' });
  await f.ledger.putPool(f.root, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await f.ledger.putTenant(
    f.root,
    'team-a',
    tenantSpec.parse({ pools: ['fast'], vlans: '100-199' }),
  );
  operator = (await f.token('ops', 'operator')).secret;
});
afterAll(() => f.close());

const form = (over: Partial<AttachForm>): AttachForm => ({
  ...emptyForm('team-a', 'fast'),
  ...over,
});

async function send(path: string, fm: AttachForm) {
  const r = await f.req('POST', `/api/v1${path}`, { token: operator, json: attachBody(fm) });
  return {
    status: r.status,
    body: r.body,
    problem: r.status >= 400 ? toProblem(r.status, r.body, r.text) : null,
  };
}

describe('the attach dialog and the API', () => {
  it('attaches from a filled-in form', async () => {
    const r = await send(
      '/attachments',
      form({ consumerName: 'vm-1', vlan: '150', count: '2', maxTxRate: '5000', numaNode: '0' }),
    );
    expect(r.status).toBe(201);
    const body = r.body as {
      attachments: { vlan: number; maxTxRate: number; consumer: { name: string } }[];
    };
    expect(body.attachments).toHaveLength(2);
    expect(body.attachments[0]).toMatchObject({
      vlan: 150,
      maxTxRate: 5000,
      consumer: { name: 'vm-1' },
    });
  });

  it('shows each validation error under its own field', async () => {
    const r = await send(
      '/attachments',
      form({
        consumerName: 'bad name!',
        vlan: '5000',
        qos: 'high',
        mac: '01:00:00:00:00:01',
        interfaces: 'net0, 9bad',
        count: '1',
        numaNode: 'x',
      }),
    );
    expect(r.status).toBe(400);
    const { byField, rest } = errorsByField(fieldErrors(r.problem!));
    expect(rest).toEqual([]);
    expect(Object.keys(byField).sort()).toEqual(
      ['consumer.name', 'interfaces', 'mac', 'numa.node', 'qos', 'vlan'].sort(),
    );
    expect(byField.vlan).toMatch(/4094/);
  });

  it('places a cross-field rule under the field it names', async () => {
    const r = await send(
      '/attachments',
      form({ consumerName: 'vm-2', minTxRate: '2000', maxTxRate: '1000' }),
    );
    expect(r.status).toBe(400);
    const { byField, rest } = errorsByField(fieldErrors(r.problem!));
    expect(rest).toEqual([]);
    expect(byField.minTxRate).toMatch(/maxTxRate/);
  });

  it('shows a refusal by a rule (a VLAN the tenant may not use) under the VLAN field', async () => {
    const r = await send('/attachments', form({ consumerName: 'vm-3', vlan: '300' }));
    expect(r.status).toBe(422);
    const { byField } = errorsByField(fieldErrors(r.problem!));
    expect(byField.vlan).toBeDefined();
  });

  it('previews a placement with the same body, and says why it would refuse', async () => {
    const ok = await send('/placements', form({ consumerName: 'vm-4', vlan: '100' }));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, choices: [{ pfNetdev: 'ens1f0' }] });
    const refused = await send('/placements', form({ consumerName: 'vm-4', vlan: '300' }));
    expect(refused.body).toMatchObject({ ok: false, code: 'vlan-not-allowed' });
  });

  it('names an unknown pool under the pool field', async () => {
    const r = await send('/placements', form({ consumerName: 'vm-5', pool: 'nope' }));
    expect(r.status).toBe(404);
    expect(errorsByField(fieldErrors(r.problem!)).byField.pool).toMatch(/nope/);
  });
});

describe('errorsByField', () => {
  it('files nested and parent names under the dialog field, the rest apart', () => {
    expect(
      errorsByField({
        'interfaces.1': 'bad',
        numa: 'bad numa',
        consumer: 'missing',
        body: 'unknown key x',
      }),
    ).toEqual({
      byField: { interfaces: 'bad', 'numa.node': 'bad numa', 'consumer.name': 'missing' },
      rest: [{ field: 'body', message: 'unknown key x' }],
    });
  });
  it('sends the VLAN protocol only when one is chosen, and shows its error under it', () => {
    expect(attachBody({ ...emptyForm('t', 'p'), vlan: '100', vlanProto: '802.1ad' })).toMatchObject(
      { vlan: 100, vlanProto: '802.1ad' },
    );
    expect(attachBody({ ...emptyForm('t', 'p'), vlan: '100' })).not.toHaveProperty('vlanProto');
    expect(errorsByField({ vlanProto: 'needs a VLAN' }).byField).toEqual({
      vlanProto: 'needs a VLAN',
    });
  });
  it('leaves empty optional fields out of the body', () => {
    expect(attachBody(emptyForm('t', 'p'))).toEqual({
      tenant: 't',
      pool: 'p',
      consumer: { kind: 'vm', name: '' },
      linkState: 'auto',
      strategy: 'spread',
    });
  });
});
