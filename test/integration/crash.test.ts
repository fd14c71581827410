// kill -9 the daemon in the middle of a burst of attaches and detaches, start it again on the same
// ledger database and simulated kernel, and check what the ledger promises: nothing answered is
// lost, no VF is owned twice, the kernel matches the ledger (owned VFs configured, the others
// scrubbed), nothing is left half done, a retried request gets its own attachment back, and the
// audit log says what reconcile did. The kill is aimed at a moment when a row is half done, but
// where exactly it lands varies from run to run, so every assertion holds for any kill point; the
// tests at the end place the crash exactly, so reconcile's paths are covered on every run.
import { openLedger } from '../support/allocation.js';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { loadSimHost, openPersistentSimHost } from '../../src/host/sim/index.js';
import { discover } from '../../src/inventory/discover.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import type { ReconcileReport, RequestContext } from '../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../../src/contract/index.js';
import type { AttachRequestInput, Attachment, AuditEntry } from '../../src/ledger/types.js';
import {
  answered,
  apiClient,
  expectStatus,
  type Answer,
  type ApiClient,
} from '../support/crash-api.js';
import { CrashDaemon, type DaemonFiles } from '../support/crash-daemon.js';
import { freezingHost } from '../support/crash-host.js';
import { LedgerPeek } from '../support/crash-ledger-peek.js';

const FIXTURE = 'e810-8x256';
// VFs 0-31 of four PFs: the kernel's netlink VF list of a 256-VF PF stops after VF 33, so every VF
// of this pool can be read back and compared with the ledger.
const POOL_PFS = ['ens1f0', 'ens2f0', 'ens3f0', 'ens4f0'];
const POOL_VFS = 32;
const POOL = 'crash';
const TENANT = 'team-a';
const BURST = 24;
/**
 * Per kill/restart cycle: which answers to wait for before the kill. The kill then waits for a row
 * half done (reserved, kernel work unfinished) so reconcile has something to finish, or comes
 * KILL_LATEST answers later at the latest.
 */
const KILLS: { kind: 'attach' | 'detach'; after: number }[] = [
  { kind: 'detach', after: 1 },
  { kind: 'attach', after: 2 },
  { kind: 'attach', after: 9 },
];
const KILL_LATEST = 6;
const ZERO_MAC = '00:00:00:00:00:00';

interface AttachPlan {
  body: AttachRequestInput & { count: number };
  key: string | null;
}

interface DetachPlan {
  id: string;
  key: string | null;
}

type Attached = { attachments: Attachment[] };

/** Attach i of cycle c: every other one with an Idempotency-Key, every fifth for two VFs. */
function plan(c: number, i: number): AttachPlan {
  return {
    body: {
      tenant: TENANT,
      pool: POOL,
      consumer: { kind: 'vm', name: `vm-c${c}-${i}` },
      count: i % 5 === 0 ? 2 : 1,
      vlan: 100 + ((c * BURST + i) % 200),
    },
    key: i % 2 === 0 ? `attach-c${c}-i${i}` : null,
  };
}

const keyHeader = (key: string | null) => (key ? { headers: { 'idempotency-key': key } } : {});
const attach = (api: ApiClient, p: AttachPlan) =>
  api('POST', '/attachments', { body: p.body, ...keyHeader(p.key) });
const detach = (api: ApiClient, d: DetachPlan) =>
  api('DELETE', `/attachments/${d.id}`, keyHeader(d.key));

const ids = (as: readonly Attachment[]) => as.map((a) => a.id).sort();
const vfKey = (a: Pick<Attachment, 'pf' | 'vfIndex'>) => `${a.pf}#${a.vfIndex}`;

let dir: string;
let files: DaemonFiles;
const daemons: CrashDaemon[] = [];

async function start(): Promise<CrashDaemon> {
  const d = await CrashDaemon.start(files);
  daemons.push(d);
  return d;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sriovctl-crash-'));
  files = { fixture: FIXTURE, db: join(dir, 'ledger.db'), simState: join(dir, 'kernel.jsonl') };
});
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface KernelVf {
  mac: string;
  vlan: number;
  driver: string | null;
}

/**
 * The pool's VFs as a fresh boot of the same machine sees them: a copy of the kernel state file
 * replayed in this process (a copy, so the daemon's own file is never opened twice). Only called
 * while the daemon is idle, when the file holds every change it made.
 */
async function kernelView(): Promise<Map<string, KernelVf>> {
  const copy = join(dir, 'kernel-copy.jsonl');
  copyFileSync(files.simState, copy);
  const host = await openPersistentSimHost(FIXTURE, copy, { onWarning: () => undefined });
  try {
    const out = new Map<string, KernelVf>();
    for (const pf of (await discover(host)).pfs) {
      if (!POOL_PFS.includes(pf.netdev ?? '')) continue;
      for (const vf of pf.vfs.filter((v) => v.vfIndex < POOL_VFS)) {
        if (!vf.config) throw new Error(`VF ${vf.vfIndex} of ${pf.netdev} not readable`);
        out.set(vfKey({ pf: pf.pciAddress, vfIndex: vf.vfIndex }), {
          mac: vf.config.mac,
          vlan: vf.config.vlan,
          driver: vf.driver,
        });
      }
    }
    return out;
  } finally {
    host.close();
    rmSync(copy);
  }
}

/** What one burst left: answered requests and the ones the kill cut off. */
interface BurstOutcome {
  answers: number;
  /** Attachments answered 201. */
  created: Attachment[];
  lostAttach: AttachPlan[];
  /** Detaches answered 200. */
  detached: DetachPlan[];
  lostDetach: DetachPlan[];
}

/** Fires all attaches and detaches at once and SIGKILLs the daemon as `when` says. */
async function burst(
  daemon: CrashDaemon,
  api: ApiClient,
  attaches: AttachPlan[],
  detaches: DetachPlan[],
  when: (typeof KILLS)[number],
): Promise<BurstOutcome> {
  const answers = { attach: 0, detach: 0 };
  const total = { attach: attaches.length, detach: detaches.length };
  const latest = Math.min(when.after + KILL_LATEST, total[when.kind]);
  let killed: Promise<void> | null = null;
  const kill = () => (killed ??= daemon.crash());
  const counted = (kind: 'attach' | 'detach', p: Promise<Answer>) =>
    p.then((a) => {
      if (answered(a) && ++answers[kind] >= latest && kind === when.kind) kill();
      return a;
    });
  const peek = new LedgerPeek(files.db);
  let watching = true;
  const watch = (async () => {
    while (watching && !killed) {
      if (answers[when.kind] >= when.after && peek.halfDoneRows() > 0) kill();
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const [a, d] = await Promise.all([
    Promise.all(attaches.map((p) => counted('attach', attach(api, p)))),
    Promise.all(detaches.map((p) => counted('detach', detach(api, p)))),
  ]).finally(() => (watching = false));
  await watch;
  peek.close();
  if (!killed) throw new Error(`the burst ended before the kill (${JSON.stringify(answers)})`);
  await killed;
  const out: BurstOutcome = {
    answers: answers.attach + answers.detach,
    created: [],
    lostAttach: [],
    detached: [],
    lostDetach: [],
  };
  a.forEach((r, i) => {
    if (!answered(r)) return out.lostAttach.push(attaches[i]!);
    // Any answer other than success would be a bug: the pool has room and consumers are distinct.
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    out.created.push(...(r.body as Attached).attachments);
  });
  d.forEach((r, i) => {
    if (!answered(r)) return out.lostDetach.push(detaches[i]!);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.detached.push(detaches[i]!);
  });
  return out;
}

/** The fields that must not change while an attachment lives. */
const identity = ({ state: _s, detail: _d, updatedAt: _u, ...rest }: Attachment) => rest;

describe('sriovctl serve killed with SIGKILL during a burst of attaches and detaches', () => {
  it(
    'loses no answered attachment, owns no VF twice, and leaves the kernel as the ledger says',
    { timeout: 60_000 },
    async () => {
      let daemon = await start();
      const token = daemon.printedToken;
      expect(token).toMatch(/^sriovctl_/);
      let api = apiClient(daemon.url, token!);
      const selector = { pfNames: POOL_PFS.map((p) => `${p}#0-${POOL_VFS - 1}`) };
      await expectStatus(api('PUT', `/pools/${POOL}`, { body: { selector } }), 200, 'pool');
      const tenant = { pools: [POOL], vlans: '100-299' };
      await expectStatus(api('PUT', `/tenants/${TENANT}`, { body: tenant }), 200, 'tenant');

      /** Attachments the ledger must keep: answered 201 and not answered as detached. */
      const held = new Map<string, Attachment>();
      for (let i = 0; i < 8; i++) {
        const r = await expectStatus<Attached>(attach(api, plan(0, i)), 201, `setup ${i}`);
        for (const a of r.attachments) held.set(a.id, a);
      }
      const list = async () =>
        (await expectStatus<{ items: Attachment[] }>(api('GET', '/attachments'), 200, 'list'))
          .items;
      /** Audit entries written by sriovctl itself (reconcile, the first start's token). */
      const ownAudit = async () =>
        (
          await expectStatus<{ items: AuditEntry[] }>(api('GET', '/audit?limit=1000'), 200, 'audit')
        ).items.filter((e) => e.actor === 'sriovctl');
      const auditSeen = new Set((await ownAudit()).map((e) => e.seq));

      for (const [cycle, when] of KILLS.entries()) {
        const c = cycle + 1;
        const attaches = Array.from({ length: BURST }, (_, i) => plan(c, i));
        const detaches = [...held.keys()]
          .filter((_, i) => i % 2 === 0)
          .map((id, i) => ({ id, key: i % 2 === 0 ? `detach-c${c}-${i}` : null }));
        const b = await burst(daemon, api, attaches, detaches, when);
        for (const a of b.created) held.set(a.id, a);
        for (const d of [...b.detached, ...b.lostDetach]) held.delete(d.id);

        // Restart on the same ledger and kernel. The admin token lives in the ledger: no new one.
        daemon = await start();
        expect(daemon.printedToken).toBeNull();
        api = apiClient(daemon.url, token!);
        await expectStatus(api('GET', '/whoami'), 200, 'whoami with the first token');
        const report = daemon.event('reconcile') as unknown as ReconcileReport;
        expect(report.failed).toEqual([]);
        expect(report.orphaned).toEqual([]);
        expect(report.reapplied).toEqual([]);

        const rows = await list();
        const byId = new Map(rows.map((r) => [r.id, r]));
        // Nothing is left half done: no row attaching, detaching or failed.
        expect(rows.filter((r) => r.state !== 'attached')).toEqual([]);
        // Every attachment answered 201 is still there, on the same VF with the same settings.
        for (const [id, a] of held) {
          expect(byId.has(id), `answered attachment ${id} lost`).toBe(true);
          expect(identity(byId.get(id)!)).toEqual(identity(a));
        }
        // A detach answered 200 stays done.
        for (const d of b.detached) expect(byId.has(d.id), `detached ${d.id} is back`).toBe(false);
        // Every other row comes from a request the kill cut off, and each of those got all of its
        // VFs or none: an attach is rolled back or completed whole.
        const cutOff = new Map(b.lostAttach.map((p) => [p.body.consumer.name, p]));
        const lostDetach = new Set(b.lostDetach.map((d) => d.id));
        for (const r of rows)
          if (!held.has(r.id) && !lostDetach.has(r.id))
            expect(cutOff.has(r.consumer.name), `row ${r.id} from nowhere`).toBe(true);
        for (const p of b.lostAttach) {
          const mine = rows.filter((r) => r.consumer.name === p.body.consumer.name);
          expect([0, p.body.count]).toContain(mine.length);
          expect(mine.every((r) => r.requestKey === p.key)).toBe(true);
        }
        // No VF and no MAC is held twice.
        expect(new Set(rows.map(vfKey)).size).toBe(rows.length);
        expect(new Set(rows.map((r) => r.mac)).size).toBe(rows.length);

        // Reconcile's report agrees with the rows, and the audit log has each of its actions,
        // by sriovctl, and nothing else by sriovctl.
        for (const id of report.completed) {
          expect(byId.get(id)?.requestKey).toBeTruthy();
          expect(cutOff.has(byId.get(id)!.consumer.name)).toBe(true);
        }
        for (const id of [...report.rolledBack, ...report.scrubbed])
          expect(byId.has(id)).toBe(false);
        for (const id of report.scrubbed) expect(lostDetach.has(id)).toBe(true);
        const audit = (await ownAudit()).filter((e) => !auditSeen.has(e.seq));
        expect(audit.map((e) => `${e.action} ${e.target}`).sort()).toEqual(
          [
            ...report.completed.map((id) => `attachment.create attachment/${id}`),
            ...report.rolledBack.map((id) => `attachment.rollback attachment/${id}`),
            ...report.scrubbed.map((id) => `attachment.delete attachment/${id}`),
          ].sort(),
        );
        for (const e of audit) auditSeen.add(e.seq);

        // A retried attach gets the attachment it was cut off from, or (when the kill came before
        // anything was reserved) a new one, which the next retry gets again; never a second one.
        for (const p of b.lostAttach.filter((x) => x.key !== null)) {
          const before = rows.filter((r) => r.requestKey === p.key);
          const first = await expectStatus<Attached>(attach(api, p), 201, `retry ${p.key}`);
          expect(first.attachments).toHaveLength(p.body.count);
          if (before.length) expect(ids(first.attachments)).toEqual(ids(before));
          const again = await expectStatus<Attached>(attach(api, p), 201, `again ${p.key}`);
          expect(ids(again.attachments)).toEqual(ids(first.attachments));
        }
        // ... and an attach answered before the kill gets that same answer again.
        for (const p of attaches.filter((x) => x.key !== null && !b.lostAttach.includes(x))) {
          const r = await expectStatus<Attached>(attach(api, p), 201, `retry ${p.key}`);
          expect(ids(r.attachments)).toEqual(
            ids([...held.values()].filter((a) => a.requestKey === p.key)),
          );
        }
        // A retried detach is done (by reconcile, by the retry, or before the kill) and answers
        // the attachment as it was.
        for (const d of [...b.lostDetach, ...b.detached].filter((x) => x.key !== null)) {
          const r = await expectStatus<Attachment>(detach(api, d), 200, `retry ${d.key}`);
          expect(r.id).toBe(d.id);
        }

        // One set of rows per request; each owned VF configured as its attachment says, on the
        // pool's driver; every other VF of the pool scrubbed, those freed by the burst included.
        const final = await list();
        for (const p of attaches.filter((x) => x.key !== null))
          expect(final.filter((r) => r.requestKey === p.key)).toHaveLength(p.body.count);
        for (const d of [...b.lostDetach, ...b.detached].filter((x) => x.key !== null))
          expect(final.some((r) => r.id === d.id)).toBe(false);
        const kernel = await kernelView();
        const owned = new Map(final.map((a) => [vfKey(a), a]));
        for (const a of final)
          expect(kernel.has(vfKey(a)), `${vfKey(a)} not in the pool`).toBe(true);
        for (const [vf, k] of kernel) {
          const a = owned.get(vf);
          expect({ vf, ...k }).toEqual(
            a
              ? { vf, mac: a.mac, vlan: a.vlan, driver: 'vfio-pci' }
              : { vf, mac: ZERO_MAC, vlan: 0, driver: k.driver },
          );
        }
        held.clear();
        for (const a of final) held.set(a.id, a);
        const n = (k: keyof ReconcileReport) => `${report[k].length} ${k}`;
        console.log(
          `cycle ${c}: killed after ${b.answers} answers with ${b.lostAttach.length} attaches and ` +
            `${b.lostDetach.length} detaches in flight; reconcile: ${n('completed')}, ` +
            `${n('rolledBack')}, ${n('scrubbed')}`,
        );
      }
      expect(await daemon.stop()).toBe(0);
    },
  );
});

describe('a daemon that dies inside a kernel call, at an exact point', () => {
  // The crash above with the kill placed deterministically: the first ledger's kernel writes stop
  // returning (the daemon "died" inside the call), and a second ledger on the same database and the
  // same kernel starts up and reconciles, as the restarted daemon does.
  const ctx: RequestContext = { actor: { name: 'ops', tenant: null } };
  const request = (name: string, count: number) =>
    attachRequest.parse({
      tenant: 't',
      pool: 'p',
      consumer: { kind: 'vm', name },
      count,
      vlan: 100,
    });

  async function crashable() {
    const sim = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
    const db = join(dir, 'ledger.db');
    const frozen = freezingHost(sim);
    const store = new SqliteLedgerStore({ path: db });
    const { ledger, allocation } = openLedger({
      store,
      host: frozen.host,
      inventory: new InventoryCache(frozen.host),
      hostname: 'compute-17',
    });
    await ledger.putPool(ctx, 'p', { selector: { pfNames: ['ens1f0'] }, vfDriver: 'vfio-pci' });
    await ledger.putTenant(ctx, 't', { pools: ['p'], vlans: '100-199', allowTrust: false });
    const restarted: SqliteLedgerStore[] = [];
    return {
      sim,
      frozen,
      store,
      ledger,
      allocation,
      /** The next daemon: a new store on the same file, the same kernel. */
      restart: () => {
        const s = new SqliteLedgerStore({ path: db });
        restarted.push(s);
        return {
          store: s,
          ...openLedger({
            store: s,
            host: sim,
            inventory: new InventoryCache(sim),
            hostname: 'compute-17',
          }),
        };
      },
      close: async () => {
        for (const s of restarted) await s.close();
      },
    };
  }

  async function vfConfig(sim: Host, vfIndex: number) {
    const pf = (await discover(sim)).pfs.find((p) => p.netdev === 'ens1f0')!;
    const vf = pf.vfs.find((v) => v.vfIndex === vfIndex)!;
    return { mac: vf.config!.mac, vlan: vf.config!.vlan, driver: vf.driver };
  }

  it('completes a keyed two-VF attach whole, so its retry gets both VFs, and rolls back an unkeyed one', async () => {
    const m = await crashable();
    try {
      // The daemon dies after the kernel took the VF settings, while binding the VFs' driver.
      m.frozen.freeze(['writeFile']);
      void m.allocation.attach({ ...ctx, idempotencyKey: 'attach-0001' }, request('vm-keyed', 2));
      void m.allocation.attach(ctx, request('vm-unkeyed', 1));
      await m.frozen.hung(2);
      const reserved = await m.store.listAttachments();
      expect(reserved.map((a) => a.state)).toEqual(['attaching', 'attaching', 'attaching']);
      const keyedIds = ids(reserved.filter((a) => a.requestKey !== null));
      // What the dead daemon left in the kernel: settings applied, driver not yet bound.
      for (const a of reserved)
        expect(await vfConfig(m.sim, a.vfIndex)).toEqual({ mac: a.mac, vlan: 100, driver: 'iavf' });

      const next = m.restart();
      const report = await next.allocation.reconcile();
      expect([...report.completed].sort()).toEqual(keyedIds);
      expect(report.rolledBack).toEqual(
        reserved.filter((a) => a.requestKey === null).map((a) => a.id),
      );
      const retry = await next.allocation.attach(
        { ...ctx, idempotencyKey: 'attach-0001' },
        request('vm-keyed', 2),
      );
      expect(ids(retry.attachments)).toEqual(keyedIds);
      expect(retry.attachments.map((a) => a.state)).toEqual(['attached', 'attached']);
      expect(await next.store.listAttachments()).toHaveLength(2);
      for (const a of reserved)
        expect(await vfConfig(m.sim, a.vfIndex)).toEqual(
          a.requestKey
            ? { mac: a.mac, vlan: 100, driver: 'vfio-pci' }
            : { mac: ZERO_MAC, vlan: 0, driver: 'vfio-pci' },
        );
    } finally {
      await m.close();
    }
  });

  it('finishes a keyed detach cut off while scrubbing, and its retry answers the detach', async () => {
    const m = await crashable();
    try {
      const [a] = (await m.allocation.attach(ctx, request('vm-a', 1))).attachments;
      // The daemon dies while the kernel is being told to scrub the VF.
      m.frozen.freeze(['linkApply']);
      void m.allocation.detach({ ...ctx, idempotencyKey: 'detach-0001' }, a!.id);
      await m.frozen.hung(1);
      expect((await m.store.getAttachment(a!.id))?.state).toBe('detaching');
      expect(await vfConfig(m.sim, a!.vfIndex)).toEqual({
        mac: a!.mac,
        vlan: 100,
        driver: 'vfio-pci',
      });

      const next = m.restart();
      const report = await next.allocation.reconcile();
      expect(report.scrubbed).toEqual([a!.id]);
      expect(await vfConfig(m.sim, a!.vfIndex)).toEqual({
        mac: ZERO_MAC,
        vlan: 0,
        driver: 'vfio-pci',
      });
      const retry = await next.allocation.detach({ ...ctx, idempotencyKey: 'detach-0001' }, a!.id);
      expect(retry).toMatchObject({ id: a!.id, vfIndex: a!.vfIndex, mac: a!.mac });
      expect(await next.store.listAttachments()).toEqual([]);
    } finally {
      await m.close();
    }
  });
});
