/**
 * The host as the API shows it: the inventory (GET /inventory), preflight checks (GET /doctor),
 * capacity (GET /capacity), traffic (GET /traffic and the events stream's `traffic` event) and
 * health (GET /health). Plain JSON: PCI addresses, MACs and names are strings here.
 */
import { z } from 'zod';
import { linkState, timestamp } from './fields.js';

/** 802.1Q (C-tag) or 802.1ad (S-tag, QinQ). */
export const vlanProto = z.enum(['802.1Q', '802.1ad']);
export type VlanProto = z.infer<typeof vlanProto>;

export const eswitchMode = z.enum(['legacy', 'switchdev']);
export type EswitchMode = z.infer<typeof eswitchMode>;

/** Per-VF traffic counters as IFLA_VF_STATS reports them through the PF. */
export const vfCounters = z.strictObject({
  rxBytes: z.number(),
  rxPackets: z.number(),
  rxMulticast: z.number(),
  rxBroadcast: z.number(),
  rxDropped: z.number(),
  txBytes: z.number(),
  txPackets: z.number(),
  txDropped: z.number(),
});
export type VfCounters = z.infer<typeof vfCounters>;

/** A VF's settings as its PF reports them (netlink); a null trust or spoofchk was not reported. */
export const vfConfig = z.strictObject({
  mac: z.string(),
  vlan: z.number().int(),
  qos: z.number().int(),
  vlanProto,
  minTxRate: z.number().int(),
  maxTxRate: z.number().int(),
  spoofchk: z.boolean().nullable(),
  trust: z.boolean().nullable(),
  linkState,
  counters: vfCounters.nullable(),
});
export type VfConfig = z.infer<typeof vfConfig>;

export const vfSnapshot = z.strictObject({
  vfIndex: z.number().int(),
  /** null for netdevsim VFs, which have no PCI function. */
  pciAddress: z.string().nullable(),
  /** The VF's own PCI device ID, hex without 0x (`154c`). */
  deviceId: z.string(),
  driver: z.string().nullable(),
  driverOverride: z.string().nullable(),
  netdev: z.string().nullable(),
  /** MTU of the VF's host netdev (from the link dump), null without one. */
  netdevMtu: z.number().int().nullable().exactOptional(),
  iommuGroup: z.number().int().nullable(),
  numaNode: z.number().int(),
  /**
   * The PF's view of the VF (netlink). null when the PF's VF list was truncated by the kernel and
   * this VF was not in it: its settings are unknown, not unset.
   */
  config: vfConfig.nullable(),
});
export type VfSnapshot = z.infer<typeof vfSnapshot>;

export const firmwareInfo = z.strictObject({
  /** The version string users compare: ethtool firmware-version or devlink's running fw. */
  version: z.string().nullable(),
  running: z.record(z.string(), z.string()),
  stored: z.record(z.string(), z.string()),
  source: z.enum(['devlink', 'ethtool', 'none']),
});

export const pfSnapshot = z.strictObject({
  /** The PCI address; for a netdevsim device (bus: 'netdevsim') its name, `netdevsim<ID>`. */
  pciAddress: z.string(),
  bus: z.literal('netdevsim').exactOptional(),
  vendorId: z.string(),
  deviceId: z.string(),
  subsystemVendorId: z.string().nullable(),
  subsystemDeviceId: z.string().nullable(),
  vendorName: z.string(),
  deviceName: z.string(),
  /** PCI class code, 6 hex digits without 0x (`020000` Ethernet, `010802` NVMe). */
  classCode: z.string().nullable().exactOptional(),
  vfDeviceId: z.string().nullable(),
  driver: z.string().nullable(),
  driverOverride: z.string().nullable().exactOptional(),
  /** The driver implements sriov_configure (numVfs can be changed through sysfs). */
  sriovConfigurable: z.boolean().nullable(),
  driverVersion: z.string().nullable(),
  firmware: firmwareInfo,
  netdev: z.string().nullable(),
  mac: z.string().nullable(),
  mtu: z.number().int().nullable(),
  adminUp: z.boolean().nullable(),
  /** Carrier: operstate up. */
  linkUp: z.boolean().nullable(),
  /** Mbit/s; null when down or unknown. */
  speedMbps: z.number().nullable(),
  numaNode: z.number().int(),
  iommuGroup: z.number().int().nullable(),
  totalVfs: z.number().int(),
  numVfs: z.number().int(),
  vfOffset: z.number().int(),
  vfStride: z.number().int(),
  driversAutoprobe: z.boolean(),
  eswitchMode: eswitchMode.nullable(),
  carriesDefaultRoute: z.boolean(),
  /** Other tools that configure this PF, with the evidence (a file path). */
  managedBy: z.array(
    z.strictObject({
      manager: z.enum(['NetworkManager', 'netplan', 'systemd-networkd']),
      evidence: z.string(),
    }),
  ),
  /** True when the kernel's VF list from netlink did not cover every VF. */
  vfListTruncated: z.boolean(),
  /** VF indexes whose netlink settings could not be read (not in the truncated list). */
  unreadableVfs: z.array(z.number().int()),
  vfs: z.array(vfSnapshot),
});
export type PfSnapshot = z.infer<typeof pfSnapshot>;

export const hostFacts = z.strictObject({
  description: z.strictObject({
    kind: z.enum(['linux', 'sim']),
    name: z.string(),
    fixture: z.string().exactOptional(),
  }),
  hostname: z.string(),
  kernelRelease: z.string(),
  kernelCmdline: z.string(),
  cpuVirtualization: z.enum(['vmx', 'svm']).nullable(),
  cpuVendor: z.string(),
  iommu: z.strictObject({
    acpiTable: z.enum(['DMAR', 'IVRS']).nullable(),
    units: z.array(z.string()),
    groupCount: z.number().int(),
    defaultDomainType: z.string().nullable(),
    interruptRemapping: z.boolean().nullable(),
  }),
  vfioPci: z.strictObject({ loaded: z.boolean(), available: z.boolean(), evidence: z.string() }),
  defaultRouteIfnames: z.array(z.string()),
});
export type HostFacts = z.infer<typeof hostFacts>;

/** What kind of problem a discovery issue reports. */
export const discoveryIssueCode = z.enum([
  'malformed-value',
  'missing-entry',
  'dangling-link',
  'read-failed',
  'command-failed',
  'pf-skipped',
  'vf-skipped',
  'vf-list-truncated',
  'vf-config-unreadable',
  'vf-count-mismatch',
  'vf-address-mismatch',
]);

/** A problem found while reading the host: the path, what was expected, what was there. */
export const discoveryIssue = z.strictObject({
  path: z.string(),
  message: z.string(),
  code: discoveryIssueCode.exactOptional(),
  /** The PF the issue is about, when it is about one. */
  pciAddress: z.string().exactOptional(),
});

/** GET /inventory: everything discovery learned about the host in one pass. */
export const inventory = z.strictObject({
  takenAt: timestamp,
  host: hostFacts,
  pfs: z.array(pfSnapshot),
  issues: z.array(discoveryIssue),
});
export type Inventory = z.infer<typeof inventory>;

/** Ordered from best to worst. */
export const checkStatus = z.enum(['pass', 'info', 'warn', 'fail']);
export type CheckStatus = z.infer<typeof checkStatus>;

/** One preflight check on one scope, with what was observed and the exact fix. */
export const checkResult = z.strictObject({
  /** Stable identifier, e.g. `iommu.enabled`, `pf.default-route`. */
  id: z.string(),
  title: z.string(),
  status: checkStatus,
  /** `host` for machine-wide checks, else the PF it is about. */
  scope: z.string(),
  evidence: z.array(z.string()),
  /** Present whenever status is warn or fail. */
  fix: z.string().exactOptional(),
});
export type CheckResult = z.infer<typeof checkResult>;

/** GET /doctor. */
export const doctorReport = z.strictObject({ results: z.array(checkResult), worst: checkStatus });
export type DoctorReport = z.infer<typeof doctorReport>;

const capacityCounts = {
  totalVfs: z.number().int(),
  numVfs: z.number().int(),
  /** VFs some pool selects. */
  pooledVfs: z.number().int(),
  /** VFs an attachment holds (in any state: a VF being attached or scrubbed is not free). */
  allocatedVfs: z.number().int(),
  /** Existing VFs no attachment holds (pooled or not). */
  freeVfs: z.number().int(),
  /** Sum of the held VFs' minTxRate, Mbit/s. */
  guaranteedMbps: z.number(),
  /** What the links can guarantee, Mbit/s; null when no speed is known (link down). */
  guaranteeCapMbps: z.number().nullable(),
};

export const pfCapacity = z.strictObject({
  /** PCI address (or netdevsim name). */
  pf: z.string(),
  netdev: z.string().nullable(),
  numaNode: z.number().int(),
  driver: z.string().nullable(),
  deviceName: z.string(),
  linkUp: z.boolean().nullable(),
  speedMbps: z.number().nullable(),
  ...capacityCounts,
});
export type PfCapacity = z.infer<typeof pfCapacity>;

export const numaCapacity = z.strictObject({ node: z.number().int(), ...capacityCounts });
export type NumaCapacity = z.infer<typeof numaCapacity>;

/** GET /capacity: VFs and guaranteed bandwidth per PF and per NUMA node. */
export const capacity = z.strictObject({
  pfs: z.array(pfCapacity),
  numa: z.array(numaCapacity),
});
export type Capacity = z.infer<typeof capacity>;

/** One VF's rates over the last sampling interval (per second). */
export const vfRate = z.strictObject({
  /** The PF's netdev. */
  pf: z.string(),
  vf: z.number().int(),
  rxBytesPerS: z.number(),
  txBytesPerS: z.number(),
  rxPacketsPerS: z.number(),
  txPacketsPerS: z.number(),
  rxDroppedPerS: z.number(),
  txDroppedPerS: z.number(),
});
export type VfRate = z.infer<typeof vfRate>;

/** A PF's sums over its VFs with counters. */
export const pfRate = z.strictObject({
  pf: z.string(),
  rxBytesPerS: z.number(),
  txBytesPerS: z.number(),
  /** The PF's netlink VF list was truncated: VFs past it have no counters (not zero traffic). */
  truncated: z.boolean(),
  /** VFs with counters in both samples (what the sums cover). */
  vfsCounted: z.number().int(),
});
export type PfRate = z.infer<typeof pfRate>;

/** GET /traffic and the events stream's `traffic` event. */
export const trafficView = z.strictObject({
  /** When the newer sample was taken (ms since the epoch). */
  at: z.number(),
  /** The span the rates cover; 0 until two samples exist (then pfs and vfs are empty). */
  intervalMs: z.number(),
  /** Per PF (netdev name); absent for tenant tokens. */
  pfs: z.array(pfRate).exactOptional(),
  /** Per VF; a VF missing here has no readable counters (truncated VF list), not zero traffic. */
  vfs: z.array(vfRate),
});
export type TrafficView = z.infer<typeof trafficView>;

export const healthStatus = z.enum(['ok', 'warn', 'fail']);
export type HealthStatus = z.infer<typeof healthStatus>;

/** The health rules, by id. */
export const healthRule = z.enum([
  'pf-link-down',
  'vf-link-down',
  'vf-drops',
  'drift',
  'firmware-mismatch',
  'qos-oversubscribed',
  'doctor',
]);

/** A subject that is not ok, and since when. */
export const healthFinding = z.strictObject({
  rule: healthRule,
  /** `ens1f0` (a PF), `ens1f0#3` (a VF), `host`, `ens1f0:pf.vf-list` (a doctor check). */
  subject: z.string(),
  status: z.enum(['warn', 'fail']),
  message: z.string(),
  evidence: z.array(z.string()),
  fix: z.string().exactOptional(),
  /** The tenant holding the VF the finding is about. */
  tenant: z.string().nullable(),
  pf: z.string().exactOptional(),
  vf: z.number().int().exactOptional(),
  since: timestamp,
});

/** GET /health. */
export const healthReport = z.strictObject({
  /** When the report was evaluated; null before the first pass. */
  at: timestamp.nullable(),
  status: healthStatus,
  rules: z.array(
    z.strictObject({
      rule: healthRule,
      title: z.string(),
      enabled: z.boolean(),
      status: healthStatus,
      since: timestamp,
      findings: z.number().int(),
    }),
  ),
  /** Subjects that are not ok; a subject absent here is ok. */
  findings: z.array(healthFinding),
});
export type HealthReport = z.infer<typeof healthReport>;

/** GET /health's options. */
export const healthQuery = z
  .object({
    /** Evaluate now instead of answering the last scheduled pass. */
    fresh: z.enum(['true', 'false']).optional(),
  })
  .strict();

/** The counts PFs and NUMA nodes share. */
export type CapacityCounts = Omit<NumaCapacity, 'node'>;
