// What only the SQLite ledger store does, on a real file: schema migrations, the audit log kept
// append-only by the database itself, the rows cached in memory, group commit (every answered unit
// is on disk, a failing unit takes nothing else with it) and file modes. What every store must do
// (constraints, atomic units, paging, host scoping) is the store contract, run on SQLite in
// store-contract/sqlite.contract.test.ts.
import Database from 'better-sqlite3';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { MIGRATIONS } from '../../../src/ledger/sqlite/migrations.js';
import { ConflictError } from '../../../src/ledger/store.js';
import { tenantSpec } from '../../../src/contract/index.js';
import type { Attachment } from '../../../src/ledger/types.js';
import { rejection, tempDir } from './support.js';
import { eventually } from '../../support/eventually.js';
import { NOW, row, seed, token } from './store-contract/rows.js';

const open: SqliteLedgerStore[] = [];
const paths = new WeakMap<SqliteLedgerStore, string>();
function openStore(path: string): SqliteLedgerStore {
  const s = new SqliteLedgerStore({ path });
  open.push(s);
  paths.set(s, path);
  return s;
}
const dbFileOf = (s: SqliteLedgerStore) => paths.get(s)!;
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

function dbFile(): string {
  return join(tempDir('sriovctl-store-'), 'ledger.db');
}

function userVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.pragma('user_version', { simple: true }));
  } finally {
    db.close();
  }
}

describe('migrations', () => {
  it('create the schema once, and reopening keeps data and version', async () => {
    const path = dbFile();
    const a = openStore(path);
    await a.mutate(seed);
    await a.close();
    expect(userVersion(path)).toBe(MIGRATIONS.length);
    const b = openStore(path);
    expect((await b.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
    await b.close();
    expect(userVersion(path)).toBe(MIGRATIONS.length);
  });

  it('refuse a database from a newer sriovctl without touching it', () => {
    const path = dbFile();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteLedgerStore({ path })).toThrow(
      `the ledger database is at schema version ${MIGRATIONS.length + 1}, newer than this sriovctl knows (${MIGRATIONS.length}); use a newer sriovctl or another --db`,
    );
    expect(userVersion(path)).toBe(MIGRATIONS.length + 1);
    const check = new Database(path, { readonly: true });
    expect(
      check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get(),
    ).toEqual({ n: 0 });
    check.close();
  });

  it('upgrade a version-1 ledger to the current schema, keeping every row and the audit rules', async () => {
    const path = dbFile();
    const a = row(7, { consumer: { kind: 'vm', name: 'vm-7', host: 'h' } });
    {
      // A ledger as sriovctl with only the first migration left it.
      const old = new SqliteLedgerStore({ path, migrations: MIGRATIONS.slice(0, 1) });
      await old.mutate(async (tx) => {
        await seed(tx);
        await tx.insertAttachment(a);
        for (const action of ['one', 'two', 'three'])
          await tx.appendAudit(
            {
              actor: 'x',
              action,
              tenant: 'team-a',
              target: 't',
              before: null,
              after: { a: 1 },
              requestId: null,
            },
            NOW,
          );
      });
      await old.close();
    }
    expect(userVersion(path)).toBe(1);
    const s = openStore(path);
    expect(userVersion(path)).toBe(MIGRATIONS.length);
    expect(await s.listAttachments()).toEqual([a]);
    expect((await s.listAudit({ limit: 10 })).map((e) => [e.seq, e.action])).toEqual([
      [3, 'three'],
      [2, 'two'],
      [1, 'one'],
    ]);
    const next = await s.mutate((tx) =>
      tx.appendAudit(
        {
          actor: 'x',
          action: 'four',
          tenant: null,
          target: 't',
          before: null,
          after: null,
          requestId: null,
        },
        NOW,
      ),
    );
    expect(next.seq).toBe(4);
    await s.close();
    const db = new Database(path);
    try {
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow('the audit log is append-only');
      expect(() => db.prepare("UPDATE audit SET actor = 'y'").run()).toThrow(
        'the audit log is append-only',
      );
      // One owner per VF still holds in the rebuilt table.
      expect(() =>
        db
          .prepare(
            `INSERT INTO attachments SELECT 'other', tenant, pool, consumer_kind, 'vm-8',
               consumer_host, interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node,
               '02:00:00:00:00:99', settings, state, detail, request_key, requested_by, created_at,
               updated_at FROM attachments`,
          )
          .run(),
      ).toThrow(/UNIQUE constraint failed: attachments.host, attachments.pf, attachments.vf_index/);
    } finally {
      db.close();
    }
  });
});

describe('migration 5: a ledger ready for many hosts', () => {
  /** A version-4 ledger (before MACs were unique across hosts) holding `rows`. */
  async function v4Ledger(rows: Attachment[]): Promise<string> {
    const path = dbFile();
    const old = new SqliteLedgerStore({ path, migrations: MIGRATIONS.slice(0, 4) });
    await old.mutate(async (tx) => {
      await seed(tx);
      for (const r of rows) await tx.insertAttachment(r);
    });
    await old.close();
    expect(userVersion(path)).toBe(4);
    return path;
  }

  it('keeps every row; a MAC is then unique across hosts, a VF still per host', async () => {
    const a = row(0, { host: 'h1', mac: '02:00:00:00:05:01' });
    const b = row(0, { host: 'h2', mac: '02:00:00:00:05:02' });
    const s = openStore(await v4Ledger([a, b]));
    expect(userVersion(dbFileOf(s))).toBe(MIGRATIONS.length);
    expect(await s.listAttachments()).toEqual([a, b]);
    const e = await rejection(
      s.mutate((tx) => tx.insertAttachment(row(1, { host: 'h3', mac: a.mac }))),
    );
    expect(e).toMatchObject({ constraint: 'mac-in-use', holder: a.id });
    await s.mutate((tx) => tx.insertAttachment(row(0, { host: 'h3', mac: '02:00:00:00:05:03' })));
    expect(await s.listAttachments({ host: 'h3' })).toHaveLength(1);
  });

  it('stops with what to do when two hosts hold one MAC, leaving the file at version 4', async () => {
    const mac = '02:00:00:00:06:01';
    const path = await v4Ledger([row(0, { host: 'old-name', mac }), row(0, { host: 'h', mac })]);
    expect(() => openStore(path)).toThrow(
      /cannot upgrade the ledger database to schema version 5: two attachments on different hosts hold the same MAC/,
    );
    expect(userVersion(path)).toBe(4);
  });
});

describe('audit log', () => {
  it('is append-only: UPDATE and DELETE are refused by the database itself', async () => {
    const path = dbFile();
    const s = openStore(path);
    await s.mutate((tx) =>
      tx.appendAudit(
        {
          actor: 'a',
          action: 'tenant.create',
          tenant: 't',
          target: 'tenant/t',
          before: null,
          after: { x: 1 },
          requestId: 'r1',
        },
        NOW,
      ),
    );
    const db = new Database(path);
    try {
      expect(() => db.prepare("UPDATE audit SET actor = 'mallory'").run()).toThrow(
        'the audit log is append-only',
      );
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow('the audit log is append-only');
    } finally {
      db.close();
    }
    expect(await s.listAudit({ limit: 10 })).toEqual([
      {
        seq: 1,
        at: NOW,
        actor: 'a',
        action: 'tenant.create',
        tenant: 't',
        target: 'tenant/t',
        before: null,
        after: { x: 1 },
        requestId: 'r1',
      },
    ]);
  });
});

describe('attachments from before vlanProto', () => {
  it('read a row whose settings have no vlanProto as 802.1Q, as every attachment then was', async () => {
    const path = dbFile();
    const s = openStore(path);
    const a = row(2, { vlan: 100 });
    await s.mutate(async (tx) => {
      await seed(tx);
      await tx.insertAttachment(a);
    });
    await s.close();
    const db = new Database(path);
    try {
      const { settings } = db
        .prepare('SELECT settings FROM attachments WHERE id = ?')
        .get(a.id) as {
        settings: string;
      };
      const { vlanProto: _gone, ...older } = JSON.parse(settings) as Record<string, unknown>;
      expect(_gone).toBe('802.1Q');
      db.prepare('UPDATE attachments SET settings = ? WHERE id = ?').run(
        JSON.stringify(older),
        a.id,
      );
    } finally {
      db.close();
    }
    expect(await openStore(path).getAttachment(a.id)).toEqual(a);
  });
});

describe('rows kept in memory', () => {
  it('reads outside a unit see only committed units, never one still running or undone', async () => {
    const s = openStore(dbFile());
    await s.mutate(seed);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let wrote!: () => void;
    const written = new Promise<void>((r) => (wrote = r));
    const unit = s.mutate(async (tx) => {
      await tx.putTenant('team-c', tenantSpec.parse({ vlans: '300' }), NOW);
      await tx.insertAttachment(row(0));
      await tx.deleteTenant('team-b');
      wrote();
      await held;
      throw new Error('undone');
    });
    await written;
    // The unit has written and waits: its rows are not anyone else's yet.
    expect((await s.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
    expect(await s.listAttachments()).toEqual([]);
    release();
    await rejection(unit);
    expect((await s.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
    // A committed unit shows once its mutate has resolved.
    await s.mutate((tx) => tx.insertAttachment(row(1)));
    expect((await s.listAttachments()).map((a) => a.vfIndex)).toEqual([1]);
  });

  it('notice a write by another connection: at once inside a unit, soon outside (checked every 100 ms)', async () => {
    const path = dbFile();
    const s = openStore(path);
    await s.mutate(seed);
    expect(await s.getTenant('team-z')).toBeNull();
    const other = new Database(path);
    try {
      other
        .prepare('INSERT INTO tenants (name, spec, created_at, updated_at) VALUES (?, ?, ?, ?)')
        .run('team-z', JSON.stringify(tenantSpec.parse({ vlans: '500' })), NOW, NOW);
    } finally {
      other.close();
    }
    // A unit decides on what is on disk now (placement reads inside units).
    expect(await s.mutate((tx) => tx.getTenant('team-z'))).toMatchObject({ name: 'team-z' });
    await eventually('team-z in reads outside a unit', async () =>
      (await s.listTenants()).some((x) => x.name === 'team-z'),
    );
  });
});

describe('close', () => {
  it('is safe to call twice: the second neither throws nor closes a file it no longer owns', async () => {
    const path = dbFile();
    const s = openStore(path);
    await s.mutate(seed);
    await s.close();
    // Another database opened meanwhile may get the WAL's old descriptor number.
    const other = openStore(dbFile());
    await other.mutate(seed);
    await s.close();
    await other.mutate((tx) => tx.putTenant('team-c', tenantSpec.parse({ vlans: '9' }), NOW));
    expect((await other.listTenants()).map((t) => t.name)).toContain('team-c');
  });
});

describe('group commit', () => {
  it('every concurrent unit is durable once it has answered (read back through another connection)', async () => {
    const path = dbFile();
    const s = openStore(path);
    await s.mutate(seed);
    const units = Array.from({ length: 50 }, (_, i) =>
      s.mutate(async (tx) => {
        await tx.insertAttachment(row(i, { consumer: { kind: 'vm', name: `vm-${i}`, host: 'h' } }));
        await tx.appendAudit(
          {
            actor: 'op',
            action: 'attachment.create',
            tenant: 'team-a',
            target: `attachment/${i}`,
            before: null,
            after: null,
            requestId: null,
          },
          NOW,
        );
        return i;
      }),
    );
    expect(await Promise.all(units)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // A second connection sees only committed data: all 50 answered units must be there, before
    // the first store is closed.
    const other = new Database(path, { readonly: true });
    try {
      expect(other.prepare('SELECT count(*) AS n FROM attachments').get()).toEqual({ n: 50 });
      expect(other.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 50 });
    } finally {
      other.close();
    }
    await s.close();
    const reopened = openStore(path);
    expect((await reopened.listAttachments()).map((a) => a.vfIndex).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('a throwing unit among concurrent ones loses nothing of the others', async () => {
    const path = dbFile();
    const s = openStore(path);
    await s.mutate(seed);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        s.mutate(async (tx) => {
          await tx.insertAttachment(
            row(i, { consumer: { kind: 'vm', name: `vm-${i}`, host: 'h' } }),
          );
          if (i === 7) throw new Error('unit 7 fails after writing');
          // Unit 13 breaks a constraint (VF 0 is unit 0's): only it is refused.
          if (i === 13) await tx.insertAttachment(row(0, { mac: '02:ff:00:00:00:00' }));
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 7 || i === 13 ? 'rejected' : 'fulfilled')),
    );
    expect((results[13] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const other = new Database(path, { readonly: true });
    try {
      const idx = (
        other.prepare('SELECT vf_index FROM attachments ORDER BY vf_index').all() as {
          vf_index: number;
        }[]
      ).map((r) => r.vf_index);
      expect(idx).toEqual(
        Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7 && i !== 13),
      );
    } finally {
      other.close();
    }
  });

  it('the unit that opens a group (no savepoint) may throw: the units queued behind it commit', async () => {
    const path = dbFile();
    const s = openStore(path);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        s.mutate(async (tx) => {
          await tx.putTenant(`t-${i}`, tenantSpec.parse({ vlans: '1' }), NOW);
          if (i === 0) throw new Error('the first changes its mind');
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((await s.listTenants()).map((t) => t.name)).toEqual(['t-1', 't-2', 't-3', 't-4']);
    await s.close();
    expect((await openStore(path).listTenants()).map((t) => t.name)).toEqual([
      't-1',
      't-2',
      't-3',
      't-4',
    ]);
  });

  it('units queued behind a slow one still run in order and commit', async () => {
    const s = openStore(dbFile());
    await s.mutate(seed);
    const order: number[] = [];
    const slow = s.mutate(async (tx) => {
      // Yields to the event loop inside the unit: the group must not commit half of it.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      order.push(1);
      // Ids of their own: the list is in (createdAt, id) order, and the rows share createdAt.
      await tx.insertAttachment(row(1, { id: 'unit-1' }));
    });
    const fast = s.mutate(async (tx) => {
      order.push(2);
      await tx.insertAttachment(row(2, { id: 'unit-2' }));
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual([1, 2]);
    expect((await s.listAttachments()).map((a) => a.vfIndex)).toEqual([1, 2]);
  });
});

describe('file modes', () => {
  /** The permission bits of each file the ledger has on disk. */
  const modes = (path: string) =>
    Object.fromEntries(
      ['', '-wal', '-shm'].map((s) => [
        `ledger.db${s}`,
        (statSync(`${path}${s}`).mode & 0o777).toString(8),
      ]),
    );
  const OWNER_ONLY = { 'ledger.db': '600', 'ledger.db-wal': '600', 'ledger.db-shm': '600' };

  it('a new ledger and its WAL and shared-memory files are readable by their owner only', async () => {
    const path = dbFile();
    const s = openStore(path);
    expect(modes(path)).toEqual(OWNER_ONLY);
    // Writes, a checkpoint and a reopen create nothing wider.
    for (let i = 0; i < 5; i++)
      await s.mutate((tx) => tx.insertToken(token(`t${i}`, `n${i}`, `h${i}`)));
    await s.close();
    const again = openStore(path);
    await again.mutate((tx) => tx.insertToken(token('t9', 'n9', 'h9')));
    expect(modes(path)).toEqual(OWNER_ONLY);
  });

  it('narrows the files an older sriovctl left world-readable, the moment it opens them', async () => {
    const path = dbFile();
    // As the previous release left them: SQLite's default 0644, a WAL still holding a commit.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.pragma('wal_autocheckpoint = 0');
    old.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    for (const s of ['', '-wal', '-shm']) chmodSync(`${path}${s}`, 0o644);
    const s = openStore(path);
    old.close();
    expect(modes(path)).toEqual(OWNER_ONLY);
    await s.mutate((tx) => tx.insertToken(token('t1', 'n1', 'h1')));
    expect(modes(path)).toEqual(OWNER_ONLY);
  });
});
