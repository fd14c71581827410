import { afterEach, describe, expect, it } from 'vitest';
import { samples, openWorld, traffic, value, type World } from './support.js';

let w: World;
afterEach(async () => {
  await w?.close();
});

/** `name{labels} value` with exactly the Kubernetes exporter's labels, in its order. */
const K8S_LINE =
  /^sriov_vf_(rx|tx)_(bytes|packets|dropped)\{pf="[^"]+",vf="\d+",pciAddr="[0-9a-f:.]+",numa_node="\d*"\} \d+$/;

describe('Prometheus exposition: per-VF counters', () => {
  it('names and labels the PF-side VF counters like the Kubernetes exporter, and they move with traffic', async () => {
    w = await openWorld();
    w.host.setTraffic(
      'ens1f0',
      2,
      traffic({
        rxBytesPerSec: 1000,
        txBytesPerSec: 4000,
        rxPacketsPerSec: 10,
        txPacketsPerSec: 40,
        rxDroppedPerSec: 3,
      }),
    );
    const first = await w.scrape();
    const counters = samples(first).filter(
      (l) => /^sriov_vf_(rx|tx)_/.test(l) && !/broadcast|multicast/.test(l),
    );
    expect(counters.length).toBeGreaterThan(0);
    for (const l of counters) expect(l).toMatch(K8S_LINE);
    const vf2 = { pf: 'ens1f0', vf: '2', pciAddr: '0000:3b:01.2', numa_node: '0' };
    const tx0 = value(first, 'sriov_vf_tx_bytes', vf2);
    w.advance(10_000);
    const second = await w.scrape();
    expect(value(second, 'sriov_vf_tx_bytes', vf2) - tx0).toBe(40_000);
    expect(
      value(second, 'sriov_vf_rx_dropped', vf2) - value(first, 'sriov_vf_rx_dropped', vf2),
    ).toBe(30);
    // A VF without traffic is a zero counter, not a missing one.
    expect(value(second, 'sriov_vf_tx_bytes', { pf: 'ens1f0', vf: '3' })).toBe(0);
    // Every counter family of the exporter is there, typed so promtool and rate() accept it.
    for (const f of [
      'rx_bytes',
      'tx_bytes',
      'rx_packets',
      'tx_packets',
      'rx_dropped',
      'tx_dropped',
      'rx_broadcast',
      'rx_multicast',
    ])
      expect(second).toContain(`# TYPE sriov_vf_${f} untyped\n`);
  });

  it('leaves VFs past a truncated netlink VF list out instead of reporting zeros, and says so per PF', async () => {
    w = await openWorld({ fixture: 'e810-8x256' });
    const text = await w.scrape();
    const pf = { pf: 'ens1f0' };
    expect(value(text, 'sriovctl_pf_vf_list_truncated', pf)).toBe(1);
    expect(value(text, 'sriovctl_pf_vfs', pf)).toBe(256);
    expect(value(text, 'sriovctl_pf_vfs_with_counters', pf)).toBe(34);
    const counted = samples(text, 'sriov_vf_rx_bytes').filter((l) => l.includes('pf="ens1f0"'));
    expect(counted).toHaveLength(34);
    expect(counted.some((l) => l.includes('vf="34"'))).toBe(false);
    // The info series still covers every VF of the host: 8 PFs × 256.
    expect(samples(text, 'sriov_vf_info')).toHaveLength(2048);
    // Settings past the truncation are unknown: no mac label rather than a made-up one.
    const past = samples(text, 'sriov_vf_info').find((l) => l.includes('pf="ens1f0",vf="200"'))!;
    expect(past).not.toContain('mac=');
  });
});

describe('Prometheus exposition: VF info, PF state, capacity', () => {
  it('attributes a VF to its tenant, pool and consumer, with the settings the PF reports', async () => {
    w = await openWorld();
    const a = await w.attach({ tenant: 'team-b', consumer: 'db-1', vlan: 42, minTxRate: 1000 });
    const text = await w.scrape();
    const line = samples(text, 'sriov_vf_info').find((l) =>
      l.includes(`pf="ens1f0",vf="${a.vfIndex}",`),
    )!;
    expect(line).toContain(`mac="${a.mac}"`);
    expect(line).toContain('vlan="42"');
    expect(line).toContain('spoofchk="on"');
    expect(line).toContain('trust="off"');
    expect(line).toContain('link_state="auto"');
    expect(line).toContain('driver="vfio-pci"');
    expect(line).toContain('tenant="team-b",pool="p",consumer="db-1",consumer_kind="vm"');
    // A free VF carries no holder labels.
    const free = samples(text, 'sriov_vf_info').find(
      (l) => l.includes('pf="ens1f0",') && !l.includes(`vf="${a.vfIndex}"`),
    )!;
    expect(free).not.toContain('tenant=');

    // Capacity: the PF, the pool and the tenant all see the allocation and its guarantee.
    const pf = { pf: 'ens1f0' };
    expect(value(text, 'sriovctl_pf_vfs_allocated', pf)).toBe(1);
    expect(value(text, 'sriovctl_pf_vfs_free', pf)).toBe(7);
    expect(value(text, 'sriovctl_pf_vfs_pooled', pf)).toBe(8);
    expect(value(text, 'sriovctl_pf_guaranteed_bytes_per_second', pf)).toBe(1000 * 125_000);
    expect(value(text, 'sriovctl_pf_guarantee_cap_bytes_per_second', pf)).toBe(100_000 * 125_000);
    expect(value(text, 'sriovctl_pool_vfs_free', { pool: 'p' })).toBe(7);
    expect(value(text, 'sriovctl_tenant_vfs_allocated', { tenant: 'team-b' })).toBe(1);
    expect(value(text, 'sriovctl_tenant_guaranteed_bytes_per_second', { tenant: 'team-b' })).toBe(
      125_000_000,
    );
    expect(value(text, 'sriovctl_attachments', { tenant: 'team-b', state: 'attached' })).toBe(1);

    // Detaching gives the VF back: the next scrape says so (the ledger's event, not a timer).
    await w.allocation.detach(w.root, a.id);
    w.advance(1000);
    const after = await w.scrape();
    expect(value(after, 'sriovctl_pf_vfs_allocated', pf)).toBe(0);
    const back = samples(after, 'sriov_vf_info').find((l) =>
      l.includes(`pf="ens1f0",vf="${a.vfIndex}",`),
    )!;
    expect(back).not.toContain('tenant=');
  });

  it('reports PF link state from the dump it scrapes, so a pulled cable shows on the next scrape', async () => {
    w = await openWorld();
    const pf = { pf: 'ens1f0', pci_address: '0000:3b:00.0', numa_node: '0' };
    expect(value(await w.scrape(), 'sriovctl_pf_link_up', pf)).toBe(1);
    w.host.setCarrier('ens1f0', false);
    w.advance(1000);
    const down = await w.scrape();
    expect(value(down, 'sriovctl_pf_link_up', pf)).toBe(0);
    expect(value(down, 'sriovctl_pf_admin_up', pf)).toBe(1);
    expect(value(down, 'sriovctl_pf_speed_bytes_per_second', pf)).toBe(100_000 * 125_000);
    expect(samples(down, 'sriovctl_pf_info').find((l) => l.includes('pf="ens1f0"'))).toMatch(
      /driver="ice".*firmware="[^"]+"/,
    );
  });
});

describe('Prometheus exposition: one link dump per scrape', () => {
  it('shares one dump and one rendering between concurrent scrapes', async () => {
    w = await openWorld();
    let dumps = 0;
    const real = w.host.linkDump.bind(w.host);
    w.host.linkDump = async (o) => {
      dumps++;
      return real(o);
    };
    const all = await Promise.all([1, 2, 3, 4].map(() => w.obs.exporter.scrape()));
    expect(dumps).toBe(1);
    expect(new Set(all.map((e) => e.body)).size).toBe(1);
    for (const e of all) e.release();
    // Within the sampler's max age a later scrape shares the dump too; after it, a new one.
    await w.scrape();
    expect(dumps).toBe(1);
    w.advance(1000);
    await w.scrape();
    expect(dumps).toBe(2);
  });

  it('never hands out bytes a held exposition still uses', async () => {
    w = await openWorld();
    w.host.setTraffic('ens1f0', 0, traffic({ txBytesPerSec: 1_000_000 }));
    const held = await w.obs.exporter.scrape();
    const before = held.text();
    // Released ones are reused; the held one must not be overwritten by later scrapes.
    for (let i = 0; i < 6; i++) {
      w.advance(1000);
      const e = await w.obs.exporter.scrape();
      expect(e.body.buffer === held.body.buffer && e.body.byteOffset === held.body.byteOffset).toBe(
        false,
      );
      e.release();
    }
    expect(held.text()).toBe(before);
    held.release();
    // After release, a scrape reuses a pooled buffer and still renders correctly.
    w.advance(1000);
    const text = await w.scrape();
    expect(value(text, 'sriov_vf_tx_bytes', { pf: 'ens1f0', vf: '0' })).toBe(7_000_000);
  });
});

describe('Prometheus exposition: daemon metrics', () => {
  it('counts reconcile passes and what they did, and drift passes and repairs', async () => {
    w = await openWorld();
    await w.allocation.reconcile();
    w.obs.onDrift({
      type: 'drift',
      at: new Date().toISOString(),
      trigger: 'interval',
      steps: [{ pf: 'ens1f0', what: 'set VF 1 vlan 100', why: 'policy says vlan 100' }],
    });
    w.obs.onDrift({ type: 'repair-failed', at: new Date().toISOString(), error: 'EBUSY' });
    const text = await w.scrape();
    expect(value(text, 'sriovctl_reconcile_runs_total')).toBe(1);
    expect(value(text, 'sriovctl_reconcile_duration_seconds_count')).toBe(1);
    expect(value(text, 'sriovctl_reconcile_attachments_total', { action: 'orphaned' })).toBe(0);
    expect(value(text, 'sriovctl_drift_passes_total', { result: 'drift' })).toBe(1);
    expect(value(text, 'sriovctl_drift_steps')).toBe(1);
    expect(value(text, 'sriovctl_drift_repairs_total', { result: 'failed' })).toBe(1);
    expect(value(text, 'sriovctl_scrape_duration_seconds')).toBeGreaterThan(0);
  });
});
