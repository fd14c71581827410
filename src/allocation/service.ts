/**
 * The allocation service: attach, preview, detach and reconcile VFs of this host, over a ledger
 * that holds no Host. The surfaces (API, CLI, daemon) and the integrations to come call this, never
 * a store. Every operation runs on the host gate (shared; a policy apply holds it alone) with the
 * attachments it works on claimed. The crash protocol: attach reserves rows (`attaching`) before
 * touching the kernel, configures, then marks them `attached`; detach marks `detaching`, scrubs,
 * then deletes; so a crash at any point leaves rows that say what to finish, and reconcile
 * finishes it: no VF is ever owned twice and no answered attachment is lost.
 */
import type { HeldGate, HostGate } from '../executor/host-gate.js';
import type { Host, HostReader } from '../host/host.js';
import type { InventoryCache } from '../inventory/inventory-cache.js';
import type { RequestContext } from '../ledger/actor.js';
import type { LedgerEvent, ReconcileReport } from '../ledger/events.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PlacementConfig } from '../ledger/placement.js';
import type { AttachRequest, Attachment } from '../ledger/types.js';
import { Abandoned } from './abandoned.js';
import { attach, type AttachResult } from './attach.js';
import { Claims } from './claims.js';
import { hostRows, type AllocationDeps } from './deps.js';
import { detach } from './detach.js';
import { AllocationEvents } from './events.js';
import { preview, type PlacementPreview } from './preview.js';
import { reconcile } from './reconcile.js';
import { auditRefusal, confine } from './rules.js';

export type { AttachResult } from './attach.js';
export type { PlacementPreview } from './preview.js';
export { failedWayOut } from './deps.js';

/** The default deadline of one kernel operation allocation starts. */
export const DEFAULT_KERNEL_TIMEOUT_MS = 30_000;

export interface AllocationOptions {
  ledger: Ledger;
  host: Host;
  inventory: InventoryCache;
  /** This host's name: attachments record it, consumers default to it, queries carry it. */
  hostname: string;
  placement?: Partial<PlacementConfig>;
  now?: () => Date;
  /**
   * The deadline of each kernel operation (a netlink batch, a sysfs write); default
   * DEFAULT_KERNEL_TIMEOUT_MS. One that misses it fails its request, and its VF stays out of the
   * pool until the operation returns and a reconcile has compared the VF with the kernel.
   */
  timeoutMs?: number;
  /** Called with what a background reconcile (after a late kernel answer) could not do. */
  onBackgroundError?: (err: unknown) => void;
  /**
   * Shared with the host-wide operations (policy apply, drift repair) of the same daemon: attach,
   * detach and reconcile are refused while one of them holds the host. Default: a gate of its own.
   */
  gate?: HostGate;
}

export class AllocationService {
  readonly ledger: Ledger;
  /** The host, for reading (doctor's facts); allocation writes only through the executor. */
  readonly host: HostReader;
  readonly inventory: InventoryCache;
  readonly hostname: string;
  readonly placementConfig: PlacementConfig;
  private readonly deps: AllocationDeps;

  constructor(opts: AllocationOptions) {
    const now = opts.now ?? (() => new Date());
    const stamp = () => now().toISOString();
    this.ledger = opts.ledger;
    this.host = opts.host;
    this.inventory = opts.inventory;
    this.hostname = opts.hostname;
    this.placementConfig = { oversubscription: opts.placement?.oversubscription ?? 1.0 };
    this.deps = {
      ledger: opts.ledger,
      store: opts.ledger.store,
      host: opts.host,
      inventory: opts.inventory,
      hostname: opts.hostname,
      placementConfig: this.placementConfig,
      stamp,
      timeoutMs: opts.timeoutMs ?? DEFAULT_KERNEL_TIMEOUT_MS,
      claims: new Claims(opts.gate),
      abandoned: new Abandoned({
        stamp,
        reconcile: () => this.reconcile(),
        onBackgroundError: opts.onBackgroundError ?? (() => undefined),
      }),
      events: new AllocationEvents(),
    };
  }

  /** Attach, detach and reconcile run shared; a policy apply or repair holds it alone. */
  get gate(): HostGate {
    return this.deps.claims.gate;
  }

  /** How many attachments operations hold right now (none when all have ended). */
  get claimed(): number {
    return this.deps.claims.size;
  }

  /** Subscribes to every ledger change, the catalog's and allocation's; returns the unsubscribe. */
  onEvent(fn: (e: LedgerEvent) => void): () => void {
    const offCatalog = this.ledger.onEvent(fn);
    const offAllocation = this.deps.events.on(fn);
    return () => {
      offCatalog();
      offAllocation();
    };
  }

  /** What an attach request would get, without attaching anything. */
  preview(ctx: RequestContext, req: AttachRequest): Promise<PlacementPreview> {
    return preview(this.deps, ctx, req);
  }

  /** Places, reserves, configures and records VFs for a consumer. */
  async attach(ctx: RequestContext, req: AttachRequest): Promise<AttachResult> {
    confine(ctx, req.tenant);
    return this.deps.claims
      .run((claim) => attach(this.deps, ctx, req, claim))
      .catch((err: unknown) => {
        auditRefusal(this.deps, ctx, err);
        throw err;
      });
  }

  /**
   * Scrubs the attachment's VF and releases it. With `force` (for admins: the surface checks the
   * role), a VF the kernel will not scrub — or whose timed-out kernel operation has not returned —
   * is released anyway, unscrubbed; the next attach sets every setting it needs.
   */
  detach(ctx: RequestContext, id: string, opts: { force?: boolean } = {}): Promise<Attachment> {
    return this.deps.claims.run((claim) => detach(this.deps, ctx, id, claim, opts.force === true));
  }

  /**
   * Brings kernel and ledger together after a restart, reboot or crash (see reconcile.ts). `held`:
   * run inside a host-wide operation that holds the gate.
   */
  reconcile(opts: { held?: HeldGate } = {}): Promise<ReconcileReport> {
    return this.deps.claims.run((claim) => reconcile(this.deps, claim), opts.held);
  }

  /** This host's attachments, every tenant's (for host-wide operations: policy apply). */
  attachments(): Promise<Attachment[]> {
    return hostRows(this.ledger.store, this.hostname);
  }

  /** Resolves once no background reconcile (after a late kernel answer) is queued or running. */
  idle(): Promise<void> {
    return this.deps.abandoned.idle();
  }
}
