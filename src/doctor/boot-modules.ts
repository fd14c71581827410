/**
 * `boot.modules`: will the drivers the installed policies bind VFs to be there at the next boot?
 * The boot-time apply runs after systemd-modules-load; a driver bound through driver_override
 * (vfio-pci) is loaded by nothing else at boot (no modalias matches a VF to it), so a module that is
 * neither listed in modules-load.d nor built in makes that apply fail and leaves the VFs driverless.
 */
import { result } from './result.js';
import type { CheckResult } from './types.js';

/** One kernel module the installed policies need, and what the host says about it. */
export interface BootModuleNeed {
  /** The driver the policies name (`vfio-pci`). */
  driver: string;
  /** The module that provides it, as modprobe and /sys/module name it (`vfio_pci`). */
  module: string;
  /** The installed policies that need it. */
  policies: string[];
  /** Where it is set to load at boot (`/etc/modules-load.d/sriovctl.conf:3`), or null. */
  listedIn: string | null;
  /** Built into the kernel (modules.builtin names it): present at every boot. */
  builtin: boolean;
  /** Its driver is registered now (/sys/bus/pci/drivers/<driver> exists). */
  loaded: boolean;
}

/** What the check reads: the installed policies and, per module they need, where it comes from. */
export interface BootModuleFacts {
  /** The installed policy directory. */
  policyDir: string;
  /** Its policy files; empty when nothing is installed. */
  policyFiles: string[];
  /** Located problems in those files (they keep the boot-time apply from running at all). */
  policyProblems: string[];
  needs: BootModuleNeed[];
  /** The modules-load.d files that were read, for the evidence. */
  filesRead: string[];
  /** The file `sriovctl install` writes. */
  installFile: string;
}

/** `boot.modules`; null when no policies are installed (nothing runs at boot to need a module). */
export function checkBootModules(f: BootModuleFacts): CheckResult | null {
  if (f.policyFiles.length === 0 && f.policyProblems.length === 0) return null;
  const base = { id: 'boot.modules', scope: 'host' as const };
  const installed = `${f.policyDir}: ${f.policyFiles.length} policy file(s)`;
  if (f.policyProblems.length > 0) {
    return result({
      ...base,
      status: 'warn',
      title: `cannot tell which kernel modules the installed policies need: ${f.policyDir} does not load`,
      evidence: [installed, ...f.policyProblems.slice(0, 3)],
      fix: `Fix the problem above (the boot-time apply cannot use these policies either), then re-run \`sriovctl install -f ${f.policyDir}\`.`,
    });
  }
  if (f.needs.length === 0) {
    return result({
      ...base,
      status: 'pass',
      title:
        'the installed policies need no module loaded at boot (udev loads a PF’s own VF driver when the VFs appear)',
      evidence: [installed],
    });
  }
  const missing = f.needs.filter((n) => n.listedIn === null && !n.builtin);
  const evidence = [
    installed,
    ...f.needs.map((n) => {
      const from = n.builtin
        ? 'built into the kernel'
        : (n.listedIn ??
          `not listed in ${f.filesRead.length ? f.filesRead.join(', ') : 'any modules-load.d file'}`);
      return `${n.module} (driver ${n.driver}, policy ${n.policies.join(', ')}): ${from}; ${n.loaded ? 'loaded now' : 'not loaded now'}`;
    }),
  ];
  if (missing.length === 0) {
    return result({
      ...base,
      status: 'pass',
      title: `the modules the installed policies need load at boot: ${f.needs.map((n) => n.module).join(', ')}`,
      evidence,
    });
  }
  const names = missing.map((n) => n.module);
  const drivers = [...new Set(missing.map((n) => n.driver))].join(', ');
  const notLoaded = missing.filter((n) => !n.loaded);
  const fix =
    `Run \`sriovctl install -f ${f.policyDir}\` again: it writes ${f.installFile} listing ${names.join(', ')}` +
    ` (or add ${names.length === 1 ? 'that line' : 'those lines'} to any /etc/modules-load.d/*.conf yourself)` +
    (notLoaded.length
      ? `; \`modprobe -a ${notLoaded.map((n) => n.module).join(' ')}\` loads it now.`
      : '.');
  if (notLoaded.length > 0) {
    return result({
      ...base,
      status: 'fail',
      title: `${notLoaded.map((n) => n.module).join(', ')} ${notLoaded.length === 1 ? 'is' : 'are'} not loaded and not listed in modules-load.d: the boot-time apply cannot bind VFs to ${drivers}`,
      evidence,
      fix,
    });
  }
  return result({
    ...base,
    status: 'warn',
    title: `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} loaded now but not listed in modules-load.d: after a reboot the boot-time apply cannot bind VFs to ${drivers}`,
    evidence,
    fix,
  });
}
