/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how far a database has come.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the first ledger.
  `
  CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE pools (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    pool TEXT NOT NULL REFERENCES pools(name),
    consumer_kind TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    consumer_host TEXT NOT NULL,
    interface TEXT NOT NULL,
    host TEXT NOT NULL,
    pf TEXT NOT NULL,
    pf_netdev TEXT NOT NULL,
    vf_index INTEGER NOT NULL,
    vf_pci TEXT,
    numa_node INTEGER NOT NULL,
    mac TEXT NOT NULL,
    settings TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('attaching', 'attached', 'detaching', 'failed', 'orphaned')),
    detail TEXT,
    request_key TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Isolation lives here: one owner per VF, one VF per consumer interface, one user per MAC.
    UNIQUE (host, pf, vf_index),
    UNIQUE (consumer_host, consumer_kind, consumer_name, interface),
    UNIQUE (host, mac)
  );
  CREATE INDEX attachments_tenant ON attachments (tenant);
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    tenant TEXT,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT,
    request_id TEXT
  );
  CREATE INDEX audit_tenant ON audit (tenant, seq);
  CREATE INDEX audit_target ON audit (target, seq);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TABLE idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
  );
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    tenant TEXT,
    created_at TEXT NOT NULL
  );
  `,
  // 2: fewer pages written per commit. Attachments are one b-tree keyed by id (WITHOUT ROWID: no
  // separate rowid table behind the primary key); the tenant index goes (the daemon reads
  // attachments from memory); audit seq drops AUTOINCREMENT, which rewrote sqlite_sequence on
  // every insert (rows are never deleted, so rowids are never reused either way).
  `
  CREATE TABLE attachments_v2 (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    pool TEXT NOT NULL REFERENCES pools(name),
    consumer_kind TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    consumer_host TEXT NOT NULL,
    interface TEXT NOT NULL,
    host TEXT NOT NULL,
    pf TEXT NOT NULL,
    pf_netdev TEXT NOT NULL,
    vf_index INTEGER NOT NULL,
    vf_pci TEXT,
    numa_node INTEGER NOT NULL,
    mac TEXT NOT NULL,
    settings TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('attaching', 'attached', 'detaching', 'failed', 'orphaned')),
    detail TEXT,
    request_key TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (host, pf, vf_index),
    UNIQUE (consumer_host, consumer_kind, consumer_name, interface),
    UNIQUE (host, mac)
  ) WITHOUT ROWID;
  INSERT INTO attachments_v2 SELECT id, tenant, pool, consumer_kind, consumer_name, consumer_host,
    interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node, mac, settings, state, detail,
    request_key, requested_by, created_at, updated_at FROM attachments;
  DROP TABLE attachments;
  ALTER TABLE attachments_v2 RENAME TO attachments;

  CREATE TABLE audit_v2 (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    tenant TEXT,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT,
    request_id TEXT
  );
  INSERT INTO audit_v2 SELECT seq, at, actor, action, tenant, target, before, after, request_id
    FROM audit;
  -- Dropping a table drops its triggers first: the append-only rule does not stop this.
  DROP TABLE audit;
  ALTER TABLE audit_v2 RENAME TO audit;
  CREATE INDEX audit_tenant ON audit (tenant, seq);
  CREATE INDEX audit_target ON audit (target, seq);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 3: secrets of this ledger (the key consumer MACs are derived with); the store fills in their
  // random values when it opens the file, from the operating system's generator.
  `
  CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 4: VFs without a network. A PF without a netdev (NVMe, accelerators) passes its VFs through
  // by driver alone: their attachments have no PF netdev and no MAC (NULLs are distinct in the
  // UNIQUE (host, mac) constraint, so any number of them can exist).
  `
  CREATE TABLE attachments_v4 (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    pool TEXT NOT NULL REFERENCES pools(name),
    consumer_kind TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    consumer_host TEXT NOT NULL,
    interface TEXT NOT NULL,
    host TEXT NOT NULL,
    pf TEXT NOT NULL,
    pf_netdev TEXT,
    vf_index INTEGER NOT NULL,
    vf_pci TEXT,
    numa_node INTEGER NOT NULL,
    mac TEXT,
    settings TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('attaching', 'attached', 'detaching', 'failed', 'orphaned')),
    detail TEXT,
    request_key TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (host, pf, vf_index),
    UNIQUE (consumer_host, consumer_kind, consumer_name, interface),
    UNIQUE (host, mac)
  ) WITHOUT ROWID;
  INSERT INTO attachments_v4 SELECT id, tenant, pool, consumer_kind, consumer_name, consumer_host,
    interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node, mac, settings, state, detail,
    request_key, requested_by, created_at, updated_at FROM attachments;
  DROP TABLE attachments;
  ALTER TABLE attachments_v4 RENAME TO attachments;
  `,
  // 5: a ledger ready for many hosts. A MAC is unique across the ledger, not per host: a MAC must
  // be unique in its L2 domain and VLANs span the hosts of a fleet. The VF stays (host, PF, VF
  // index): identical servers share PCI addresses. That constraint's index also serves reads by
  // host. A ledger of one host holds the same rows either way; one where a renamed host left rows
  // with the MAC of a newer one stops here (see migrate() for the message).
  `
  CREATE TABLE attachments_v5 (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    pool TEXT NOT NULL REFERENCES pools(name),
    consumer_kind TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    consumer_host TEXT NOT NULL,
    interface TEXT NOT NULL,
    host TEXT NOT NULL,
    pf TEXT NOT NULL,
    pf_netdev TEXT,
    vf_index INTEGER NOT NULL,
    vf_pci TEXT,
    numa_node INTEGER NOT NULL,
    mac TEXT,
    settings TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('attaching', 'attached', 'detaching', 'failed', 'orphaned')),
    detail TEXT,
    request_key TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (host, pf, vf_index),
    UNIQUE (consumer_host, consumer_kind, consumer_name, interface),
    UNIQUE (mac)
  ) WITHOUT ROWID;
  INSERT INTO attachments_v5 SELECT id, tenant, pool, consumer_kind, consumer_name, consumer_host,
    interface, host, pf, pf_netdev, vf_index, vf_pci, numa_node, mac, settings, state, detail,
    request_key, requested_by, created_at, updated_at FROM attachments;
  DROP TABLE attachments;
  ALTER TABLE attachments_v5 RENAME TO attachments;
  `,
];
