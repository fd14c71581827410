/**
 * Moving a PCI function between drivers the way driverctl and dpdk-devbind do it safely
 * (linux-sriov-abi.md §2.4): set driver_override, unbind from the current driver, probe, verify the
 * driver link, and clear the override afterwards. A failed probe puts the device back on the driver
 * it had, so the host is never left with a VF nobody owns by accident.
 */
import { KernelError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { DriverName, PciAddress } from '../host/names.js';
import { OperationError } from './errors.js';
import type { Operation } from './explain.js';
import { readDriver, readIommuGroup } from './sysfs-read.js';
import { waitFor, type WaitOptions } from './wait.js';

const DEVICES = '/sys/bus/pci/devices';
const DRIVERS = '/sys/bus/pci/drivers';
const PROBE = '/sys/bus/pci/drivers_probe';

export interface BindResult {
  device: PciAddress;
  before: DriverName | null;
  after: DriverName | null;
  /** The sysfs writes made, in order, as `path = value`. */
  writes: string[];
  /** For vfio-pci: the group node that appeared. */
  vfioGroup?: string;
}

export interface BindOptions {
  timeoutMs?: number;
  /** How long to wait for /dev/vfio/<group> after binding vfio-pci. */
  wait?: WaitOptions;
}

class Writer {
  readonly writes: string[] = [];
  constructor(
    private readonly host: Host,
    private readonly op: Operation,
    private readonly timeoutMs: number | undefined,
  ) {}

  async write(path: string, value: string): Promise<void> {
    this.writes.push(`${path} = ${JSON.stringify(value)}`);
    try {
      await this.host.writeFile(
        path,
        value,
        this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs },
      );
    } catch (err) {
      if (err instanceof KernelError)
        throw OperationError.fromKernel(this.op, `write ${path} = ${JSON.stringify(value)}`, err);
      throw err;
    }
  }
}

/**
 * Unbinds `device` from `driver`. A driver may let the device go on its own between the read of its
 * driver link and this write (nvme drops QEMU's offline secondary controllers about 0.5 s after
 * binding them): the kernel then answers ENODEV, and a device found on no driver is exactly what
 * the unbind was for. On any other driver it is a real failure.
 */
async function unbind(
  host: Host,
  w: Writer,
  device: PciAddress,
  driver: DriverName,
): Promise<void> {
  try {
    await w.write(`${DRIVERS}/${driver}/unbind`, device);
  } catch (err) {
    if (err instanceof OperationError && err.errno === 'ENODEV') {
      if ((await readDriver(host, device)) === null) return;
    }
    throw err;
  }
}

/**
 * Binds `device` to `driver`, or with `driver` null returns it to the driver its ID matches (the
 * host default). A no-op when it is already there.
 */
export async function bindDriver(
  host: Host,
  device: PciAddress,
  driver: DriverName | null,
  opts: BindOptions = {},
): Promise<BindResult> {
  const before = await readDriver(host, device);
  if (driver !== null && before === driver) return { device, before, after: before, writes: [] };
  const op: Operation = { kind: 'bind', device, driver: driver ?? 'its default driver' };
  const w = new Writer(host, op, opts.timeoutMs);
  const dir = `${DEVICES}/${device}`;

  let group: number | null = null;
  if (driver === 'vfio-pci') {
    group = await readIommuGroup(host, device);
    // Refuse before touching anything: vfio-pci's probe would fail with EINVAL and leave the
    // device unbound.
    if (group === null) {
      throw new OperationError(
        op,
        `bind ${device} to vfio-pci`,
        'EINVAL',
        `${device} has no IOMMU group: the IOMMU is off, so vfio-pci cannot take it`,
        'enable the IOMMU (`intel_iommu=on` or `amd_iommu=on` on the kernel command line) and reboot',
      );
    }
  }

  try {
    // Empty override ("\n") clears it, so the ID tables decide again.
    await w.write(`${dir}/driver_override`, driver === null ? '\n' : driver);
    if (before !== null) await unbind(host, w, device, before);
    await w.write(PROBE, device);
  } catch (err) {
    await restore(host, device, before, opts.timeoutMs);
    throw err;
  }

  const after = await readDriver(host, device);
  if (driver !== null && after !== driver) {
    await restore(host, device, before, opts.timeoutMs);
    throw new OperationError(
      op,
      `bind ${device} to ${driver}`,
      null,
      `${driver} did not bind ${device} (the probe failed or the driver is not loaded); it was returned to ${before ?? 'no driver'}`,
      `check that ${driver} is loaded (\`modprobe ${driver}\`) and \`dmesg\` for its message`,
    );
  }
  // The override stays only for as long as it is needed: a later rebind follows the ID tables.
  if (driver !== null) await w.write(`${dir}/driver_override`, '\n');

  const result: BindResult = { device, before, after, writes: w.writes };
  if (driver === 'vfio-pci' && group !== null) {
    const node = `/dev/vfio/${group}`;
    await waitFor(
      `${node} for ${device}`,
      async () => ((await host.entryKind(node)) ? node : null),
      opts.wait,
    );
    result.vfioGroup = node;
  }
  return result;
}

/**
 * Best effort: clear the override and let the previous driver take the device back. Under the
 * same deadline as the change it undoes: a kernel that hung the change may hang this too.
 */
async function restore(
  host: Host,
  device: PciAddress,
  before: DriverName | null,
  timeoutMs: number | undefined,
): Promise<void> {
  const o = timeoutMs === undefined ? {} : { timeoutMs };
  try {
    await host.writeFile(`${DEVICES}/${device}/driver_override`, '\n', o);
    if ((await readDriver(host, device)) === null && before !== null) {
      await host.writeFile(`${DRIVERS}/${before}/bind`, device, o);
    }
  } catch {
    // The original error is what the caller needs; the state is read back on the next pass.
  }
}

/**
 * Leaves a device with no driver: driver_override names no real driver (`none`), so no later probe
 * binds it, then it is unbound (linux-sriov-abi.md §2.3).
 */
export async function releaseDriver(
  host: Host,
  device: PciAddress,
  opts: BindOptions = {},
): Promise<BindResult> {
  const before = await readDriver(host, device);
  const op: Operation = { kind: 'unbind', device, driver: before ?? 'none' };
  const w = new Writer(host, op, opts.timeoutMs);
  await w.write(`${DEVICES}/${device}/driver_override`, 'none');
  if (before !== null) await unbind(host, w, device, before);
  return { device, before, after: await readDriver(host, device), writes: w.writes };
}
