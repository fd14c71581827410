/**
 * The ledger on SQLite (better-sqlite3) in WAL mode; an answered request is on disk. Mutations from
 * concurrent requests are group-committed: each runs in its own savepoint inside one open
 * transaction, one COMMIT writes the whole group to the WAL, and one fsync of the WAL makes it
 * durable before any of them is answered. SQLite would do that fsync itself with synchronous=FULL,
 * but better-sqlite3 is synchronous, so the event loop would stand still for every sync; instead
 * the store commits with synchronous=NORMAL (the same WAL writes, no sync) and fsyncs the WAL file
 * on libuv's thread pool, answering the group when it returns. Checkpoints still sync as SQLite
 * does them. That keeps durability per request while the disk sees a fraction of the
 * syncs.
 */
import Database from 'better-sqlite3';
import { closeSync, fsync, openSync } from 'node:fs';
import { SriovctlError } from '../../host/errors.js';
import {
  ConflictError,
  type AttachmentFilter,
  type AuditFilter,
  type IdempotencyRecord,
  type LedgerStore,
  type LedgerWriter,
  type MutateOptions,
  type NewAuditEntry,
  type TokenWithHash,
} from '../store.js';
import {
  attachmentSettings,
  type Attachment,
  type AttachmentSettings,
  type AttachmentState,
  type AuditEntry,
  type Pool,
  type PoolSpec,
  type Role,
  type Tenant,
  type TenantSpec,
  type TokenRecord,
} from '../types.js';
import { MIGRATIONS } from './migrations.js';

type Row = Record<string, unknown>;

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests that do not need durability. */
  path: string;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
  /** Answered after the fsync that follows the commit, not after the commit. */
  durable: boolean;
}

function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : null;
}

function str(row: Row, k: string): string {
  return String(row[k]);
}

function tenantOf(row: Row): Tenant {
  const spec = parseJson(row.spec) as TenantSpec;
  return {
    name: str(row, 'name'),
    ...spec,
    createdAt: str(row, 'created_at'),
    updatedAt: str(row, 'updated_at'),
  };
}

function poolOf(row: Row): Pool {
  const spec = parseJson(row.spec) as PoolSpec;
  return {
    name: str(row, 'name'),
    ...spec,
    createdAt: str(row, 'created_at'),
    updatedAt: str(row, 'updated_at'),
  };
}

function attachmentOf(row: Row): Attachment {
  const s = parseJson(row.settings) as Omit<AttachmentSettings, 'mac'>;
  return {
    id: str(row, 'id'),
    tenant: str(row, 'tenant'),
    pool: str(row, 'pool'),
    consumer: {
      kind: str(row, 'consumer_kind') as Attachment['consumer']['kind'],
      name: str(row, 'consumer_name'),
      host: str(row, 'consumer_host'),
    },
    interface: str(row, 'interface'),
    host: str(row, 'host'),
    pf: str(row, 'pf'),
    pfNetdev: str(row, 'pf_netdev'),
    vfIndex: Number(row.vf_index),
    vfPciAddress: row.vf_pci === null ? null : str(row, 'vf_pci'),
    numaNode: Number(row.numa_node),
    mac: str(row, 'mac'),
    vlan: s.vlan,
    qos: s.qos,
    minTxRate: s.minTxRate,
    maxTxRate: s.maxTxRate,
    trust: s.trust,
    spoofchk: s.spoofchk,
    linkState: s.linkState,
    state: str(row, 'state') as AttachmentState,
    detail: row.detail === null ? null : str(row, 'detail'),
    requestKey: row.request_key === null ? null : str(row, 'request_key'),
    requestedBy: str(row, 'requested_by'),
    createdAt: str(row, 'created_at'),
    updatedAt: str(row, 'updated_at'),
  };
}

function auditOf(row: Row): AuditEntry {
  return {
    seq: Number(row.seq),
    at: str(row, 'at'),
    actor: str(row, 'actor'),
    action: str(row, 'action'),
    tenant: row.tenant === null ? null : str(row, 'tenant'),
    target: str(row, 'target'),
    before: parseJson(row.before),
    after: parseJson(row.after),
    requestId: row.request_id === null ? null : str(row, 'request_id'),
  };
}

function tokenOf(row: Row): TokenWithHash {
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    role: str(row, 'role') as Role,
    tenant: row.tenant === null ? null : str(row, 'tenant'),
    createdAt: str(row, 'created_at'),
    hash: str(row, 'hash'),
  };
}

/** Maps a SQLite UNIQUE failure on attachments to the rule it protects. */
function attachmentConflict(err: unknown, a: Attachment): never {
  const msg = err instanceof Error ? err.message : String(err);
  if (
    /UNIQUE constraint failed: attachments\.host, attachments\.pf, attachments\.vf_index/.test(msg)
  )
    throw new ConflictError('vf-owned', `VF ${a.vfIndex} of ${a.pf} is already attached`);
  if (/UNIQUE constraint failed: attachments\.consumer_host/.test(msg))
    throw new ConflictError(
      'interface-attached',
      `${a.consumer.kind} ${a.consumer.name} already has a VF on interface ${a.interface}`,
    );
  if (/UNIQUE constraint failed: attachments\.host, attachments\.mac/.test(msg))
    throw new ConflictError('mac-in-use', `MAC ${a.mac} is already used by another attachment`);
  throw err;
}

/** Opens the file, turning SQLite's terse codes into what to do about them. */
function openDatabase(path: string): Database.Database {
  try {
    const db = new Database(path);
    db.pragma('schema_version'); // reads the header: a file that is not a database fails here
    return db;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const msg = err instanceof Error ? err.message : String(err);
    if (code === 'SQLITE_CANTOPEN' || /directory does not exist/.test(msg))
      throw new SriovctlError(
        `cannot open the ledger database ${path}: ${msg}`,
        'create its directory (the systemd unit does, with StateDirectory=sriovctl) or pass --db PATH',
      );
    if (code === 'SQLITE_NOTADB')
      throw new SriovctlError(
        `${path} is not a SQLite database`,
        'pass --db with the ledger file, or a new path to start an empty ledger',
      );
    throw err;
  }
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly db: Database.Database;
  private readonly stmts;
  /** A group transaction is open and will be committed on the next turn of the event loop. */
  private open = false;
  /** A unit is between its SAVEPOINT and RELEASE. */
  private busy = false;
  private waiters: Waiter[] = [];
  /** Mutations run one at a time: each holds the savepoint until its function settles. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly writer: LedgerWriter;
  private readonly tx: Record<
    'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit',
    Database.Statement
  >;
  /** The WAL file to fsync after each group commit; null for in-memory databases. */
  private readonly walPath: string | null;
  private walFd: number | null = null;

  constructor(opts: SqliteStoreOptions) {
    this.db = openDatabase(opts.path);
    this.walPath = opts.path === ':memory:' || opts.path === '' ? null : `${opts.path}-wal`;
    this.db.pragma('journal_mode = WAL');
    // NORMAL: commits write the WAL without syncing it; flush() syncs it (see the header).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const d = this.db;
    this.stmts = {
      getTenant: d.prepare('SELECT * FROM tenants WHERE name = ?'),
      listTenants: d.prepare('SELECT * FROM tenants ORDER BY name'),
      putTenant: d.prepare(
        `INSERT INTO tenants (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
      ),
      deleteTenant: d.prepare('DELETE FROM tenants WHERE name = ?'),
      getPool: d.prepare('SELECT * FROM pools WHERE name = ?'),
      listPools: d.prepare('SELECT * FROM pools ORDER BY name'),
      putPool: d.prepare(
        `INSERT INTO pools (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
      ),
      deletePool: d.prepare('DELETE FROM pools WHERE name = ?'),
      getAttachment: d.prepare('SELECT * FROM attachments WHERE id = ?'),
      insertAttachment: d.prepare(
        `INSERT INTO attachments (id, tenant, pool, consumer_kind, consumer_name, consumer_host,
           interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node, mac, settings, state, detail,
           request_key, requested_by, created_at, updated_at)
         VALUES (@id, @tenant, @pool, @consumerKind, @consumerName, @consumerHost, @interface, @host,
           @pf, @pfNetdev, @vfIndex, @vfPci, @numaNode, @mac, @settings, @state, @detail,
           @requestKey, @requestedBy, @createdAt, @updatedAt)`,
      ),
      updateAttachment: d.prepare(
        `UPDATE attachments SET state = coalesce(@state, state),
           detail = CASE WHEN @setDetail THEN @detail ELSE detail END, updated_at = @now
         WHERE id = @id`,
      ),
      deleteAttachment: d.prepare('DELETE FROM attachments WHERE id = ?'),
      appendAudit: d.prepare(
        `INSERT INTO audit (at, actor, action, tenant, target, before, after, request_id)
         VALUES (@at, @actor, @action, @tenant, @target, @before, @after, @requestId)`,
      ),
      getIdem: d.prepare('SELECT * FROM idempotency WHERE actor = ? AND key = ?'),
      putIdem: d.prepare(
        `INSERT INTO idempotency (actor, key, request_hash, status, response, created_at)
         VALUES (@actor, @key, @requestHash, @status, @response, @now)
         ON CONFLICT(actor, key) DO UPDATE SET status = excluded.status, response = excluded.response`,
      ),
      deleteIdem: d.prepare('DELETE FROM idempotency WHERE actor = ? AND key = ?'),
      findToken: d.prepare('SELECT * FROM tokens WHERE hash = ?'),
      listTokens: d.prepare('SELECT * FROM tokens ORDER BY name'),
      insertToken: d.prepare(
        `INSERT INTO tokens (id, name, hash, role, tenant, created_at)
         VALUES (@id, @name, @hash, @role, @tenant, @createdAt)`,
      ),
      deleteToken: d.prepare('DELETE FROM tokens WHERE id = ?'),
    };
    this.writer = this.makeWriter();
    // Prepared once: parsing these on every unit showed up in profiles.
    this.tx = {
      begin: d.prepare('BEGIN IMMEDIATE'),
      savepoint: d.prepare('SAVEPOINT unit'),
      release: d.prepare('RELEASE unit'),
      rollbackTo: d.prepare('ROLLBACK TO unit'),
      commit: d.prepare('COMMIT'),
    };
  }

  private migrate(): void {
    const version = Number(this.db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length)
      throw new Error(
        `the ledger database is at schema version ${version}, newer than this sriovctl knows (${MIGRATIONS.length}); use a newer sriovctl or another --db`,
      );
    const step = this.db.transaction((i: number) => {
      this.db.exec(MIGRATIONS[i]!);
      this.db.pragma(`user_version = ${i + 1}`);
    });
    for (let i = version; i < MIGRATIONS.length; i++) step(i);
  }

  private readonly statementCache = new Map<string, Database.Statement>();

  /** Filtered queries have a handful of shapes: prepare each once. */
  private prepared(sql: string): Database.Statement {
    let st = this.statementCache.get(sql);
    if (!st) this.statementCache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  // Reads ------------------------------------------------------------------------------------

  async getTenant(name: string): Promise<Tenant | null> {
    const row = this.stmts.getTenant.get(name) as Row | undefined;
    return row ? tenantOf(row) : null;
  }
  async listTenants(): Promise<Tenant[]> {
    return (this.stmts.listTenants.all() as Row[]).map(tenantOf);
  }
  async getPool(name: string): Promise<Pool | null> {
    const row = this.stmts.getPool.get(name) as Row | undefined;
    return row ? poolOf(row) : null;
  }
  async listPools(): Promise<Pool[]> {
    return (this.stmts.listPools.all() as Row[]).map(poolOf);
  }
  async getAttachment(id: string): Promise<Attachment | null> {
    const row = this.stmts.getAttachment.get(id) as Row | undefined;
    return row ? attachmentOf(row) : null;
  }
  async listAttachments(f: AttachmentFilter = {}): Promise<Attachment[]> {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (f.tenant !== undefined) {
      where.push('tenant = @tenant');
      args.tenant = f.tenant;
    }
    if (f.pool !== undefined) {
      where.push('pool = @pool');
      args.pool = f.pool;
    }
    if (f.state !== undefined) {
      where.push('state = @state');
      args.state = f.state;
    }
    if (f.pf !== undefined) {
      where.push('pf = @pf');
      args.pf = f.pf;
    }
    if (f.consumerName !== undefined) {
      where.push('consumer_name = @consumerName');
      args.consumerName = f.consumerName;
    }
    const sql = `SELECT * FROM attachments ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at, id`;
    return (this.prepared(sql).all(args) as Row[]).map(attachmentOf);
  }
  async listAudit(f: AuditFilter): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: f.limit };
    if (f.tenant !== undefined) {
      where.push('tenant = @tenant');
      args.tenant = f.tenant;
    }
    if (f.action !== undefined) {
      where.push('action = @action');
      args.action = f.action;
    }
    if (f.target !== undefined) {
      where.push('target = @target');
      args.target = f.target;
    }
    if (f.before !== undefined) {
      where.push('seq < @before');
      args.before = f.before;
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT @limit`;
    return (this.prepared(sql).all(args) as Row[]).map(auditOf);
  }
  async getIdempotency(actor: string, key: string): Promise<IdempotencyRecord | null> {
    const row = this.stmts.getIdem.get(actor, key) as Row | undefined;
    if (!row) return null;
    return {
      actor: str(row, 'actor'),
      key: str(row, 'key'),
      requestHash: str(row, 'request_hash'),
      status: str(row, 'status') as IdempotencyRecord['status'],
      response: parseJson(row.response) as IdempotencyRecord['response'],
    };
  }
  async findToken(hash: string): Promise<TokenWithHash | null> {
    const row = this.stmts.findToken.get(hash) as Row | undefined;
    return row ? tokenOf(row) : null;
  }
  async listTokens(): Promise<TokenRecord[]> {
    return (this.stmts.listTokens.all() as Row[]).map((r) => {
      const { hash: _hash, ...t } = tokenOf(r);
      return t;
    });
  }

  // Writes -----------------------------------------------------------------------------------

  private makeWriter(): LedgerWriter {
    const s = this.stmts;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the writer's methods read through the store
    const self = this;
    const w: LedgerWriter = Object.assign(Object.create(this) as LedgerWriter, {
      async putTenant(name: string, spec: TenantSpec, now: string) {
        s.putTenant.run({ name, spec: JSON.stringify(spec), now });
        return (await self.getTenant(name))!;
      },
      async deleteTenant(name: string) {
        return s.deleteTenant.run(name).changes > 0;
      },
      async putPool(name: string, spec: PoolSpec, now: string) {
        s.putPool.run({ name, spec: JSON.stringify(spec), now });
        return (await self.getPool(name))!;
      },
      async deletePool(name: string) {
        return s.deletePool.run(name).changes > 0;
      },
      async insertAttachment(a: Attachment) {
        // The MAC has its own column (it is unique per host); the rest is one JSON value.
        const { mac: _mac, ...settings } = attachmentSettings(a);
        try {
          s.insertAttachment.run({
            id: a.id,
            tenant: a.tenant,
            pool: a.pool,
            consumerKind: a.consumer.kind,
            consumerName: a.consumer.name,
            consumerHost: a.consumer.host,
            interface: a.interface,
            host: a.host,
            pf: a.pf,
            pfNetdev: a.pfNetdev,
            vfIndex: a.vfIndex,
            vfPci: a.vfPciAddress,
            numaNode: a.numaNode,
            mac: a.mac,
            settings: JSON.stringify(settings),
            state: a.state,
            detail: a.detail,
            requestKey: a.requestKey,
            requestedBy: a.requestedBy,
            createdAt: a.createdAt,
            updatedAt: a.updatedAt,
          });
        } catch (err) {
          attachmentConflict(err, a);
        }
      },
      async updateAttachment(
        id: string,
        patch: { state?: AttachmentState; detail?: string | null },
        now: string,
      ) {
        s.updateAttachment.run({
          id,
          state: patch.state ?? null,
          setDetail: patch.detail !== undefined ? 1 : 0,
          detail: patch.detail ?? null,
          now,
        });
        return self.getAttachment(id);
      },
      async deleteAttachment(id: string) {
        return s.deleteAttachment.run(id).changes > 0;
      },
      async appendAudit(e: NewAuditEntry, now: string) {
        const r = s.appendAudit.run({
          at: now,
          actor: e.actor,
          action: e.action,
          tenant: e.tenant,
          target: e.target,
          before: json(e.before),
          after: json(e.after),
          requestId: e.requestId,
        });
        return { ...e, seq: Number(r.lastInsertRowid), at: now };
      },
      async putIdempotency(rec: IdempotencyRecord, now: string) {
        s.putIdem.run({
          actor: rec.actor,
          key: rec.key,
          requestHash: rec.requestHash,
          status: rec.status,
          response: json(rec.response),
          now,
        });
      },
      async deleteIdempotency(actor: string, key: string) {
        s.deleteIdem.run(actor, key);
      },
      async insertToken(t: TokenWithHash) {
        try {
          s.insertToken.run({ ...t });
        } catch (err) {
          if (err instanceof Error && /UNIQUE constraint failed: tokens\.name/.test(err.message))
            throw new ConflictError('exists', `a token named ${t.name} exists`);
          throw err;
        }
      },
      async deleteToken(id: string) {
        return s.deleteToken.run(id).changes > 0;
      },
    });
    return w;
  }

  async mutate<T>(fn: (tx: LedgerWriter) => Promise<T>, opts: MutateOptions = {}): Promise<T> {
    const durableWait = opts.durable ?? true;
    const run = async (): Promise<{ value: T; durable: Promise<void> }> => {
      if (!this.open) {
        this.tx.begin.run();
        this.open = true;
        setImmediate(() => this.flush());
      }
      this.busy = true;
      this.tx.savepoint.run();
      try {
        const value = await fn(this.writer);
        this.tx.release.run();
        const durable = new Promise<void>((resolve, reject) =>
          this.waiters.push({ resolve, reject, durable: durableWait }),
        );
        return { value, durable };
      } catch (err) {
        this.tx.rollbackTo.run();
        this.tx.release.run();
        throw err;
      } finally {
        this.busy = false;
      }
    };
    const step = this.chain.then(run, run);
    this.chain = step.catch(() => undefined);
    const { value, durable } = await step;
    await durable;
    return value;
  }

  /** Commits the open group; a unit still running (it awaited something slow) delays it a turn. */
  private flush(): void {
    if (!this.open) return;
    if (this.busy) {
      setImmediate(() => this.flush());
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    try {
      this.tx.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) if (!w.durable) w.resolve();
    this.unsynced.push(...waiters.filter((w) => w.durable));
    if (!this.syncing && this.unsynced.length) this.syncWal();
  }

  /**
   * Makes everything committed so far durable: fsync of the WAL, off the event loop. One fsync at a
   * time: the file system serializes them anyway, so groups committed while one runs wait for the
   * next, which covers them all — under load each fsync answers more requests, not fewer.
   */
  private syncWal(): void {
    const batch = this.unsynced;
    this.unsynced = [];
    if (this.walPath === null) {
      for (const w of batch) w.resolve();
      return;
    }
    this.walFd ??= openSync(this.walPath, 'r');
    const fd = this.walFd;
    this.syncing = new Promise<void>((done) =>
      fsync(fd, (err) => {
        for (const w of batch)
          if (err) w.reject(err);
          else w.resolve();
        this.syncing = null;
        if (this.unsynced.length) this.syncWal();
        done();
      }),
    );
  }

  /** Commits waiting for the next fsync, and the fsync running now. */
  private unsynced: Waiter[] = [];
  private syncing: Promise<void> | null = null;

  async close(): Promise<void> {
    await this.chain;
    this.flush();
    while (this.syncing) await this.syncing;
    if (this.walFd !== null) closeSync(this.walFd);
    this.db.close();
  }
}
