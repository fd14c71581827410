// A ledger shared by hosts: a host's daemon works on its own host's rows only. Identical servers
// have the same PCI addresses, so another host's attachment on "the same" VF is neither this
// host's to reconcile, to list, nor a reason to refuse this host that VF.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { loadSimHost } from '../../src/host/sim/index.js';
import { discover } from '../../src/inventory/discover.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../src/contract/index.js';
import type { Attachment } from '../../src/ledger/types.js';
import { attachment } from '../unit/ledger/support.js';
import { request } from '../support/api-fixture.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const NOW = '2024-05-01T12:00:00.000Z';

describe('a ledger shared with another host', () => {
  it("the daemon neither reconciles, lists nor yields to the other host's rows on the same PCI addresses", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-shared-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'ledger.db');
    const host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
    cleanup.push(() => host.close());
    const inv = await discover(host);
    const pf = inv.pfs.find((p) => p.netdev === 'ens1f0')!;
    expect(inv.host.hostname).not.toBe('node-b');

    // node-b, an identical server, holds VF 0 and VF 1 of its ens1f0: one attached with settings
    // this host's kernel does not have, one caught half-way (attaching).
    const theirs = (vfIndex: number, over: Partial<Attachment>) =>
      attachment(pf.pciAddress, vfIndex, {
        tenant: 'a',
        pool: 'p',
        host: 'node-b',
        consumer: { kind: 'vm', name: `b-vm-${vfIndex}`, host: 'node-b' },
        id: randomUUID(),
        pfNetdev: 'ens1f0',
        vlan: 7,
        createdAt: NOW,
        updatedAt: NOW,
        ...over,
      });
    const rows = [theirs(0, { state: 'attached' }), theirs(1, { state: 'attaching' })];
    const shared = new SqliteLedgerStore({ path: db });
    await shared.mutate(async (tx) => {
      await tx.putPool(
        'p',
        poolSpec.parse({ selector: { pfNames: ['ens1f0'], vfRange: '0' } }),
        NOW,
      );
      await tx.putTenant('a', tenantSpec.parse({ pools: ['p'], vlans: '7' }), NOW);
      for (const r of rows) await tx.insertAttachment(r);
    });
    await shared.close();

    const d = await startDaemon({
      host,
      db,
      listen: { host: '127.0.0.1', port: 0 },
      rateLimitPerMinute: 0,
      consoleDir: null,
      issueAdminToken: true,
    });
    cleanup.push(() => d.stop());
    // Nothing of node-b's was this host's to complete, roll back, reapply or orphan.
    expect(d.reconciled).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    });
    const token = d.adminToken!;
    const listed = await request(d.url!, 'GET', '/api/v1/attachments', { token });
    expect((listed.body as { items: Attachment[] }).items).toEqual([]);
    expect(
      (await request(d.url!, 'GET', `/api/v1/attachments/${rows[0]!.id}`, { token })).status,
    ).toBe(404);
    // The pool is VF 0 only: node-b holding its VF 0 does not take this host's.
    const att = await request(d.url!, 'POST', '/api/v1/attachments', {
      token,
      json: { tenant: 'a', pool: 'p', consumer: { kind: 'vm', name: 'mine' } },
    });
    expect(att.status).toBe(201);
    const mine = (att.body as { attachments: Attachment[] }).attachments[0]!;
    expect(mine).toMatchObject({ host: inv.host.hostname, pf: pf.pciAddress, vfIndex: 0 });
    await d.stop();

    const after = new SqliteLedgerStore({ path: db });
    cleanup.push(() => after.close());
    expect(
      (await after.listAttachments({ host: 'node-b' })).sort((x, y) => x.vfIndex - y.vfIndex),
    ).toEqual(rows);
    expect((await after.listAttachments({ host: inv.host.hostname })).map((a) => a.id)).toEqual([
      mine.id,
    ]);
  });
});
