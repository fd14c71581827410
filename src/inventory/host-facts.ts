/**
 * Machine-wide facts discovery records next to the PFs: kernel, CPU virtualization, IOMMU state,
 * vfio-pci availability and default routes. Each comes from the file libvirt's virt-host-validate
 * and the kernel docs point at (linux-sriov-abi.md §3).
 */
import type { DefaultRoute, HostReader } from '../host/host.js';
import { failedReadIssue, issue, parseOr } from './issues.js';
import { isAbsent, tryCall, tryReadDir, tryReadFile, type Outcome } from './seam-reads.js';
import { IOMMU_GROUPS_DIR, PCI_DRIVERS_DIR } from './sysfs-entries.js';
import type { DiscoveryIssue, HostFacts, IommuFacts } from './types.js';
import { parseHexRegister } from './values.js';

const HOSTNAME_PATH = '/proc/sys/kernel/hostname';
const OSRELEASE_PATH = '/proc/sys/kernel/osrelease';
const CMDLINE_PATH = '/proc/cmdline';
const CPUINFO_PATH = '/proc/cpuinfo';
const ACPI_TABLES_DIR = '/sys/firmware/acpi/tables';
const IOMMU_CLASS_DIR = '/sys/class/iommu';
const VFIO_PCI_DRIVER_DIR = `${PCI_DRIVERS_DIR}/vfio-pci`;

/** Intel VT-d extended capability register: bit 3 is Interrupt Remapping support. */
const ECAP_IR_BIT = 1n << 3n;

export interface GatherHostFactsOptions {
  /** Where to record problems; a private list is used when omitted. */
  issues?: DiscoveryIssue[];
  /** Routes already fetched by the caller, so discovery asks the kernel once. */
  defaultRoutes?: readonly DefaultRoute[];
  /** The /sys/kernel/iommu_groups listing if the caller already has it (discovery does). */
  iommuGroups?: Promise<Outcome<string[]>>;
}

/** Reads a one-line procfs value, trimmed; '' with an issue when unreadable. */
async function readTrimmed(
  host: HostReader,
  path: string,
  issues: DiscoveryIssue[],
): Promise<string> {
  const read = await tryReadFile(host, path);
  if (read.ok) return read.value.trim();
  issues.push(failedReadIssue(path, read));
  return '';
}

/** The first `key : value` of /proc/cpuinfo for `key`. */
function cpuinfoField(cpuinfo: string, key: string): string | null {
  const m = new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo);
  return m ? m[1]!.trim() : null;
}

/** vmx / svm from the first `flags` line of /proc/cpuinfo. */
export function cpuVirtualizationFrom(cpuinfo: string): 'vmx' | 'svm' | null {
  const flags = (cpuinfoField(cpuinfo, 'flags') ?? '').split(/\s+/);
  if (flags.includes('vmx')) return 'vmx';
  if (flags.includes('svm')) return 'svm';
  return null;
}

/** Interrupt remapping: off when the cmdline disables it, else from the units' capabilities. */
async function readInterruptRemapping(
  host: HostReader,
  units: readonly string[],
  cmdline: string,
  issues: DiscoveryIssue[],
): Promise<boolean | null> {
  // intremap=off / intremap=no_x2apic_optout: only "off" disables remapping outright.
  if (/(^|\s)intremap=off(\s|$)/.test(cmdline)) return false;
  const dmar = units.filter((u) => u.startsWith('dmar'));
  if (dmar.length > 0) {
    const ecaps = await Promise.all(
      dmar.map(async (unit) => {
        const path = `${IOMMU_CLASS_DIR}/${unit}/intel-iommu/ecap`;
        const read = await tryReadFile(host, path);
        if (!read.ok) {
          issues.push(failedReadIssue(path, read));
          return null;
        }
        return parseOr(issues, parseHexRegister, read.value, path, null);
      }),
    );
    if (ecaps.some((e) => e === null)) return null;
    // Remapping is only as good as the weakest unit: every device must be covered.
    return ecaps.every((e) => e !== null && (e & ECAP_IR_BIT) !== 0n);
  }
  // AMD-Vi always provides interrupt remapping when its units are up.
  if (units.some((u) => u.startsWith('ivhd'))) return true;
  return null;
}

async function readIommuFacts(
  host: HostReader,
  cmdline: string,
  issues: DiscoveryIssue[],
  groupsListing: Promise<Outcome<string[]>>,
): Promise<IommuFacts> {
  const [tables, unitsRead, groupsRead] = await Promise.all([
    tryReadDir(host, ACPI_TABLES_DIR),
    tryReadDir(host, IOMMU_CLASS_DIR),
    groupsListing,
  ]);
  if (!tables.ok && !isAbsent(tables)) issues.push(failedReadIssue(ACPI_TABLES_DIR, tables));
  if (!unitsRead.ok && !isAbsent(unitsRead))
    issues.push(failedReadIssue(IOMMU_CLASS_DIR, unitsRead));
  if (!groupsRead.ok && !isAbsent(groupsRead))
    issues.push(failedReadIssue(IOMMU_GROUPS_DIR, groupsRead));

  const tableNames = tables.ok ? tables.value : [];
  const acpiTable = tableNames.includes('DMAR')
    ? 'DMAR'
    : tableNames.includes('IVRS')
      ? 'IVRS'
      : null;
  const units = unitsRead.ok ? unitsRead.value : [];
  const groups = groupsRead.ok ? groupsRead.value.filter((g) => /^[0-9]+$/.test(g)) : [];

  let defaultDomainType: string | null = null;
  if (groups.length > 0) {
    // All groups share the default domain type unless someone changed one by hand; the
    // lowest-numbered group is as representative as any.
    const first = groups.map(Number).sort((a, b) => a - b)[0]!;
    const path = `${IOMMU_GROUPS_DIR}/${first}/type`;
    const read = await tryReadFile(host, path);
    if (read.ok) defaultDomainType = read.value.trim() || null;
    else if (!isAbsent(read)) issues.push(failedReadIssue(path, read));
  }

  const interruptRemapping = await readInterruptRemapping(host, units, cmdline, issues);
  return { acpiTable, units, groupCount: groups.length, defaultDomainType, interruptRemapping };
}

/** vfio-pci loaded (its driver directory exists) or loadable (module file or builtin). */
async function readVfioPci(host: HostReader, kernelRelease: string): Promise<HostFacts['vfioPci']> {
  const kind = await tryCall(() => host.entryKind(VFIO_PCI_DRIVER_DIR));
  if (kind.ok && kind.value !== null) {
    return { loaded: true, available: true, evidence: VFIO_PCI_DRIVER_DIR };
  }
  if (kernelRelease !== '') {
    for (const name of ['modules.builtin', 'modules.dep']) {
      const path = `/lib/modules/${kernelRelease}/${name}`;
      const read = await tryReadFile(host, path);
      // The module file is vfio-pci.ko (module name vfio_pci), possibly compressed (.ko.xz).
      if (read.ok && /(^|\/)vfio[-_]pci\.ko/m.test(read.value)) {
        return { loaded: false, available: true, evidence: path };
      }
    }
  }
  return {
    loaded: false,
    available: false,
    evidence: `${VFIO_PCI_DRIVER_DIR} absent; no vfio-pci.ko in /lib/modules/${kernelRelease || '<release>'}`,
  };
}

/** Gathers the machine-wide facts through the seam; failures become issues, never exceptions. */
export async function gatherHostFacts(
  host: HostReader,
  opts: GatherHostFactsOptions = {},
): Promise<HostFacts> {
  const issues = opts.issues ?? [];
  const routesPromise: Promise<readonly DefaultRoute[]> = opts.defaultRoutes
    ? Promise.resolve(opts.defaultRoutes)
    : tryCall(() => host.defaultRoutes()).then((r) => {
        if (r.ok) return r.value;
        issues.push(
          issue(
            'command-failed',
            'ip route show default',
            `could not list default routes: ${r.message}`,
          ),
        );
        return [];
      });

  const [hostname, kernelRelease, kernelCmdline, cpuinfoRead, routes] = await Promise.all([
    readTrimmed(host, HOSTNAME_PATH, issues),
    readTrimmed(host, OSRELEASE_PATH, issues),
    readTrimmed(host, CMDLINE_PATH, issues),
    tryReadFile(host, CPUINFO_PATH),
    routesPromise,
  ]);
  let cpuinfo = '';
  if (cpuinfoRead.ok) cpuinfo = cpuinfoRead.value;
  else issues.push(failedReadIssue(CPUINFO_PATH, cpuinfoRead));

  const [iommu, vfioPci] = await Promise.all([
    readIommuFacts(
      host,
      kernelCmdline,
      issues,
      opts.iommuGroups ?? tryReadDir(host, IOMMU_GROUPS_DIR),
    ),
    readVfioPci(host, kernelRelease),
  ]);

  return {
    description: host.description,
    hostname,
    kernelRelease,
    kernelCmdline,
    cpuVirtualization: cpuVirtualizationFrom(cpuinfo),
    cpuVendor: cpuinfoField(cpuinfo, 'vendor_id') ?? '',
    iommu,
    vfioPci,
    defaultRouteIfnames: [...new Set(routes.map((r) => r.dev as string))],
  };
}
