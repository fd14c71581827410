/**
 * Reads on behalf of one caller. A tenant-confined caller sees its own tenant, the pools that
 * tenant may use, its attachments and its audit entries, and learns nothing of other tenants —
 * not even that a name exists: what it may not see is `not-found`, like what does not exist. The
 * rule is written here once; the surfaces ask through a reader and never filter by hand.
 */
import type { Actor } from './actor.js';
import { LedgerError } from './errors.js';
import type { AttachmentFilter, AuditFilter, LedgerReader } from './store.js';
import type { Attachment, AttachmentState, AuditEntry, Pool, Tenant } from './types.js';

/** What a caller may ask of attachments; `tenant` must be its own when it is confined. */
export interface AttachmentQuery {
  tenant?: string;
  pool?: string;
  state?: AttachmentState;
  consumerName?: string;
  /** Only this host's rows. */
  host?: string;
}

/** The audit log as a caller may page it. */
export type AuditQuery = Omit<AuditFilter, 'tenant'> & { tenant?: string };

/** Who holds a VF, as a caller may see it: its own attachment, or only that it is taken. */
export type VfHolder = { visible: true; attachment: Attachment } | { visible: false };

export class ScopedReader {
  /** The tenant the caller is confined to, or null for a host-wide caller. */
  readonly tenant: string | null;

  constructor(
    private readonly store: LedgerReader,
    actor: Actor,
  ) {
    this.tenant = actor.tenant;
  }

  /** The tenant a query may read: its own when confined (asking for another is refused). */
  private scope(asked: string | undefined): string | undefined {
    if (this.tenant !== null && asked !== undefined && asked !== this.tenant)
      throw new LedgerError(
        'forbidden',
        `this token is confined to tenant ${this.tenant}`,
        'tenant',
      );
    return this.tenant ?? asked;
  }

  /** The tenants the caller may see. */
  async tenants(): Promise<Tenant[]> {
    const all = await this.store.listTenants();
    return this.tenant === null ? all : all.filter((x) => x.name === this.tenant);
  }

  /** One tenant; `not-found` when it does not exist or is another's. */
  async tenantNamed(name: string): Promise<Tenant> {
    const t = await this.store.getTenant(name);
    if (!t || (this.tenant !== null && this.tenant !== t.name))
      throw new LedgerError('not-found', `tenant ${name} does not exist`);
    return t;
  }

  /** The pools the caller may see: all, or those its tenant may use. */
  async pools(): Promise<Pool[]> {
    const all = await this.store.listPools();
    if (this.tenant === null) return all;
    const t = await this.store.getTenant(this.tenant);
    return all.filter((p) => t?.pools.includes(p.name));
  }

  /** One pool; `not-found` when it does not exist or the caller's tenant may not use it. */
  async poolNamed(name: string): Promise<Pool> {
    const p = (await this.pools()).find((x) => x.name === name);
    if (!p) throw new LedgerError('not-found', `pool ${name} does not exist`);
    return p;
  }

  /** The attachments the caller may see, filtered. */
  async attachments(q: AttachmentQuery = {}): Promise<Attachment[]> {
    const tenant = this.scope(q.tenant);
    const filter: AttachmentFilter = {
      ...(q.pool !== undefined ? { pool: q.pool } : {}),
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.consumerName !== undefined ? { consumerName: q.consumerName } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(q.host !== undefined ? { host: q.host } : {}),
    };
    const rows = await this.store.listAttachments(filter);
    // The filter's host is the store's to apply; a store that predates it is not trusted with it.
    return q.host === undefined ? rows : rows.filter((a) => a.host === q.host);
  }

  /** One attachment; `not-found` when it does not exist or is another tenant's. */
  async attachment(id: string): Promise<Attachment> {
    const a = await this.store.getAttachment(id);
    if (!a || (this.tenant !== null && a.tenant !== this.tenant))
      throw new LedgerError('not-found', `attachment ${id} does not exist`);
    return a;
  }

  /**
   * Who holds each VF of `host`, by `pf#vfIndex`: the caller's own attachments in full, other
   * tenants' only as taken.
   */
  async vfHolders(host: string): Promise<Map<string, VfHolder>> {
    const rows = (await this.store.listAttachments({ host })).filter((a) => a.host === host);
    return new Map(
      rows.map((a): [string, VfHolder] => [
        `${a.pf}#${a.vfIndex}`,
        this.tenant === null || a.tenant === this.tenant
          ? { visible: true, attachment: a }
          : { visible: false },
      ]),
    );
  }

  /** A page of the audit log, newest first: the caller's tenant's entries when confined. */
  async audit(q: AuditQuery): Promise<AuditEntry[]> {
    const tenant = this.scope(q.tenant);
    const { tenant: _asked, ...rest } = q;
    return this.store.listAudit({ ...rest, ...(tenant !== undefined ? { tenant } : {}) });
  }
}
