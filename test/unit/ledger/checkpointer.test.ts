// The WAL checkpoint that runs on a worker thread, so that no COMMIT on the event loop carries one.
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../../src/ledger/sqlite/checkpointer.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { tenantSpec } from '../../../src/contract/index.js';
import { tempDir } from './support.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A WAL database whose writer never checkpoints, with `pages` pages of rows in its WAL. */
function walDatabase(pages: number): { path: string; db: Database.Database } {
  const path = join(tempDir('sriovctl-ckpt-'), 'x.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v TEXT)');
  const ins = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < pages; i++) ins.run('x'.repeat(3000));
  closers.push(() => void db.close());
  return { path, db };
}

describe('Checkpointer', () => {
  it('copies the WAL into the database file from its own thread', async () => {
    const { path, db } = walDatabase(200);
    const before = statSync(path).size;
    const c = new Checkpointer(path);
    closers.push(() => c.close());
    await c.request();
    // The rows now live in the database file itself, and the writer can still write.
    expect(statSync(path).size).toBeGreaterThan(before + 200 * 3000);
    expect(c.walTooBig).toBe(false);
    db.prepare('INSERT INTO t VALUES (?)').run('after');
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 201 });
  });

  it('says when the WAL outgrew its limit, so the store checkpoints itself', async () => {
    const { path } = walDatabase(50);
    const c = new Checkpointer(path, 10);
    closers.push(() => c.close());
    await c.request();
    expect(c.walTooBig).toBe(true);
  });

  it('the store keeps working across many checkpoints, and its file holds everything after close', async () => {
    const path = join(tempDir('sriovctl-ckpt-'), 'ledger.db');
    const s = new SqliteLedgerStore({ path });
    // Enough commits for several checkpoint requests (one per 64 commits).
    for (let i = 0; i < 300; i++)
      await s.mutate((tx) => tx.putTenant(`t-${i}`, tenantSpec.parse({ vlans: '100' }), 'now'));
    await s.close();
    const db = new Database(path, { readonly: true });
    closers.push(() => void db.close());
    expect(db.prepare('SELECT count(*) AS n FROM tenants').get()).toEqual({ n: 300 });
  });

  it('the WAL stops growing under a writer that never pauses: past its limit it starts over', async () => {
    const path = join(tempDir('sriovctl-ckpt-'), 'ledger.db');
    const s = new SqliteLedgerStore({ path, walLimitPages: 100 });
    closers.push(() => s.close());
    const spec = tenantSpec.parse({ vlans: '100', description: 'x'.repeat(400) });
    let biggest = 0;
    for (let i = 0; i < 1500; i++) {
      await s.mutate((tx) => tx.putTenant(`t-${i}`, spec, 'now'));
      if (i % 100 === 99) biggest = Math.max(biggest, statSync(`${path}-wal`).size);
    }
    // Without the fallback the WAL would hold every page written (well over 1,500 frames).
    expect(biggest).toBeLessThan(600 * 4120);
    expect((await s.listTenants()).length).toBe(1500);
  });
});
