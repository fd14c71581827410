/**
 * `sriovctl install` and `uninstall` as data: which files go where, which come out, and what to tell
 * the operator about other tools that also manage the same PFs. The CLI renders; the executor writes
 * (src/executor/config-files.ts).
 */
import { checkManagedBy } from '../doctor/pf-managers.js';
import type { HostReader } from '../host/host.js';
import type { Inventory } from '../inventory/types.js';
import type { DesiredPf } from '../policy/desired.js';
import { renderModulesLoad, type BootModule } from './boot-modules.js';
import {
  API_SOCKET,
  APPLIED_STATE_FILE,
  APPLY_UNIT,
  CONFIG_DIR,
  MODULES_LOAD_FILE,
  POLICY_DIR,
  STATE_DIR,
  SYSTEMD_UNIT_DIR,
} from './locations.js';
import { INSTALL_TARGET, renderUnits, UNIT_NAMES, type UnitOptions } from './units.js';

/** A policy file as the operator gave it: its path (for messages and its name) and its text. */
export interface PolicySource {
  file: string;
  text: string;
}

export interface FileWrite {
  path: string;
  content: string;
  mode: number;
  /** For the operator: `policy from ./tenants.yaml`, `systemd unit`. */
  what: string;
}

export interface FileRemoval {
  path: string;
  what: string;
  /** A directory: removed only when empty. */
  dir?: boolean;
}

export interface InstallPlan {
  writes: FileWrite[];
  /** Policies left in policies.d by an earlier install that this one does not carry. */
  removals: FileRemoval[];
}

const POLICY_EXT = /\.(ya?ml|json)$/;

/**
 * The name a policy file gets in policies.d: its basename, with characters outside [A-Za-z0-9._-]
 * replaced and `.yaml` added when it would not be picked up (the boot-time apply reads *.yaml, *.yml
 * and *.json only; JSON is YAML, so `.yaml` fits any policy text).
 */
export function installedName(file: string): string {
  const base = file.split('/').pop() ?? file;
  let name = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '');
  if (name === '') name = 'policy';
  return POLICY_EXT.test(name) ? name : `${name}.yaml`;
}

/** Error text when two sources would land on one name; null when the names are distinct. */
export function nameClash(sources: readonly PolicySource[]): string | null {
  const seen = new Map<string, string>();
  for (const s of sources) {
    const name = installedName(s.file);
    const prev = seen.get(name);
    if (prev !== undefined)
      return `${prev} and ${s.file} would both be installed as ${POLICY_DIR}/${name}`;
    seen.set(name, s.file);
  }
  return null;
}

/** What an earlier install left on the host, as far as the next install replaces it. */
export interface InstalledNow {
  /** Names of the files in policies.d. */
  policies: string[];
  /** /etc/modules-load.d/sriovctl.conf exists. */
  modulesLoad: boolean;
}

/**
 * The files install writes — policies, the modules-load.d file, then units: a unit never points at
 * policies, nor binds to a driver, that the next boot would not have — and what it removes: stale
 * policies, and the modules-load.d file once no policy needs a module.
 */
export function planInstall(
  sources: readonly PolicySource[],
  units: UnitOptions,
  now: InstalledNow,
  modules: readonly BootModule[],
): InstallPlan {
  const writes: FileWrite[] = sources.map((s) => ({
    path: `${POLICY_DIR}/${installedName(s.file)}`,
    content: s.text,
    mode: 0o644,
    what: `policy from ${s.file}`,
  }));
  const kept = new Set(writes.map((w) => w.path));
  const removals: FileRemoval[] = now.policies
    .map((n) => `${POLICY_DIR}/${n}`)
    .filter((p) => !kept.has(p))
    .map((path) => ({ path, what: 'policy from an earlier install' }));
  if (modules.length > 0)
    writes.push({
      path: MODULES_LOAD_FILE,
      content: renderModulesLoad(modules),
      mode: 0o644,
      what: `kernel modules loaded at boot: ${modules.map((m) => m.module).join(', ')}`,
    });
  else if (now.modulesLoad)
    removals.push({
      path: MODULES_LOAD_FILE,
      what: 'kernel modules from an earlier install; these policies need none',
    });
  for (const u of renderUnits(units))
    writes.push({ path: u.path, content: u.text, mode: 0o644, what: 'systemd unit' });
  return { writes, removals };
}

/** Names of the files in policies.d now (empty when it does not exist). */
export async function installedPolicies(host: HostReader): Promise<string[]> {
  if ((await host.entryKind(POLICY_DIR)) !== 'dir') return [];
  return (await host.readDir(POLICY_DIR)).filter((n) => !n.startsWith('.'));
}

/** What an earlier install left that the next one replaces. */
export async function installedNow(host: HostReader): Promise<InstalledNow> {
  return {
    policies: await installedPolicies(host),
    modulesLoad: (await host.entryKind(MODULES_LOAD_FILE)) !== null,
  };
}

/**
 * The units and the modules-load.d file (it exists for the boot-time apply), and with `purge` the
 * installed policies and the recorded state, in removal order.
 */
export async function planUninstall(host: HostReader, purge: boolean): Promise<FileRemoval[]> {
  const out: FileRemoval[] = UNIT_NAMES.map((u) => ({
    path: `${SYSTEMD_UNIT_DIR}/${u}`,
    what: 'systemd unit',
  }));
  out.push({ path: MODULES_LOAD_FILE, what: 'kernel modules loaded at boot' });
  if (!purge) return out;
  for (const n of await installedPolicies(host))
    out.push({ path: `${POLICY_DIR}/${n}`, what: 'installed policy' });
  out.push(
    { path: POLICY_DIR, what: 'policy directory', dir: true },
    { path: CONFIG_DIR, what: 'configuration directory', dir: true },
    { path: APPLIED_STATE_FILE, what: 'applied state' },
    { path: STATE_DIR, what: 'state directory', dir: true },
  );
  return out;
}

/** Units still enabled (their <target>.wants link exists): disable them before removal. */
export async function enabledUnits(host: HostReader): Promise<string[]> {
  const out: string[] = [];
  for (const u of UNIT_NAMES) {
    if ((await host.entryKind(`${SYSTEMD_UNIT_DIR}/${INSTALL_TARGET[u]}.wants/${u}`)) !== null)
      out.push(u);
  }
  return out;
}

/**
 * Why a sriovctl daemon is expected to answer on this host although it may not yet: its socket or
 * service unit is enabled (it is starting, or systemd starts it on the first connection), or its
 * socket exists. null when nothing says a daemon serves this host.
 */
export async function expectedDaemon(host: HostReader): Promise<string | null> {
  const enabled = (await enabledUnits(host)).filter((u) => u !== APPLY_UNIT);
  if (enabled.length > 0)
    return `${enabled.join(' and ')} ${enabled.length === 1 ? 'is' : 'are'} enabled`;
  if ((await host.entryKind(API_SOCKET)) !== null) return `${API_SOCKET} exists`;
  return null;
}

/** Another network manager also configures SR-IOV on a PF the policies touch. */
export interface DoubleManagement {
  pf: string;
  managers: string[];
  /** What happens and why it matters. */
  title: string;
  evidence: string[];
  /** Per manager, how to let go of the PF. */
  fix: string;
}

/**
 * PFs the desired state touches that NetworkManager, netplan or systemd-networkd also manage: at
 * every boot they re-apply their own VF count around sriovctl's, and NetworkManager resets it when
 * the connection goes down. The doctor's check supplies the evidence and the fix per manager.
 */
export function doubleManagement(
  desired: readonly DesiredPf[],
  inv: Inventory,
): DoubleManagement[] {
  const out: DoubleManagement[] = [];
  for (const d of desired) {
    const pf = inv.pfs.find((p) => p.pciAddress === d.pciAddress);
    if (!pf || pf.managedBy.length === 0) continue;
    const check = checkManagedBy(pf);
    out.push({
      pf: pf.netdev ?? pf.pciAddress,
      managers: [...new Set(pf.managedBy.map((m) => m.manager))],
      title: check.title,
      evidence: check.evidence,
      fix: check.fix ?? '',
    });
  }
  return out;
}
