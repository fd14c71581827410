/**
 * The differential fidelity scenario: the same operations, in the same order, including the ones
 * the kernel refuses, run against any Host. After every step it records the kernel's answer and an
 * observation of the state sriovctl cares about. Run on the real kernel (lab) and on the simulator's
 * mirror of the lab guest, the two records must be identical: any difference is a simulator bug.
 */
import { waitFor } from '../../../src/executor/index.js';
import { KernelError } from '../../../src/host/errors.js';
import type { Host, NetlinkChange } from '../../../src/host/host.js';
import { ifName, macAddress, type IfName, type PciAddress } from '../../../src/host/names.js';

export interface StepRecord {
  step: string;
  /** 'ok', the errno name, or for netlink batches one answer per change. */
  result: string | string[];
  state: Observation;
}

export interface Observation {
  pf: {
    numVfs: string;
    totalVfs: string;
    autoprobe: string;
    vfs: {
      index: number;
      address: string;
      driver: string | null;
      override: string;
      group: string | null;
    }[];
  };
  /** /dev/vfio group nodes, named by the group's position among the PF and its VFs. */
  vfio: string[];
  netdevsim: null | {
    numVfs: string;
    vfs: Record<string, unknown>[];
    truncated: boolean;
  };
}

export interface ScenarioTarget {
  host: Host;
  pf: PciAddress;
  /** netdevsim device id the scenario creates and removes. */
  nsimId: number;
}

const DEV = '/sys/bus/pci/devices';

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

async function tryLink(host: Host, path: string): Promise<string | null> {
  try {
    return basename(await host.readLink(path));
  } catch {
    return null;
  }
}

/** Reads what the scenario compares; group numbers become labels (g0, g1, ...) by first sight. */
export async function observe(t: ScenarioTarget, port: IfName | null): Promise<Observation> {
  const { host, pf } = t;
  const dir = `${DEV}/${pf}`;
  const groups = new Map<string, string>();
  const label = (g: string | null) => {
    if (g === null) return null;
    if (!groups.has(g)) groups.set(g, `g${groups.size}`);
    return groups.get(g)!;
  };
  label(await tryLink(host, `${dir}/iommu_group`));
  const vfs: Observation['pf']['vfs'] = [];
  const entries = (await host.readDir(dir)).filter((e) => /^virtfn\d+$/.test(e));
  entries.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  for (const e of entries) {
    const address = basename(await host.readLink(`${dir}/${e}`));
    vfs.push({
      index: Number(e.slice(6)),
      address,
      driver: await tryLink(host, `${DEV}/${address}/driver`),
      override: (await host.readFile(`${DEV}/${address}/driver_override`)).trim(),
      group: label(await tryLink(host, `${DEV}/${address}/iommu_group`)),
    });
  }
  const vfio = (await host.readDir('/dev/vfio').catch(() => []))
    .filter((n) => n !== 'vfio')
    .map((n) => groups.get(n) ?? `unrelated`)
    .sort();
  let netdevsim: Observation['netdevsim'] = null;
  const nsim = `/sys/bus/netdevsim/devices/netdevsim${t.nsimId}`;
  if (port !== null && (await host.entryKind(nsim)) !== null) {
    const link = (await host.linkDump()).links.find((l) => l.ifname === port);
    netdevsim = {
      numVfs: (await host.readFile(`${nsim}/sriov_numvfs`)).trim(),
      vfs: (link?.vfs ?? []).map((v) => {
        // Counters are zero on netdevsim (no get_vf_stats); compare the settings.
        const { counters: _c, ...settings } = v;
        return settings;
      }),
      truncated: link?.vfListTruncated ?? false,
    };
  }
  return {
    pf: {
      numVfs: (await host.readFile(`${dir}/sriov_numvfs`)).trim(),
      totalVfs: (await host.readFile(`${dir}/sriov_totalvfs`)).trim(),
      autoprobe: (await host.readFile(`${dir}/sriov_drivers_autoprobe`)).trim(),
      vfs,
    },
    vfio,
    netdevsim,
  };
}

async function answer(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}

/** Runs the scenario and returns one record per step. Leaves the host as it found it. */
export async function runScenario(t: ScenarioTarget): Promise<StepRecord[]> {
  const { host, pf } = t;
  const dir = `${DEV}/${pf}`;
  const records: StepRecord[] = [];
  let port: IfName | null = null;
  const step = async (name: string, work: () => Promise<string | string[]>) => {
    const result = await work();
    records.push({ step: name, result, state: await observe(t, port) });
  };
  const write = (path: string, value: string) => () => answer(host.writeFile(path, value));
  const vfAt = async (i: number) => basename(await host.readLink(`${dir}/virtfn${i}`));

  await step('initial state', async () => 'ok');
  // --- PCI side: the real SR-IOV PF -------------------------------------------------------
  // VF drivers probe after the write returns and some give the VF up again (nvme on QEMU's offline
  // secondary controllers, about 0.5 s later); compare states once the drivers have settled.
  // The deadline is generous (the guest is emulated and the host shared); past it the states are
  // compared as they are, and the difference says what did not settle.
  const settled = async (result: string) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const obs = await observe(t, port);
      if (!obs.pf.vfs.some((v) => v.driver === 'nvme')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return result;
  };
  await step('numvfs 0 → 4', async () => settled(await write(`${dir}/sriov_numvfs`, '4')()));
  await step('numvfs 4 again (no-op)', write(`${dir}/sriov_numvfs`, '4'));
  await step('numvfs 4 → 2', write(`${dir}/sriov_numvfs`, '2'));
  await step('numvfs above totalvfs', write(`${dir}/sriov_numvfs`, '9'));
  for (const bad of ['abc', '-1', '65536', '08', '', '\n']) {
    await step(`numvfs ${JSON.stringify(bad)}`, write(`${dir}/sriov_numvfs`, bad));
  }
  await step('numvfs hex 0x4 (no-op)', write(`${dir}/sriov_numvfs`, '0x4'));
  await step('write sriov_totalvfs', write(`${dir}/sriov_totalvfs`, '3'));
  await step('autoprobe garbage', write(`${dir}/sriov_drivers_autoprobe`, 'maybe'));
  const vf1 = await vfAt(1);
  const vf2 = await vfAt(2);
  await step('vfio-pci bind without override', write('/sys/bus/pci/drivers/vfio-pci/bind', vf2));
  await step('VF1 driver_override vfio-pci', write(`${DEV}/${vf1}/driver_override`, 'vfio-pci'));
  const vf1Driver = await tryLink(host, `${DEV}/${vf1}/driver`);
  if (vf1Driver !== null) {
    await step('VF1 unbind', write(`/sys/bus/pci/drivers/${vf1Driver}/unbind`, vf1));
  }
  await step('VF1 drivers_probe', write('/sys/bus/pci/drivers_probe', vf1));
  await step('VF2 drivers_probe without override', async () =>
    settled(await write('/sys/bus/pci/drivers_probe', vf2)()),
  );
  await step('VF1 unbind from the wrong driver', write('/sys/bus/pci/drivers/nvme/unbind', vf1));
  await step(
    'bind a device that does not exist',
    write('/sys/bus/pci/drivers/vfio-pci/bind', '0000:00:1e.7'),
  );
  await step('VF1 bind again while bound', write('/sys/bus/pci/drivers/vfio-pci/bind', vf1));
  await step('VF1 clear override', write(`${DEV}/${vf1}/driver_override`, '\n'));
  await step('numvfs 4 → 0 with a VF on vfio-pci', write(`${dir}/sriov_numvfs`, '0'));
  await step('autoprobe off', write(`${dir}/sriov_drivers_autoprobe`, '0'));
  await step('numvfs 0 → 3 without autoprobe', async () =>
    settled(await write(`${dir}/sriov_numvfs`, '3')()),
  );
  await step('numvfs 3 → 0', write(`${dir}/sriov_numvfs`, '0'));
  await step('autoprobe on', write(`${dir}/sriov_drivers_autoprobe`, '1'));

  // --- netlink side: netdevsim -------------------------------------------------------------
  const nsim = `/sys/bus/netdevsim/devices/netdevsim${t.nsimId}`;
  await step('netdevsim new_device', write('/sys/bus/netdevsim/new_device', `${t.nsimId} 1`));
  await waitFor(
    `the netdev of netdevsim${t.nsimId}`,
    async () => ((await host.readDir(`${nsim}/net`).catch(() => [])).length > 0 ? true : null),
    { timeoutMs: 30_000, pollMs: 25 },
  );
  port = ifName((await host.readDir(`${nsim}/net`))[0]!);
  await step(
    'netdevsim new_device with a used id',
    write('/sys/bus/netdevsim/new_device', `${t.nsimId} 1`),
  );
  await step('netdevsim numvfs 0 → 4', write(`${nsim}/sriov_numvfs`, '4'));
  await step('netdevsim numvfs 4 → 2', write(`${nsim}/sriov_numvfs`, '2'));
  const vf = (
    n: number,
    c: Omit<Extract<NetlinkChange, { kind: 'vf' }>, 'kind' | 'pf' | 'vf'>,
  ): NetlinkChange => ({
    kind: 'vf',
    pf: port!,
    vf: n,
    ...c,
  });
  const batch = (changes: NetlinkChange[]) => async () =>
    (await host.linkApply(changes)).map((r) => (r.ok ? 'ok' : (r.errno ?? r.message)));
  await step(
    'VF settings batch',
    batch([
      vf(0, { mac: macAddress('02:00:00:00:00:01'), vlan: { vlan: 100, qos: 3, proto: '802.1Q' } }),
      vf(1, { vlan: { vlan: 200, qos: 0, proto: '802.1ad' }, trust: true, spoofchk: true }),
      vf(2, { rate: { minTxRate: 100, maxTxRate: 1000 }, linkState: 'disable' }),
      vf(3, { linkState: 'enable', mac: macAddress('02:00:00:00:00:04') }),
      vf(9, { trust: true }),
      vf(0, { mac: macAddress('01:00:5e:00:00:01') }),
      vf(3, { rate: { minTxRate: 0, maxTxRate: 70000 } }),
    ]),
  );
  await step('netdevsim numvfs 4 → 0', write(`${nsim}/sriov_numvfs`, '0'));
  await step('netdevsim numvfs 0 → 5 (above max_vfs)', write(`${nsim}/sriov_numvfs`, '5'));
  await step('netdevsim numvfs 0 → 4 (configs persist)', write(`${nsim}/sriov_numvfs`, '4'));
  await step('netdevsim numvfs 4 → 0', write(`${nsim}/sriov_numvfs`, '0'));
  port = null;
  await step('netdevsim del_device', write('/sys/bus/netdevsim/del_device', String(t.nsimId)));
  await step(
    'netdevsim del_device again',
    write('/sys/bus/netdevsim/del_device', String(t.nsimId)),
  );
  return records;
}
