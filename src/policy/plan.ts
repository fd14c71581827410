/**
 * The planner: the difference between the desired state and a discovered host, as ordered steps in
 * the order real drivers need (linux-sriov-abi.md; issue 4): PF up and MTU, eswitch mode, the VF
 * count (through 0 when it must change), wait for the VFs, admin MACs while the VFs are still on
 * their host driver, driver changes, the remaining VF settings, and PF down last. Each step says
 * whether it is planned because the host differs or because the current values cannot be read
 * (steps.ts, StepBasis). Pure: snapshot in (plus what the ledger knows, as data), plan out.
 */
import type { EswitchMode } from '../host/host.js';
import type { MacAddress, PciAddress, PfId } from '../host/names.js';
import { diffVfSettings, settingsFor, type VfSettings } from '../host/vf-settings.js';
import type { PfSnapshot, VfConfig, VfSnapshot, Inventory } from '../inventory/types.js';
import { formatRange } from './ranges.js';
import type { PfAdminState } from './schema.js';
import type { Plan, PlanRefusal, Step, VfDriverTarget } from './steps.js';

/** What the planner needs of a desired PF (the resolved policies give exactly this). */
export interface PlanTarget {
  pciAddress: PfId;
  numVfs: number;
  mtu?: number | undefined;
  eswitchMode?: EswitchMode | undefined;
  /** The PF's administrative state; absent or `unchanged`: left alone unless creating VFs needs it up. */
  adminState?: PfAdminState | undefined;
  /** What the daemon does about drift on this PF (the planner ignores it). */
  drift?: 'report' | 'repair' | undefined;
  vfs: readonly {
    vfIndex: number;
    driver: VfDriverTarget;
    settings: VfSettings;
    mtu?: number | undefined;
  }[];
}

/** What an allocation ledger knows about one VF: free in one of its pools, or held. */
export interface LedgerVf {
  /** The PF's PCI address (or netdevsim<ID>). */
  pf: string;
  vfIndex: number;
  /** null: in a pool and held by nobody; otherwise who holds it, for messages. */
  heldBy: string | null;
}

export interface PlanOptions {
  /** Allow disruptive steps on the PF that carries the default route. */
  allowDefaultRoute?: boolean;
  /** Allow destroying or rebinding VFs that look in use. */
  force?: boolean;
  /**
   * What the daemon's ledger knows about VFs. Where it knows a VF, that replaces the driver
   * heuristic of vfLooksInUse: a free VF on vfio-pci is not in use, a held one is whatever its driver.
   */
  ledger?: readonly LedgerVf[];
}

/** The host VF driver each PF driver's VFs bind to by ID table. */
export const HOST_VF_DRIVER: Record<string, string> = {
  ixgbe: 'ixgbevf',
  i40e: 'iavf',
  ice: 'iavf',
  mlx5_core: 'mlx5_core',
  bnxt_en: 'bnxt_en',
  nvme: 'nvme',
};

/** Drivers whose devlink eswitch change is refused while VFs exist (ice). */
const ESWITCH_NEEDS_NO_VFS = new Set(['ice']);

/** Drivers that create VFs only while the PF is up (bnxt_en: the sriov_numvfs write does nothing). */
const VF_CREATION_NEEDS_UP = new Set(['bnxt_en']);

/**
 * Whether a VF is in use: what the ledger says when it knows the VF (`known`), otherwise whether
 * it looks in use by a consumer sriovctl cannot see: bound to vfio-pci (a VM may hold it), or bound
 * to its host driver with its netdev gone from the host namespace (moved into a container).
 */
export function vfLooksInUse(
  vf: VfSnapshot,
  hostDriver: string | undefined,
  known?: LedgerVf,
): string | null {
  if (known) return known.heldBy === null ? null : `VF ${vf.vfIndex} is held by ${known.heldBy}`;
  if (vf.driver === 'vfio-pci')
    return `VF ${vf.vfIndex} is bound to vfio-pci (a VM may be using it)`;
  if (
    vf.driver !== null &&
    vf.driver === hostDriver &&
    vf.netdev === null &&
    hostDriver !== 'nvme'
  ) {
    return `VF ${vf.vfIndex} has no netdev in the host namespace (moved into a container?)`;
  }
  return null;
}

/**
 * A VF's wanted settings split by the one comparison of VF settings: what differs from its current
 * config, and what cannot be compared (`unreadable`: the VF is not in the kernel's list; or a field
 * the driver does not report). Fresh VFs (`config` null, readable) get everything set.
 */
function splitSettings(
  want: VfSettings,
  config: VfConfig | null,
  unreadable: boolean,
): { differs: VfSettings; unknown: VfSettings } {
  const d = diffVfSettings(want, config);
  // Without a config every field is unknown to the comparison; for a fresh VF that means "set".
  if (config === null && !unreadable) return { differs: settingsFor(want, d.fields), unknown: {} };
  return { differs: settingsFor(want, d.differs), unknown: settingsFor(want, d.unknown) };
}

/** The settings without the MAC (set in a step of its own, before any driver change). */
function withoutMac(s: VfSettings): VfSettings {
  const { mac: _mac, ...rest } = s;
  return rest;
}

function differs(fields: string[]): string {
  return `${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'} from the policy`;
}

function planPf(
  t: PlanTarget,
  cur: PfSnapshot,
  opts: PlanOptions,
  refusals: PlanRefusal[],
  notes: string[],
): Step[] {
  const steps: Step[] = [];
  const base = { pf: cur.pciAddress, netdev: cur.netdev, basis: 'differs' as const };
  const hostDriver = cur.driver ? HOST_VF_DRIVER[cur.driver] : undefined;
  const known = new Map(
    (opts.ledger ?? []).filter((l) => l.pf === cur.pciAddress).map((l) => [l.vfIndex, l]),
  );
  const eswitchChange = t.eswitchMode !== undefined && cur.eswitchMode !== t.eswitchMode;
  const resetForEswitch =
    eswitchChange && cur.numVfs > 0 && ESWITCH_NEEDS_NO_VFS.has(cur.driver ?? '');
  const recreate = cur.numVfs !== t.numVfs || resetForEswitch;
  const adminState = t.adminState ?? 'unchanged';
  // The admin state is the policy's to set; left unchanged, it is touched only when creating VFs
  // needs the PF up.
  const upToCreate =
    recreate && t.numVfs > 0 && cur.adminUp === false && VF_CREATION_NEEDS_UP.has(cur.driver ?? '');

  if (cur.netdev && cur.adminUp === false && (adminState === 'up' || upToCreate)) {
    steps.push({
      ...base,
      kind: 'pfUp',
      vfs: [],
      what: `bring ${cur.netdev} up`,
      why:
        adminState === 'up'
          ? 'the PF is down; the policy sets adminState: up'
          : `the PF is down and ${cur.driver} creates VFs only on an up PF (the policy leaves adminState ${adminState === 'down' ? 'down: it goes down again last' : 'unchanged: it stays up'})`,
    });
  }
  if (t.mtu !== undefined && cur.netdev && cur.mtu !== t.mtu) {
    steps.push({
      ...base,
      kind: 'pfMtu',
      from: cur.mtu,
      to: t.mtu,
      vfs: [],
      what: `set MTU of ${cur.netdev} to ${t.mtu}`,
      why: `MTU is ${cur.mtu ?? 'unknown'}, policy wants ${t.mtu}`,
      disruptive: 'most drivers reset the link when the MTU changes',
    });
  }
  const existing = cur.vfs.map((v) => v.vfIndex);
  if (resetForEswitch) {
    steps.push({
      ...base,
      kind: 'numVfs',
      from: cur.numVfs,
      to: 0,
      vfs: existing,
      what: `remove the ${cur.numVfs} VFs of ${cur.netdev ?? cur.pciAddress}`,
      why: `${cur.driver} changes the eswitch mode only while no VFs exist`,
      disruptive: `destroys VFs ${formatRange(existing)}`,
    });
  }
  if (eswitchChange) {
    steps.push({
      ...base,
      kind: 'eswitchMode',
      from: cur.eswitchMode,
      to: t.eswitchMode!,
      vfs: [],
      what: `set eswitch mode of ${cur.pciAddress} to ${t.eswitchMode}`,
      why: `eswitch mode is ${cur.eswitchMode ?? 'unknown'}, policy wants ${t.eswitchMode}`,
      disruptive: 'changes the datapath of every VF (representors appear or go)',
    });
  }
  if (recreate) {
    const from = resetForEswitch ? 0 : cur.numVfs;
    const destroyed = from > 0 ? existing : [];
    steps.push({
      ...base,
      kind: 'numVfs',
      from,
      to: t.numVfs,
      vfs: t.numVfs > 0 ? [...Array(t.numVfs).keys()] : destroyed,
      what:
        from > 0 && t.numVfs > 0
          ? `recreate VFs of ${cur.netdev ?? cur.pciAddress}: ${from} → 0 → ${t.numVfs}`
          : `set VFs of ${cur.netdev ?? cur.pciAddress}: ${from} → ${t.numVfs}`,
      why: `numVfs is ${cur.numVfs}, policy wants ${t.numVfs}`,
      ...(destroyed.length ? { disruptive: `destroys VFs ${formatRange(destroyed)}` } : {}),
    });
    const inUse = (from > 0 ? cur.vfs : [])
      .map((v) => vfLooksInUse(v, hostDriver, known.get(v.vfIndex)))
      .filter((x): x is string => x !== null);
    if (inUse.length && !opts.force) {
      refusals.push({
        pf: cur.pciAddress,
        override: 'force',
        reason: `changing numVfs destroys VFs that look in use: ${inUse.join('; ')}`,
      });
    }
    if (t.numVfs > 0) {
      steps.push({
        ...base,
        kind: 'waitVfs',
        count: t.numVfs,
        netdevs: cur.netdev !== null && hostDriver !== undefined && hostDriver !== 'nvme',
        vfs: [...Array(t.numVfs).keys()],
        what: `wait for ${t.numVfs} VFs${cur.netdev ? ' and their netdevs' : ''}`,
        why: 'VF drivers probe asynchronously and netdevs register late',
      });
    }
  }

  // Per-VF state after the steps above: fresh VFs start on their host driver with unknown settings.
  const current = (
    i: number,
  ): {
    driver: string | null;
    config: VfConfig | null;
    device: PciAddress | null;
    snap?: VfSnapshot;
  } => {
    // New VFs bind to their host driver only when the PF's autoprobe is on.
    if (recreate)
      return {
        driver: cur.driversAutoprobe ? (hostDriver ?? null) : null,
        config: null,
        device: null,
      };
    const v = cur.vfs.find((x) => x.vfIndex === i);
    return v
      ? { driver: v.driver, config: v.config, device: v.pciAddress, snap: v }
      : { driver: null, config: null, device: null };
  };
  // What differs, and (for VFs whose settings cannot be read) what is set without comparing.
  const macs: { vf: number; mac: MacAddress }[] = [];
  const blindMacs: { vf: number; mac: MacAddress }[] = [];
  const drivers: Extract<Step, { kind: 'vfDrivers' }>['changes'] = [];
  const settings: { vf: number; settings: VfSettings }[] = [];
  const blindSettings: { vf: number; settings: VfSettings }[] = [];
  /** Settings of listed VFs that the driver does not report (spoofchk or trust left at -1). */
  const unreported: { vf: number; settings: VfSettings }[] = [];
  const mtus: { vf: number; mtu: number }[] = [];
  /** VFs bound now that a driver change takes from a driver or from the ledger's consumer. */
  const taken: number[] = [];
  for (const want of t.vfs) {
    const c = current(want.vfIndex);
    // Existing VFs without a netlink view: their settings are unknown, not unset.
    const unknown = !recreate && c.config === null && cur.netdev !== null;
    const split = splitSettings(want.settings, recreate ? null : c.config, unknown);
    if (split.differs.mac !== undefined) macs.push({ vf: want.vfIndex, mac: split.differs.mac });
    else if (split.unknown.mac !== undefined)
      blindMacs.push({ vf: want.vfIndex, mac: split.unknown.mac });
    // netdevsim VFs have no PCI function: there is no driver to change (validation refuses
    // vfio-pci for them).
    const onTarget =
      cur.bus === 'netdevsim' ||
      (want.driver === 'vfio-pci'
        ? c.driver === 'vfio-pci'
        : want.driver === 'none'
          ? c.driver === null
          : c.driver !== null && c.driver !== 'vfio-pci');
    if (!onTarget) {
      drivers.push({ vf: want.vfIndex, device: c.device, from: c.driver, to: want.driver });
      const ledgerVf = known.get(want.vfIndex);
      if (!recreate && (c.driver !== null || (ledgerVf !== undefined && ledgerVf.heldBy !== null)))
        taken.push(want.vfIndex);
      const busy = c.snap ? vfLooksInUse(c.snap, hostDriver, ledgerVf) : null;
      if (busy && !opts.force)
        refusals.push({ pf: cur.pciAddress, override: 'force', reason: `rebinding ${busy}` });
    }
    // A VF netdev MTU only exists on the host driver; after a rebind or recreation it is unknown.
    const curMtu = recreate || !onTarget ? null : (c.snap?.netdevMtu ?? null);
    if (want.mtu !== undefined && want.driver === 'host' && curMtu !== want.mtu) {
      mtus.push({ vf: want.vfIndex, mtu: want.mtu });
    }
    const change = withoutMac(split.differs);
    if (Object.keys(change).length) settings.push({ vf: want.vfIndex, settings: change });
    const blind = withoutMac(split.unknown);
    for (const k of Object.keys(change) as (keyof VfSettings)[]) delete blind[k];
    if (Object.keys(blind).length)
      (unknown ? blindSettings : unreported).push({ vf: want.vfIndex, settings: blind });
  }
  const name = cur.netdev ?? cur.pciAddress;
  const blindVfs = [...new Set([...blindMacs, ...blindSettings].map((x) => x.vf))];
  const unreadWhy = cur.vfListTruncated
    ? "the kernel's netlink VF list is truncated before them"
    : 'netlink did not report them';
  if (blindVfs.length) {
    notes.push(
      `${name}: VFs ${formatRange(blindVfs)} are not in the kernel's netlink VF list (${unreadWhy}); their settings cannot be read, so they are set without comparing every time and cannot be verified`,
    );
  }
  if (macs.length) {
    steps.push({
      ...base,
      kind: 'vfMacs',
      macs,
      vfs: macs.map((m) => m.vf),
      what: `set admin MACs of VFs ${formatRange(macs.map((m) => m.vf))} on ${name}`,
      why: 'set while the VFs are still on their host driver, so the VF driver picks the MAC up',
    });
  }
  if (blindMacs.length) {
    const idx = blindMacs.map((m) => m.vf);
    steps.push({
      ...base,
      basis: 'unknown',
      kind: 'vfMacs',
      macs: blindMacs,
      vfs: idx,
      what: `set admin MACs of VFs ${formatRange(idx)} on ${name} (current MACs cannot be read)`,
      why: `cannot be verified: ${unreadWhy}; set before any driver change, without comparing`,
    });
  }
  if (drivers.length) {
    const idx = drivers.map((d) => d.vf);
    // Binding a VF nobody has (no driver, no consumer) takes it from no one; recreated VFs are
    // new. Only VFs taken away from a driver or a consumer make the step disruptive.
    steps.push({
      ...base,
      kind: 'vfDrivers',
      changes: drivers,
      vfs: idx,
      what: `bind VFs ${formatRange(idx)} of ${name}: ${[...new Set(drivers.map((d) => d.to))].join(', ')}`,
      why:
        drivers
          .map((d) => `VF ${d.vf} on ${d.from ?? 'no driver'}, wants ${d.to}`)
          .slice(0, 3)
          .join('; ') + (drivers.length > 3 ? '; ...' : ''),
      ...(taken.length
        ? {
            disruptive: `rebinding takes ${taken.length === 1 ? 'VF' : 'VFs'} ${formatRange(taken)} away from ${taken.length === 1 ? 'its' : 'their'} current driver and user`,
          }
        : {}),
    });
  }
  if (settings.length) {
    steps.push({
      ...base,
      kind: 'vfSettings',
      settings,
      vfs: settings.map((s) => s.vf),
      what: `apply VF settings to VFs ${formatRange(settings.map((s) => s.vf))} of ${name}`,
      why: differs([...new Set(settings.flatMap((s) => Object.keys(s.settings)))]),
    });
  }
  if (blindSettings.length) {
    const idx = blindSettings.map((s) => s.vf);
    const fields = [...new Set(blindSettings.flatMap((s) => Object.keys(s.settings)))];
    steps.push({
      ...base,
      basis: 'unknown',
      kind: 'vfSettings',
      settings: blindSettings,
      vfs: idx,
      what: `apply VF settings to VFs ${formatRange(idx)} of ${name} (current settings cannot be read)`,
      why: `${fields.join(', ')} cannot be verified: ${unreadWhy}; set without comparing`,
    });
  }
  if (unreported.length) {
    const idx = unreported.map((s) => s.vf);
    const fields = [...new Set(unreported.flatMap((s) => Object.keys(s.settings)))];
    const what = `${cur.driver ?? 'the driver'} does not report ${fields.join(', ')}`;
    notes.push(
      `${name}: ${what} of VFs ${formatRange(idx)}; ${fields.length === 1 ? 'it is' : 'they are'} set without comparing every time and cannot be verified`,
    );
    steps.push({
      ...base,
      basis: 'unknown',
      kind: 'vfSettings',
      settings: unreported,
      vfs: idx,
      what: `apply VF settings to VFs ${formatRange(idx)} of ${name} (${what})`,
      why: `${fields.join(', ')} cannot be verified: ${what}; set without comparing`,
    });
  }
  if (mtus.length) {
    steps.push({
      ...base,
      kind: 'vfMtu',
      mtus,
      vfs: mtus.map((m) => m.vf),
      what: `set the netdev MTU of VFs ${formatRange(mtus.map((m) => m.vf))} of ${name}`,
      why: `VF netdev MTU differs from the policy (${[...new Set(mtus.map((m) => m.mtu))].join(', ')})`,
    });
  }
  if (cur.netdev && adminState === 'down' && (cur.adminUp === true || upToCreate)) {
    steps.push({
      ...base,
      kind: 'pfDown',
      vfs: [],
      what: `bring ${cur.netdev} down`,
      why: upToCreate
        ? `the policy sets adminState: down (it was brought up only to create VFs: ${cur.driver} needs it)`
        : 'the PF is up; the policy sets adminState: down',
      disruptive: "takes the PF's link down: its VFs lose their uplink",
    });
  }
  if (cur.carriesDefaultRoute && !opts.allowDefaultRoute && steps.some((s) => s.disruptive)) {
    refusals.push({
      pf: cur.pciAddress,
      override: 'allowDefaultRoute',
      reason: `${name} carries the default route; disruptive changes could cut this host off the network`,
    });
  }
  return steps;
}

/** Plans the changes that bring `inv` to the desired state. */
export function planChanges(
  desired: readonly PlanTarget[],
  inv: Inventory,
  opts: PlanOptions = {},
): Plan {
  const steps: Step[] = [];
  const refusals: PlanRefusal[] = [];
  const notes: string[] = [];
  for (const t of desired) {
    const cur = inv.pfs.find((p) => p.pciAddress === t.pciAddress);
    if (!cur) {
      notes.push(`${t.pciAddress} is not on this host; nothing planned for it`);
      continue;
    }
    steps.push(...planPf(t, cur, opts, refusals, notes));
  }
  return { steps, refusals, notes };
}
