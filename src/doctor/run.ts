/** runDoctor: every preflight check, as a pure function of one inventory snapshot. */
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { checkBootModules, type BootModuleFacts } from './boot-modules.js';
import { checkFirmwareConsistency } from './consistency.js';
import { checkCpuVirtualization } from './host-cpu.js';
import { checkInterruptRemapping, checkIommuEnabled, checkIommuPassthrough } from './host-iommu.js';
import { checkVfioPci } from './host-vfio.js';
import { checkVfIsolation } from './pf-isolation.js';
import { checkDefaultRoute, checkPfLink } from './pf-link.js';
import { checkManagedBy } from './pf-managers.js';
import { checkVfList } from './pf-netlink.js';
import { checkPfDriver, checkSriovCapable, checkTotalVfs } from './pf-sriov.js';
import { result, worstOf } from './result.js';
import type { CheckResult, DoctorReport } from './types.js';

/** The message shown whenever a host has no SR-IOV PF, shared with the CLI's inventory output. */
export const NO_SRIOV_DEVICES =
  'No SR-IOV capable devices found on this host (no PCI device under /sys/bus/pci/devices has sriov_totalvfs).';

/** Where each PF was found: PCI PFs by sriov_totalvfs, netdevsim devices on their own bus. */
function pfEvidence(inv: Inventory): string[] {
  const pci = inv.pfs.filter((p) => p.bus !== 'netdevsim').map((p) => p.pciAddress);
  const nsim = inv.pfs.filter((p) => p.bus === 'netdevsim').map((p) => p.pciAddress);
  const out: string[] = [];
  if (pci.length) out.push(`/sys/bus/pci/devices/*/sriov_totalvfs: ${pci.join(', ')}`);
  if (nsim.length) out.push(`/sys/bus/netdevsim/devices/*/sriov_numvfs: ${nsim.join(', ')}`);
  return out;
}

function checkHasPfs(inv: Inventory): CheckResult {
  const n = inv.pfs.length;
  if (n === 0) {
    return result({
      id: 'host.sriov-devices',
      title: NO_SRIOV_DEVICES,
      status: 'info',
      scope: 'host',
      evidence: [
        '/sys/bus/pci/devices/*/sriov_totalvfs: none',
        '/sys/bus/netdevsim/devices/*/sriov_numvfs: none',
      ],
    });
  }
  return result({
    id: 'host.sriov-devices',
    title: `${n} SR-IOV capable PF${n === 1 ? '' : 's'} found`,
    status: 'pass',
    scope: 'host',
    evidence: pfEvidence(inv),
  });
}

/** The host-wide checks, in the order a user would fix them (platform first). */
export function hostChecks(inv: Inventory): CheckResult[] {
  const h = inv.host;
  return [
    checkHasPfs(inv),
    checkIommuEnabled(h),
    checkIommuPassthrough(h),
    checkInterruptRemapping(h),
    checkCpuVirtualization(h),
    checkVfioPci(h),
  ];
}

/** The checks for one PF. A PF with SR-IOV disabled gets only the checks that still mean something. */
export function pfChecks(pf: PfSnapshot, inv: Inventory): CheckResult[] {
  // netdevsim is not PCI: no SR-IOV capability, PCI driver, IOMMU groups or firmware to check.
  if (pf.bus === 'netdevsim')
    return [checkPfLink(pf), checkDefaultRoute(pf), checkManagedBy(pf), checkVfList(pf)];
  const capable = checkSriovCapable(pf);
  const out = [capable, checkPfDriver(pf)];
  if (capable.status === 'pass') out.push(checkTotalVfs(pf));
  out.push(checkPfLink(pf), checkDefaultRoute(pf), checkManagedBy(pf));
  if (capable.status === 'pass') out.push(checkVfIsolation(pf, inv), checkVfList(pf));
  out.push(checkFirmwareConsistency(pf, inv));
  return out;
}

/** What sriovctl itself stored on the host that checks look at, beyond the inventory snapshot. */
export interface StoredFacts {
  /** The installed policies and the kernel modules they need at boot (`boot.modules`). */
  bootModules?: BootModuleFacts;
}

/** Runs every check: host checks first (then the installed state's), then each PF in inventory order. */
export function runDoctor(inv: Inventory, stored: StoredFacts = {}): DoctorReport {
  const boot = stored.bootModules ? checkBootModules(stored.bootModules) : null;
  const results = [
    ...hostChecks(inv),
    ...(boot ? [boot] : []),
    ...inv.pfs.flatMap((pf) => pfChecks(pf, inv)),
  ];
  return { results, worst: worstOf(results.map((r) => r.status)) };
}
