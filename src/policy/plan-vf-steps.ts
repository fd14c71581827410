/**
 * The planner's VF-level steps, made from the comparison (plan-vfs.ts) in the order drivers need:
 * admin MACs while the VFs are still on their host driver, driver changes, the other settings, the
 * netdev MTUs. Pure.
 */
import type { PfSnapshot } from '../inventory/types.js';
import { stepBase } from './plan-pf.js';
import type { VfDifferences, VfSettingsOf } from './plan-vfs.js';
import { formatRange } from './ranges.js';
import type { Step } from './steps.js';

function differsWhy(fields: string[]): string {
  return `${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'} from the policy`;
}

/** The field names across a list of per-VF settings, each once. */
function fieldsOf(list: readonly VfSettingsOf[]): string[] {
  return [...new Set(list.flatMap((s) => Object.keys(s.settings)))];
}

/** Why VFs' settings cannot be read. */
function unreadWhy(cur: PfSnapshot): string {
  return cur.vfListTruncated
    ? "the kernel's netlink VF list is truncated before them"
    : 'netlink did not report them';
}

/** The admin MAC steps: compared ones, then the ones set blind. */
function macSteps(cur: PfSnapshot, d: VfDifferences): Step[] {
  const name = cur.netdev ?? cur.pciAddress;
  const steps: Step[] = [];
  if (d.macs.length) {
    steps.push({
      ...stepBase(cur),
      kind: 'vfMacs',
      macs: d.macs,
      vfs: d.macs.map((m) => m.vf),
      what: `set admin MACs of VFs ${formatRange(d.macs.map((m) => m.vf))} on ${name}`,
      why: 'set while the VFs are still on their host driver, so the VF driver picks the MAC up',
    });
  }
  if (d.blindMacs.length) {
    const idx = d.blindMacs.map((m) => m.vf);
    steps.push({
      ...stepBase(cur),
      basis: 'unknown',
      kind: 'vfMacs',
      macs: d.blindMacs,
      vfs: idx,
      what: `set admin MACs of VFs ${formatRange(idx)} on ${name} (current MACs cannot be read)`,
      why: `cannot be verified: ${unreadWhy(cur)}; set before any driver change, without comparing`,
    });
  }
  return steps;
}

/** The driver changes, disruptive only where they take a VF from a driver or a consumer. */
function driverStep(cur: PfSnapshot, d: VfDifferences): Step | null {
  const { drivers, taken } = d;
  if (!drivers.length) return null;
  const idx = drivers.map((x) => x.vf);
  // Binding a VF nobody has (no driver, no consumer) takes it from no one; recreated VFs are
  // new. Only VFs taken away from a driver or a consumer make the step disruptive.
  return {
    ...stepBase(cur),
    kind: 'vfDrivers',
    changes: drivers,
    vfs: idx,
    what: `bind VFs ${formatRange(idx)} of ${cur.netdev ?? cur.pciAddress}: ${[...new Set(drivers.map((x) => x.to))].join(', ')}`,
    why:
      drivers
        .map((x) => `VF ${x.vf} on ${x.from ?? 'no driver'}, wants ${x.to}`)
        .slice(0, 3)
        .join('; ') + (drivers.length > 3 ? '; ...' : ''),
    ...(taken.length
      ? {
          disruptive: `rebinding takes ${taken.length === 1 ? 'VF' : 'VFs'} ${formatRange(taken)} away from ${taken.length === 1 ? 'its' : 'their'} current driver and user`,
        }
      : {}),
  };
}

/** The other settings: those that differ, those of unlisted VFs, those the driver does not report. */
function settingsSteps(cur: PfSnapshot, d: VfDifferences, notes: string[]): Step[] {
  const name = cur.netdev ?? cur.pciAddress;
  const steps: Step[] = [];
  if (d.settings.length) {
    steps.push({
      ...stepBase(cur),
      kind: 'vfSettings',
      settings: d.settings,
      vfs: d.settings.map((s) => s.vf),
      what: `apply VF settings to VFs ${formatRange(d.settings.map((s) => s.vf))} of ${name}`,
      why: differsWhy(fieldsOf(d.settings)),
    });
  }
  if (d.blindSettings.length) {
    const idx = d.blindSettings.map((s) => s.vf);
    steps.push({
      ...stepBase(cur),
      basis: 'unknown',
      kind: 'vfSettings',
      settings: d.blindSettings,
      vfs: idx,
      what: `apply VF settings to VFs ${formatRange(idx)} of ${name} (current settings cannot be read)`,
      why: `${fieldsOf(d.blindSettings).join(', ')} cannot be verified: ${unreadWhy(cur)}; set without comparing`,
    });
  }
  if (d.unreported.length) {
    const idx = d.unreported.map((s) => s.vf);
    const fields = fieldsOf(d.unreported);
    const what = `${cur.driver ?? 'the driver'} does not report ${fields.join(', ')}`;
    notes.push(
      `${name}: ${what} of VFs ${formatRange(idx)}; ${fields.length === 1 ? 'it is' : 'they are'} set without comparing every time and cannot be verified`,
    );
    steps.push({
      ...stepBase(cur),
      basis: 'unknown',
      kind: 'vfSettings',
      settings: d.unreported,
      vfs: idx,
      what: `apply VF settings to VFs ${formatRange(idx)} of ${name} (${what})`,
      why: `${fields.join(', ')} cannot be verified: ${what}; set without comparing`,
    });
  }
  return steps;
}

/** The VF netdev MTUs. */
function vfMtuStep(cur: PfSnapshot, d: VfDifferences): Step | null {
  if (!d.mtus.length) return null;
  return {
    ...stepBase(cur),
    kind: 'vfMtu',
    mtus: d.mtus,
    vfs: d.mtus.map((m) => m.vf),
    what: `set the netdev MTU of VFs ${formatRange(d.mtus.map((m) => m.vf))} of ${cur.netdev ?? cur.pciAddress}`,
    why: `VF netdev MTU differs from the policy (${[...new Set(d.mtus.map((m) => m.mtu))].join(', ')})`,
  };
}

/** The VF-level steps in the order drivers need; notes say what is set without comparing. */
export function vfSteps(cur: PfSnapshot, d: VfDifferences, notes: string[]): Step[] {
  const blindVfs = [...new Set([...d.blindMacs, ...d.blindSettings].map((x) => x.vf))];
  if (blindVfs.length) {
    notes.push(
      `${cur.netdev ?? cur.pciAddress}: VFs ${formatRange(blindVfs)} are not in the kernel's netlink VF list (${unreadWhy(cur)}); their settings cannot be read, so they are set without comparing every time and cannot be verified`,
    );
  }
  const steps = [...macSteps(cur, d)];
  const drivers = driverStep(cur, d);
  if (drivers) steps.push(drivers);
  steps.push(...settingsSteps(cur, d, notes));
  const mtus = vfMtuStep(cur, d);
  if (mtus) steps.push(mtus);
  return steps;
}
