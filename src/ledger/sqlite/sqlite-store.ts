/**
 * The ledger on SQLite (better-sqlite3) in WAL mode; an answered request is on disk. Mutations from
 * concurrent requests are group-committed: each runs in its own savepoint inside one open
 * transaction, one COMMIT writes the whole group to the WAL, and one fsync of the WAL makes it
 * durable before any of them is answered. SQLite would do that sync itself with synchronous=FULL,
 * but better-sqlite3 is synchronous, so the event loop would stand still for every sync; instead
 * the store commits with synchronous=NORMAL (the same WAL writes, no sync) and syncs the WAL file
 * on libuv's thread pool, answering the group when it returns. Checkpoints run on a worker thread
 * and sync as SQLite does them. That keeps durability per request off the event loop.
 *
 * One connection is the only writer, so a unit never meets a serialization failure and `mutate`
 * never runs its function twice (the contract allows it; this store has no need). Its own memory
 * (row-cache.ts) takes a unit's changes only after the COMMIT, so reads outside a unit see
 * committed rows only; the audit log and idempotency records, read by SQL on the same connection,
 * may show an open group's rows to a read outside a unit before their COMMIT.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fdatasync, openSync } from 'node:fs';
import { SriovctlError } from '../../host/errors.js';
import {
  ConflictError,
  type AttachmentFilter,
  type AuditFilter,
  type IdempotencyRecord,
  type LedgerReader,
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
import { Checkpointer } from './checkpointer.js';
import { MIGRATIONS } from './migrations.js';
import { copyAttachment, RowCache, type RowView } from './row-cache.js';

type Row = Record<string, unknown>;

/** How long reads outside a unit trust the cache without asking SQLite whether the file changed. */
const CHECK_MS = 100;

/** WAL syncs in flight at once; libuv's pool has four threads, and other file I/O needs one. */
const MAX_SYNCS = 3;

/** Commits between checkpoint requests to the worker (a few hundred WAL pages). */
const CHECKPOINT_EVERY = 64;

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests that do not need durability. */
  path: string;
  /** The schema steps to apply (tests pass a prefix to build an older ledger). */
  migrations?: readonly string[];
  /** WAL size (pages) past which the store checkpoints the rest itself; default 4000. */
  walLimitPages?: number;
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
  // Rows written before attachments recorded their VLAN protocol have none: they were 802.1Q.
  const s = parseJson(row.settings) as Omit<AttachmentSettings, 'mac' | 'vlanProto'> &
    Partial<Pick<AttachmentSettings, 'vlanProto'>>;
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
    pfNetdev: row.pf_netdev === null ? null : str(row, 'pf_netdev'),
    vfIndex: Number(row.vf_index),
    vfPciAddress: row.vf_pci === null ? null : str(row, 'vf_pci'),
    numaNode: Number(row.numa_node),
    mac: row.mac === null ? null : str(row, 'mac'),
    vlan: s.vlan,
    qos: s.qos,
    vlanProto: s.vlanProto ?? '802.1Q',
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

/** Which UNIQUE rule a SQLite failure on attachments broke (null: none of them). */
function brokenRule(err: unknown): 'vf-owned' | 'interface-attached' | 'mac-in-use' | null {
  const msg = err instanceof Error ? err.message : String(err);
  if (
    /UNIQUE constraint failed: attachments\.host, attachments\.pf, attachments\.vf_index/.test(msg)
  )
    return 'vf-owned';
  if (/UNIQUE constraint failed: attachments\.consumer_host/.test(msg)) return 'interface-attached';
  // (host, mac) before migration 5, (mac) since.
  if (/UNIQUE constraint failed: (attachments\.host, )?attachments\.mac$/.test(msg))
    return 'mac-in-use';
  return null;
}

/** The ledger's files: only their owner may read them (the audit log, token hashes). */
const FILE_MODE = 0o600;

/** Files SQLite keeps next to the database: the write-ahead log, its index, a rollback journal. */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** Whether `path` names a file (not an in-memory or temporary database). */
function onDisk(path: string): boolean {
  return path !== ':memory:' && path !== '' && !path.startsWith('file:');
}

/**
 * Creates the database file 0600 if it is missing, so it never exists with SQLite's default 0644
 * (SQLite then gives its -wal and -shm the database file's mode), and narrows the modes of files
 * an older sriovctl left readable by everyone.
 */
function secureFiles(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_CREAT, FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
  } finally {
    closeSync(fd);
  }
  restrictSideFiles(path);
}

/** Narrows the modes of the database's side files that exist now. */
function restrictSideFiles(path: string): void {
  for (const suffix of SIDE_FILES) {
    try {
      chmodSync(`${path}${suffix}`, FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Opens the file, turning SQLite's terse codes into what to do about them. */
function openDatabase(path: string): Database.Database {
  try {
    if (onDisk(path)) secureFiles(path);
    const db = new Database(path);
    db.pragma('schema_version'); // reads the header: a file that is not a database fails here
    return db;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const msg = err instanceof Error ? err.message : String(err);
    if (code === 'SQLITE_CANTOPEN' || code === 'ENOENT' || /directory does not exist/.test(msg))
      throw new SriovctlError(
        `cannot open the ledger database ${path}: ${msg}`,
        'create its directory (the systemd unit does, with StateDirectory=sriovctl) or pass --db PATH',
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new SriovctlError(
        `cannot open the ledger database ${path}: ${msg}`,
        'run as the user that owns it (root for /var/lib/sriovctl) or pass --db PATH',
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
    'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'rollback' | 'commit',
    Database.Statement
  >;
  /** Tenants, pools, tokens and attachments in memory; null until first read or after another
   * connection changed the file. */
  private cache: RowCache | null = null;
  private seenDataVersion = -1;
  private readonly dataVersion: Database.Statement;
  /** The WAL file to fsync after each group commit; null for in-memory databases. */
  private readonly walPath: string | null;
  private walFd: number | null = null;
  /** Null for in-memory databases, which have no WAL. */
  private readonly checkpointer: Checkpointer | null = null;
  private commitsSinceCheckpoint = 0;

  constructor(opts: SqliteStoreOptions) {
    this.db = openDatabase(opts.path);
    this.walPath = opts.path === ':memory:' || opts.path === '' ? null : `${opts.path}-wal`;
    this.db.pragma('journal_mode = WAL');
    // SQLite gives the -wal and -shm it just created the database's mode; said here, not assumed.
    if (onDisk(opts.path)) restrictSideFiles(opts.path);
    // NORMAL: commits write the WAL without syncing it; flush() syncs it (see the header).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate(opts.migrations ?? MIGRATIONS);
    this.macKeyValue = this.secret('mac-key');
    const d = this.db;
    this.stmts = {
      listTenants: d.prepare('SELECT * FROM tenants ORDER BY name'),
      putTenant: d.prepare(
        `INSERT INTO tenants (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
      ),
      deleteTenant: d.prepare('DELETE FROM tenants WHERE name = ?'),
      listPools: d.prepare('SELECT * FROM pools ORDER BY name'),
      putPool: d.prepare(
        `INSERT INTO pools (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
      ),
      deletePool: d.prepare('DELETE FROM pools WHERE name = ?'),
      listAttachments: d.prepare('SELECT * FROM attachments ORDER BY created_at, id'),
      insertAttachment: d.prepare(
        `INSERT INTO attachments (id, tenant, pool, consumer_kind, consumer_name, consumer_host,
           interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node, mac, settings, state, detail,
           request_key, requested_by, created_at, updated_at)
         VALUES (@id, @tenant, @pool, @consumer_kind, @consumer_name, @consumer_host, @interface,
           @host, @pf, @pf_netdev, @vf_index, @vf_pci, @numa_node, @mac, @settings, @state, @detail,
           @request_key, @requested_by, @created_at, @updated_at)`,
      ),
      updateAttachment: d.prepare(
        `UPDATE attachments SET state = coalesce(@state, state),
           detail = CASE WHEN @setDetail THEN @detail ELSE detail END, updated_at = @now
         WHERE id = @id`,
      ),
      deleteAttachment: d.prepare('DELETE FROM attachments WHERE id = ?'),
      // Served by the (consumer_host, consumer_kind, consumer_name, interface) unique index.
      consumerOfAnotherTenant: d
        .prepare(
          `SELECT id FROM attachments WHERE consumer_host = ? AND consumer_kind = ?
             AND consumer_name = ? AND tenant <> ? ORDER BY id LIMIT 1`,
        )
        .pluck(),
      // The row holding a constraint an insert broke; each served by that constraint's index.
      vfHolder: d
        .prepare('SELECT id FROM attachments WHERE host = ? AND pf = ? AND vf_index = ?')
        .pluck(),
      interfaceHolder: d
        .prepare(
          `SELECT id FROM attachments WHERE consumer_host = ? AND consumer_kind = ?
             AND consumer_name = ? AND interface = ?`,
        )
        .pluck(),
      macHolder: d.prepare('SELECT id FROM attachments WHERE mac = ? ORDER BY id LIMIT 1').pluck(),
      tokenHolder: d.prepare('SELECT id FROM tokens WHERE name = ?').pluck(),
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
      listTokens: d.prepare('SELECT * FROM tokens ORDER BY name'),
      insertToken: d.prepare(
        `INSERT INTO tokens (id, name, hash, role, tenant, created_at)
         VALUES (@id, @name, @hash, @role, @tenant, @createdAt)`,
      ),
      deleteToken: d.prepare('DELETE FROM tokens WHERE id = ?'),
    };
    // Changes only when another connection commits: then the cached rows may be stale.
    this.dataVersion = d.prepare('PRAGMA data_version').pluck();
    this.writer = this.makeWriter();
    // Prepared once: parsing these on every unit showed up in profiles.
    this.tx = {
      begin: d.prepare('BEGIN IMMEDIATE'),
      savepoint: d.prepare('SAVEPOINT unit'),
      release: d.prepare('RELEASE unit'),
      rollbackTo: d.prepare('ROLLBACK TO unit'),
      rollback: d.prepare('ROLLBACK'),
      commit: d.prepare('COMMIT'),
    };
    if (this.walPath !== null) {
      // Checkpoints move to a worker thread (see checkpointer.ts); this connection never runs one
      // inside a COMMIT.
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new Checkpointer(opts.path, opts.walLimitPages);
    }
  }

  private migrate(migrations: readonly string[]): void {
    const version = Number(this.db.pragma('user_version', { simple: true }));
    if (version > migrations.length)
      throw new Error(
        `the ledger database is at schema version ${version}, newer than this sriovctl knows (${migrations.length}); use a newer sriovctl or another --db`,
      );
    const step = this.db.transaction((i: number) => {
      this.db.exec(migrations[i]!);
      this.db.pragma(`user_version = ${i + 1}`);
    });
    for (let i = version; i < migrations.length; i++) {
      try {
        step(i);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // Migration 5 makes MACs unique across hosts: rows a renamed host left behind can hold
        // the MAC of a newer row. The step rolled back: the file is still at version i.
        if (/UNIQUE constraint failed: attachments_v5\.mac/.test(msg))
          throw new SriovctlError(
            `cannot upgrade the ledger database to schema version ${i + 1}: two attachments on different hosts hold the same MAC (${msg})`,
            'run the previous sriovctl, detach one of the two (sriovctl attachments lists them, sriovctl detach ID), then start this one again',
          );
        throw err;
      }
    }
  }

  /**
   * A secret of this ledger, made on first use from the operating system's generator. Ledgers
   * from before migration 3 have none (tests that build one): their MACs are keyed with ''.
   */
  private secret(name: string): string {
    const has = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'secrets'")
      .get();
    if (!has) return '';
    this.db
      .prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)')
      .run(name, randomBytes(32).toString('hex'));
    return this.db.prepare('SELECT value FROM secrets WHERE name = ?').pluck().get(name) as string;
  }

  private readonly macKeyValue: string;

  private readonly statementCache = new Map<string, Database.Statement>();

  /** Filtered queries have a handful of shapes: prepare each once. */
  private prepared(sql: string): Database.Statement {
    let st = this.statementCache.get(sql);
    if (!st) this.statementCache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  // Reads ------------------------------------------------------------------------------------

  /**
   * The cached rows, loaded on first use and again after another connection wrote the file (only
   * the daemon writes it; a second writer is a mistake this notices rather than a mode). Checking
   * costs a statement, so reads outside a unit check at most every CHECK_MS; every group checks
   * when it begins, so what a unit reads and decides on is never stale.
   */
  private rows(): RowCache {
    if (!this.open) {
      const t = performance.now();
      if (t - this.checkedAt > CHECK_MS) this.checkDataVersion(t);
    }
    return (this.cache ??= new RowCache({
      tenants: (this.stmts.listTenants.all() as Row[]).map(tenantOf),
      pools: (this.stmts.listPools.all() as Row[]).map(poolOf),
      tokens: (this.stmts.listTokens.all() as Row[]).map(tokenOf),
      attachments: (this.stmts.listAttachments.all() as Row[]).map(attachmentOf),
    }));
  }

  private checkedAt = -Infinity;

  private checkDataVersion(now = performance.now()): void {
    this.checkedAt = now;
    const v = this.dataVersion.get() as number;
    if (v !== this.seenDataVersion) {
      this.seenDataVersion = v;
      this.cache = null;
    }
  }

  async getTenant(name: string): Promise<Tenant | null> {
    return this.outside.getTenant(name);
  }
  async listTenants(): Promise<Tenant[]> {
    return this.outside.listTenants();
  }
  async getPool(name: string): Promise<Pool | null> {
    return this.outside.getPool(name);
  }
  async listPools(): Promise<Pool[]> {
    return this.outside.listPools();
  }
  async getAttachment(id: string): Promise<Attachment | null> {
    return this.outside.getAttachment(id);
  }
  async listAttachments(f: AttachmentFilter = {}): Promise<Attachment[]> {
    return this.outside.listAttachments(f);
  }
  async findToken(hash: string): Promise<TokenWithHash | null> {
    return this.outside.findToken(hash);
  }
  async listTokens(): Promise<TokenRecord[]> {
    return this.outside.listTokens();
  }

  /**
   * Reads of the cached rows through `view`: the committed rows for reads outside a unit, the
   * unit's own view inside one.
   */
  private cachedReads(
    view: () => RowView,
  ): Pick<
    LedgerReader,
    | 'getTenant'
    | 'listTenants'
    | 'getPool'
    | 'listPools'
    | 'getAttachment'
    | 'listAttachments'
    | 'findToken'
    | 'listTokens'
  > {
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    return {
      getTenant: async (name) => {
        const t = view().tenant(name);
        return t ? structuredClone(t) : null;
      },
      listTenants: async () =>
        view()
          .tenants()
          .sort(byName)
          .map((t) => structuredClone(t)),
      getPool: async (name) => {
        const p = view().pool(name);
        return p ? structuredClone(p) : null;
      },
      listPools: async () =>
        view()
          .pools()
          .sort(byName)
          .map((p) => structuredClone(p)),
      getAttachment: async (id) => {
        const a = view().attachment(id);
        return a ? copyAttachment(a) : null;
      },
      listAttachments: async (f: AttachmentFilter = {}) => {
        const out: Attachment[] = [];
        for (const a of view().allAttachments()) {
          if (f.host !== undefined && a.host !== f.host) continue;
          if (f.tenant !== undefined && a.tenant !== f.tenant) continue;
          if (f.pool !== undefined && a.pool !== f.pool) continue;
          if (f.state !== undefined && a.state !== f.state) continue;
          if (f.pf !== undefined && a.pf !== f.pf) continue;
          if (f.consumerName !== undefined && a.consumer.name !== f.consumerName) continue;
          out.push(copyAttachment(a));
        }
        return out;
      },
      findToken: async (hash) => {
        const t = view().token(hash);
        return t ? { ...t } : null;
      },
      listTokens: async () =>
        view()
          .tokens()
          .sort(byName)
          .map(({ hash: _hash, ...t }) => t),
    };
  }

  /** Reads outside a unit: committed rows only. */
  private readonly outside = this.cachedReads(() => this.rows().committed);

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
  async macKey(): Promise<string> {
    return this.macKeyValue;
  }

  // Writes -----------------------------------------------------------------------------------

  private makeWriter(): LedgerWriter {
    const s = this.stmts;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the writer's methods read through the store
    const self = this;
    // Reads inside a unit see its writes and those of the group before it: the pending view of
    // the cache, and SQL on the connection whose transaction holds them.
    const reads: LedgerReader = {
      ...this.cachedReads(() => self.rows().pending),
      listAudit: (f) => self.listAudit(f),
      getIdempotency: (actor, key) => self.getIdempotency(actor, key),
      macKey: () => self.macKey(),
    };
    const w: LedgerWriter = Object.assign(reads, {
      async putTenant(name: string, spec: TenantSpec, now: string) {
        const rows = self.rows();
        const json = JSON.stringify(spec);
        s.putTenant.run({ name, spec: json, now });
        // Built from the values written, as a read of the row would give them back.
        const createdAt = rows.pending.tenant(name)?.createdAt ?? now;
        rows.setTenant(
          tenantOf({ name, spec: json, created_at: createdAt, updated_at: now }),
          name,
        );
        return (await reads.getTenant(name))!;
      },
      async deleteTenant(name: string) {
        const rows = self.rows();
        const gone = s.deleteTenant.run(name).changes > 0;
        if (gone) rows.setTenant(null, name);
        return gone;
      },
      async putPool(name: string, spec: PoolSpec, now: string) {
        const rows = self.rows();
        const json = JSON.stringify(spec);
        s.putPool.run({ name, spec: json, now });
        const createdAt = rows.pending.pool(name)?.createdAt ?? now;
        rows.setPool(poolOf({ name, spec: json, created_at: createdAt, updated_at: now }), name);
        return (await reads.getPool(name))!;
      },
      async deletePool(name: string) {
        const rows = self.rows();
        const gone = s.deletePool.run(name).changes > 0;
        if (gone) rows.setPool(null, name);
        return gone;
      },
      async insertAttachment(a: Attachment) {
        // The MAC has its own column (it is unique per host); the rest is one JSON value.
        const { mac: _mac, ...settings } = attachmentSettings(a);
        const rows = self.rows();
        // Column names: the same object is the row the cache keeps.
        const values: Row = {
          id: a.id,
          tenant: a.tenant,
          pool: a.pool,
          consumer_kind: a.consumer.kind,
          consumer_name: a.consumer.name,
          consumer_host: a.consumer.host,
          interface: a.interface,
          host: a.host,
          pf: a.pf,
          pf_netdev: a.pfNetdev,
          vf_index: a.vfIndex,
          vf_pci: a.vfPciAddress,
          numa_node: a.numaNode,
          mac: a.mac,
          settings: JSON.stringify(settings),
          state: a.state,
          detail: a.detail,
          request_key: a.requestKey,
          requested_by: a.requestedBy,
          created_at: a.createdAt,
          updated_at: a.updatedAt,
        };
        const c = a.consumer;
        const other = s.consumerOfAnotherTenant.get(c.host, c.kind, c.name, a.tenant) as
          string | undefined;
        if (other !== undefined)
          throw new ConflictError(
            'consumer-of-another-tenant',
            `${c.kind} ${c.name} holds attachments of another tenant`,
            other,
          );
        try {
          s.insertAttachment.run(values);
        } catch (err) {
          // SQLite undid only the failed statement: the unit can still read who holds the rule.
          const rule = brokenRule(err);
          const holder = (q: Database.Statement, ...args: unknown[]) =>
            (q.get(...args) as string | undefined) ?? null;
          if (rule === 'vf-owned')
            throw new ConflictError(
              rule,
              `VF ${a.vfIndex} of ${a.pf} is already attached`,
              holder(s.vfHolder, a.host, a.pf, a.vfIndex),
            );
          if (rule === 'interface-attached')
            throw new ConflictError(
              rule,
              `${c.kind} ${c.name} already has a VF on interface ${a.interface}`,
              holder(s.interfaceHolder, c.host, c.kind, c.name, a.interface),
            );
          if (rule === 'mac-in-use')
            throw new ConflictError(
              rule,
              `MAC ${a.mac} is already used by another attachment`,
              holder(s.macHolder, a.mac),
            );
          throw err;
        }
        rows.setAttachment(attachmentOf(values), a.id);
      },
      async updateAttachment(
        id: string,
        patch: { state?: AttachmentState; detail?: string | null },
        now: string,
      ) {
        const rows = self.rows();
        const r = s.updateAttachment.run({
          id,
          state: patch.state ?? null,
          setDetail: patch.detail !== undefined ? 1 : 0,
          detail: patch.detail ?? null,
          now,
        });
        const prev = rows.pending.attachment(id);
        if (r.changes === 0 || !prev) return null;
        const after: Attachment = {
          ...prev,
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.detail !== undefined ? { detail: patch.detail } : {}),
          updatedAt: now,
        };
        rows.setAttachment(after, id);
        return copyAttachment(after);
      },
      async deleteAttachment(id: string) {
        const rows = self.rows();
        const gone = s.deleteAttachment.run(id).changes > 0;
        if (gone) rows.setAttachment(null, id);
        return gone;
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
        const rows = self.rows();
        try {
          s.insertToken.run({ ...t });
        } catch (err) {
          if (err instanceof Error && /UNIQUE constraint failed: tokens\.name/.test(err.message))
            throw new ConflictError(
              'exists',
              `a token named ${t.name} exists`,
              (s.tokenHolder.get(t.name) as string | undefined) ?? null,
            );
          throw err;
        }
        rows.setToken({ ...t }, t.hash);
      },
      async deleteToken(id: string) {
        const rows = self.rows();
        const gone = s.deleteToken.run(id).changes > 0;
        const held = rows.pending.tokens().find((t) => t.id === id);
        if (gone && held) rows.setToken(null, held.hash);
        return gone;
      },
    });
    return w;
  }

  async mutate<T>(fn: (tx: LedgerWriter) => Promise<T>, opts: MutateOptions = {}): Promise<T> {
    const durableWait = opts.durable ?? true;
    const run = async (): Promise<{ value: T; durable: Promise<void> }> => {
      // The unit that opens a group needs no savepoint: if it throws, the group holds nothing
      // else, and rolling the whole transaction back undoes exactly this unit.
      const opens = !this.open;
      if (opens) {
        this.tx.begin.run();
        // Under the write lock now: nobody else can commit until this group does.
        this.checkDataVersion();
        // Loaded before the group writes anything, so the cache's committed rows are committed.
        this.rows();
        this.open = true;
        this.scheduleFlush();
      } else this.tx.savepoint.run();
      this.busy = true;
      try {
        const value = await fn(this.writer);
        if (!opens) this.tx.release.run();
        this.cache?.release();
        const durable = new Promise<void>((resolve, reject) =>
          this.waiters.push({ resolve, reject, durable: durableWait }),
        );
        return { value, durable };
      } catch (err) {
        if (opens) {
          // SQLite may already have ended it (a full disk rolls back by itself).
          if (this.db.inTransaction) this.tx.rollback.run();
          this.open = false;
        } else {
          this.tx.rollbackTo.run();
          this.tx.release.run();
        }
        this.cache?.rollbackUnit();
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
  private flushScheduled = false;

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.open) return;
    if (this.busy) {
      this.scheduleFlush();
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    try {
      this.tx.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.cache?.rollbackGroup();
      for (const w of waiters) w.reject(err);
      return;
    }
    this.cache?.commit();
    this.afterCommit();
    for (const w of waiters) if (!w.durable) w.resolve();
    this.unsynced.push(...waiters.filter((w) => w.durable));
    if (this.unsynced.length) this.syncWal();
  }

  /** Keeps the WAL short: a checkpoint on the worker now and then, a blocking one if it fell behind. */
  private afterCommit(): void {
    const c = this.checkpointer;
    if (!c) return;
    if (c.walTooBig) {
      c.walTooBig = false;
      // RESTART, not TRUNCATE: the file keeps its size and the next commits overwrite it.
      this.db.pragma('wal_checkpoint(RESTART)');
    }
    if (++this.commitsSinceCheckpoint >= CHECKPOINT_EVERY) {
      this.commitsSinceCheckpoint = 0;
      void c.request();
    }
  }

  /**
   * Makes everything committed so far durable: fdatasync of the WAL on libuv's thread pool, started
   * at once for each group rather than after the one running. Syncs of one file overlap on this
   * kind of disk (measured on the development VM: 1,700 syncs/s one at a time, 4,000 with four
   * in flight, each returning sooner), and a sync covers every write made before it started, so
   * each group waits for one sync, not for the running one and then its own. Only when MAX_SYNCS
   * are in flight do new groups wait, and the next sync to end starts one for all of them.
   */
  private syncWal(): void {
    if (this.walPath === null) {
      for (const w of this.unsynced.splice(0)) w.resolve();
      return;
    }
    if (this.syncsInFlight >= MAX_SYNCS) return;
    const batch = this.unsynced;
    this.unsynced = [];
    this.walFd ??= openSync(this.walPath, 'r');
    this.syncsInFlight++;
    fdatasync(this.walFd, (err) => {
      this.syncsInFlight--;
      for (const w of batch)
        if (err) w.reject(err);
        else w.resolve();
      if (this.unsynced.length) this.syncWal();
      if (this.syncsInFlight === 0) for (const f of this.synced.splice(0)) f();
    });
  }

  /** Committed units waiting for a sync to start; syncs running; close() waiting for them. */
  private unsynced: Waiter[] = [];
  private syncsInFlight = 0;
  private synced: (() => void)[] = [];

  private closed = false;

  /** Commits what is pending, waits for it to be durable, and closes; a second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    this.flush();
    if (this.syncsInFlight) await new Promise<void>((r) => this.synced.push(r));
    // Closed once: a second close of the number could hit whatever file reused it.
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    // Last: the store's own connection then closes as the last one and checkpoints the rest.
    await this.checkpointer?.close();
    this.db.close();
  }
}
