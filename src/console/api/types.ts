/**
 * The JSON the REST API answers, as the console reads it. These mirror the server's types
 * (src/ledger/types.ts, src/inventory/types.ts, src/doctor/types.ts, src/policy/steps.ts) but are
 * declared here: the console is built for the browser and must not pull server modules in.
 */

export type Role = 'admin' | 'operator' | 'viewer';

export interface WhoAmI {
  name: string;
  role: Role;
  tenant: string | null;
  host: string;
}

export interface ListOf<T> {
  items: T[];
}

export interface Tenant {
  name: string;
  description?: string;
  pools: string[];
  vlans: string;
  maxVfs?: number;
  maxGuaranteedMbps?: number;
  allowTrust: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PoolSelector {
  pfNames?: string[];
  pciAddresses?: string[];
  vendor?: string;
  deviceID?: string;
  drivers?: string[];
  vfRange?: string;
}

export interface Pool {
  name: string;
  description?: string;
  selector: PoolSelector;
  vfDriver: 'vfio-pci' | 'host';
  createdAt: string;
  updatedAt: string;
}

export interface PoolVf {
  pf: string;
  pfNetdev: string | null;
  vfIndex: number;
  pciAddress: string | null;
  numaNode: number;
  driver: string | null;
  /** `unusable`: free, but the pool's driver cannot work with it on this host. */
  status: 'free' | 'taken' | 'unusable';
  unusable?: { reason: string; fix: string };
  attachment?: string;
  tenant?: string;
  consumer?: Consumer;
  state?: AttachmentState;
}

export interface Consumer {
  kind: 'vm' | 'pod' | 'process';
  name: string;
  host: string;
}

export type AttachmentState = 'attaching' | 'attached' | 'detaching' | 'failed' | 'orphaned';

export interface Attachment {
  id: string;
  tenant: string;
  pool: string;
  consumer: Consumer;
  interface: string;
  host: string;
  pf: string;
  /** null: the PF has no netdev (NVMe, accelerators), and the VF no network settings. */
  pfNetdev: string | null;
  vfIndex: number;
  vfPciAddress: string | null;
  numaNode: number;
  state: AttachmentState;
  detail: string | null;
  requestKey: string | null;
  requestedBy: string;
  mac: string | null;
  vlan: number;
  qos: number;
  /** Absent from a daemon older than attachments' VLAN protocol (they were all 802.1Q). */
  vlanProto?: '802.1Q' | '802.1ad';
  minTxRate: number;
  maxTxRate: number;
  trust: boolean;
  spoofchk: boolean;
  linkState: 'auto' | 'enable' | 'disable';
  createdAt: string;
  updatedAt: string;
}

export interface PlacementExplanation {
  poolVfs: number;
  excluded: { rule: string; count: number }[];
  candidates: number;
  strategy: 'spread' | 'pack';
}

export interface PlacementPreview {
  ok: boolean;
  reason?: string;
  code?: string;
  fix?: string;
  choices: {
    pf: string;
    pfNetdev: string | null;
    vfIndex: number;
    numaNode: number;
    why: string;
  }[];
  placement: PlacementExplanation | null;
}

export interface AttachResult {
  attachments: Attachment[];
  placement: PlacementExplanation;
  reasons: string[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  tenant: string | null;
  target: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next: number | null;
}

// Inventory (GET /inventory), the parts the console shows.

export interface VfConfig {
  mac: string;
  vlan: number;
  qos: number;
  vlanProto: string;
  minTxRate: number;
  maxTxRate: number;
  spoofchk: boolean | null;
  trust: boolean | null;
  linkState: 'auto' | 'enable' | 'disable';
  counters: {
    rxBytes: number;
    rxPackets: number;
    rxDropped: number;
    txBytes: number;
    txPackets: number;
    txDropped: number;
  } | null;
}

export interface VfSnapshot {
  vfIndex: number;
  pciAddress: string | null;
  deviceId: string;
  driver: string | null;
  driverOverride: string | null;
  netdev: string | null;
  iommuGroup: number | null;
  numaNode: number;
  config: VfConfig | null;
}

export interface PfSnapshot {
  pciAddress: string;
  vendorId: string;
  deviceId: string;
  vendorName: string;
  deviceName: string;
  driver: string | null;
  driverVersion: string | null;
  firmware: { version: string | null };
  netdev: string | null;
  mac: string | null;
  mtu: number | null;
  adminUp: boolean | null;
  linkUp: boolean | null;
  speedMbps: number | null;
  numaNode: number;
  totalVfs: number;
  numVfs: number;
  eswitchMode: 'legacy' | 'switchdev' | null;
  carriesDefaultRoute: boolean;
  vfListTruncated: boolean;
  unreadableVfs: number[];
  vfs: VfSnapshot[];
}

export interface Inventory {
  takenAt: string;
  host: { hostname: string; kernelRelease: string };
  pfs: PfSnapshot[];
  issues: { path: string; message: string; code?: string; pciAddress?: string }[];
}

export type CheckStatus = 'pass' | 'info' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  scope: string;
  evidence: string[];
  fix?: string;
}

export interface DoctorReport {
  results: CheckResult[];
  worst: CheckStatus;
}

export interface CapacityCounts {
  totalVfs: number;
  numVfs: number;
  pooledVfs: number;
  allocatedVfs: number;
  freeVfs: number;
  guaranteedMbps: number;
  guaranteeCapMbps: number;
}

export interface PfCapacity extends CapacityCounts {
  pf: string;
  netdev: string | null;
  numaNode: number;
  driver: string | null;
  deviceName: string;
  linkUp: boolean | null;
  speedMbps: number | null;
}

export interface NumaCapacity extends CapacityCounts {
  node: number;
}

export interface Capacity {
  pfs: PfCapacity[];
  numa: NumaCapacity[];
}

export interface PlanStep {
  kind: string;
  pf: string;
  netdev: string | null;
  what: string;
  why: string;
  /** Set (to the reason) when the step destroys VFs, rebinds drivers or takes a link down. */
  disruptive?: string | boolean;
  vfs?: number[];
  /** `unknown`: planned because the current values cannot be read; never verifiable. */
  basis?: 'differs' | 'unknown';
}

export interface PlanResponse {
  plan: {
    steps: PlanStep[];
    refusals: { pf: string; reason: string; override: string }[];
    notes: string[];
  };
  affected: { step: number; attachments: Attachment[] }[];
  warnings: string[];
}

export interface DaemonEvent {
  id: number;
  at: string;
  kind: string;
  level: 'info' | 'warn' | 'error';
  message: string;
  tenant: string | null;
  data: Record<string, unknown>;
}

export interface ApplyStepData {
  operation: string;
  index: number;
  total: number;
  what: string;
  status: 'start' | 'done' | 'failed' | 'skipped';
  error?: string;
  hint?: string;
}

export interface ApplyDoneData {
  operation: string;
  ok: boolean;
  error?: string;
  hint?: string;
  /** Settings the read-back could not verify (VFs the kernel's netlink VF list leaves out). */
  unverifiedSettings?: number;
}
