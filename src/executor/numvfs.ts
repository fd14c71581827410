/**
 * Changing a PF's VF count through sriov_numvfs, with the kernel's rules made explicit: N → M needs a
 * reset through 0 (which destroys every VF), a driver may accept a count and enable fewer, and VF
 * creation takes time. Every refusal comes back as an OperationError with the explanation and fix.
 */
import { KernelError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { isNetdevsimDevice, type PfId } from '../host/names.js';
import { OperationError } from './errors.js';
import type { Operation } from './explain.js';
import { readDriver, readNumber } from './sysfs-read.js';

const DEVICES = '/sys/bus/pci/devices';

/**
 * The sysfs directory holding a PF's sriov_numvfs: PCI devices under /sys/bus/pci/devices, netdevsim
 * devices (not PCI; linux-sriov-abi.md §5) under /sys/bus/netdevsim/devices.
 */
export function pfSysfsDir(pf: PfId): string {
  return isNetdevsimDevice(pf) ? `/sys/bus/netdevsim/devices/${pf}` : `${DEVICES}/${pf}`;
}

/** netdevsim's VF limit: debugfs max_vfs when readable (root, debugfs mounted), else unknown. */
async function netdevsimMaxVfs(host: Host, pf: PfId): Promise<number | undefined> {
  try {
    return await readNumber(host, `/sys/kernel/debug/netdevsim/${pf}/max_vfs`);
  } catch {
    return undefined;
  }
}

export interface NumVfsOptions {
  /** Allow N → M through 0, destroying every existing VF. */
  allowReset?: boolean;
  /** Deadline for each sriov_numvfs write (disable alone takes at least a second). */
  timeoutMs?: number;
}

export interface NumVfsChange {
  pf: PfId;
  before: number;
  after: number;
  /** The values written, in order (e.g. ['0', '8'] for a reset). */
  writes: string[];
}

/** Writes sriov_numvfs once; a refusal becomes an OperationError explaining it for this PF. */
export async function writeNumVfs(
  host: Host,
  pf: PfId,
  value: number,
  context: { from: number; totalVfs?: number; driver?: string | null },
  timeoutMs?: number,
): Promise<void> {
  const path = `${pfSysfsDir(pf)}/sriov_numvfs`;
  const op: Operation = { kind: 'numVfs', pf, from: context.from, to: value, ...optional(context) };
  try {
    await host.writeFile(path, String(value), timeoutMs === undefined ? {} : { timeoutMs });
  } catch (err) {
    if (err instanceof KernelError)
      throw OperationError.fromKernel(op, `write ${path} = ${value}`, err);
    throw err;
  }
}

function optional(c: { totalVfs?: number; driver?: string | null }) {
  return {
    ...(c.totalVfs === undefined ? {} : { totalVfs: c.totalVfs }),
    ...(c.driver === undefined ? {} : { driver: c.driver }),
  };
}

/**
 * Sets a PF's VF count. A no-op when it already has `count`; through 0 only with `allowReset`;
 * verified by reading sriov_numvfs back, because some drivers (bnxt with the link down) accept a
 * count and enable nothing.
 */
export async function setNumVfs(
  host: Host,
  pf: PfId,
  count: number,
  opts: NumVfsOptions = {},
): Promise<NumVfsChange> {
  const dir = pfSysfsDir(pf);
  const before = await readNumber(host, `${dir}/sriov_numvfs`);
  // netdevsim has no sriov_totalvfs and no PCI driver link; its limit is debugfs max_vfs.
  const nsim = isNetdevsimDevice(pf);
  const totalVfs = nsim
    ? await netdevsimMaxVfs(host, pf)
    : await readNumber(host, `${dir}/sriov_totalvfs`);
  const driver = nsim ? 'netdevsim' : await readDriver(host, pf);
  const context = { driver, ...(totalVfs === undefined ? {} : { totalVfs }) };
  const writes: string[] = [];
  if (before === count) return { pf, before, after: count, writes };
  const op: Operation = {
    kind: 'numVfs',
    pf,
    from: before,
    to: count,
    driver,
    ...(totalVfs === undefined ? {} : { totalVfs }),
  };
  if (before !== 0 && count !== 0) {
    if (!opts.allowReset) {
      throw new OperationError(
        op,
        `change ${pf} from ${before} to ${count} VFs`,
        'EBUSY',
        `${pf} has ${before} VFs; going to ${count} means writing 0 first, which destroys every VF`,
        'confirm the reset (it is disruptive), or keep the current count',
      );
    }
    await writeNumVfs(host, pf, 0, { from: before, ...context }, opts.timeoutMs);
    writes.push('0');
  }
  await writeNumVfs(
    host,
    pf,
    count,
    { from: writes.length ? 0 : before, ...context },
    opts.timeoutMs,
  );
  writes.push(String(count));
  const after = await readNumber(host, `${dir}/sriov_numvfs`);
  if (after !== count) {
    throw new OperationError(
      op,
      `write ${dir}/sriov_numvfs = ${count}`,
      null,
      `the driver (${driver ?? 'none'}) accepted ${count} VFs but enabled ${after}${driver === 'bnxt_en' ? ' — bnxt_en does this while the interface is down' : ''}`,
      driver === 'bnxt_en'
        ? 'bring the PF up (`ip link set dev <pf> up`) and retry'
        : "check `dmesg` for the driver's message",
    );
  }
  return { pf, before, after, writes };
}
