/**
 * Ports of the same model should run the same firmware and driver: mixed NVM versions behave
 * differently (VF limits, link quirks) and are a common source of "works on port 0 only".
 */
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

function modelKey(pf: PfSnapshot): string {
  return `${pf.vendorId}:${pf.deviceId}`;
}

function distinct(values: readonly (string | null)[]): number {
  return new Set(values.filter((v): v is string => v !== null)).size;
}

function firmwareTool(vendorId: string): string {
  switch (vendorId) {
    case '8086':
      return "Intel's NVM Update Utility (nvmupdate64e)";
    case '15b3':
      return '`mlxfwmanager -u`';
    case '14e4':
      return "Broadcom's niccli/bnxtnvm";
    default:
      return "the vendor's firmware update tool";
  }
}

/**
 * devlink keys whose running value differs between the siblings. The headline `firmware.version`
 * can hide an NVM difference (for ice, fw.mgmt is often equal while fw.psid.api/fw.bundle_id differ).
 */
function differingRunningKeys(siblings: readonly PfSnapshot[]): string[] {
  const keys = new Set(siblings.flatMap((p) => Object.keys(p.firmware.running)));
  return [...keys]
    .filter((k) => distinct(siblings.map((p) => p.firmware.running[k] ?? null)) > 1)
    .sort();
}

/** `pf.firmware-consistency`: same vendorId:deviceId PFs report the same firmware and driver versions. */
export function checkFirmwareConsistency(pf: PfSnapshot, inv: Inventory): CheckResult {
  const siblings = inv.pfs.filter((p) => modelKey(p) === modelKey(pf));
  const base = { id: 'pf.firmware-consistency', scope: pf.pciAddress };
  const diffKeys = differingRunningKeys(siblings);
  const line = (p: PfSnapshot) =>
    `${p.pciAddress}${p.netdev ? ` (${p.netdev})` : ''}: firmware ${p.firmware.version ?? 'unknown'}` +
    diffKeys.map((k) => `, ${k} ${p.firmware.running[k] ?? 'unknown'}`).join('') +
    `, driver ${p.driver ?? 'none'} ${p.driverVersion ?? 'unknown'}${p === pf ? ' (this PF)' : ''}`;
  const evidence = siblings.map(line);
  if (siblings.length < 2) {
    return result({
      ...base,
      title: `Only PF of its model (${modelKey(pf)})`,
      status: 'pass',
      evidence,
    });
  }
  const fwDiffers = distinct(siblings.map((p) => p.firmware.version)) > 1 || diffKeys.length > 0;
  const drvDiffers = distinct(siblings.map((p) => p.driverVersion)) > 1;
  if (!fwDiffers && !drvDiffers) {
    return result({
      ...base,
      title: `Firmware and driver match across the ${siblings.length} ${modelKey(pf)} PFs`,
      status: 'pass',
      evidence,
    });
  }
  const what = [fwDiffers ? 'firmware' : null, drvDiffers ? 'driver' : null]
    .filter(Boolean)
    .join(' and ');
  const fixes = [
    fwDiffers
      ? `Update the NVM/firmware with ${firmwareTool(pf.vendorId)} so all ${modelKey(pf)} ports run the same version, then reboot.`
      : null,
    drvDiffers
      ? `Load the same ${pf.driver ?? 'driver'} build for all ${modelKey(pf)} ports.`
      : null,
  ].filter((s): s is string => s !== null);
  return result({
    ...base,
    title: `${what[0]!.toUpperCase()}${what.slice(1)} versions differ across ${siblings.length} ${pf.vendorName} ${pf.deviceName} (${modelKey(pf)}) PFs`,
    status: 'warn',
    evidence,
    fix: fixes.join(' '),
  });
}
