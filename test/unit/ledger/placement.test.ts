// Placement as a pure function of real inventories (simulated fixtures, discovered as on a host):
// pool selection, per-PF rules with their exclusion counts, quotas, NUMA, spread and pack, and QoS
// admission — the sum of guaranteed rates on a PF never exceeds link speed × oversubscription.
import { describe, expect, it } from 'vitest';
import type { SimHost } from '../../../src/host/sim/index.js';
import type { Inventory } from '../../../src/inventory/types.js';
import {
  describeExclusions,
  pfBandwidth,
  place,
  poolGroups,
  poolMembers,
  resolveVlan,
  tenantVlans,
  type PlacementChoice,
  type PlacementResult,
} from '../../../src/ledger/placement.js';
import type { AttachRequest, Attachment, Pool, Tenant } from '../../../src/ledger/types.js';
import { attachment, pool, request, simInventory, tenant } from './support.js';

// dual-socket-e810-cx6: ens1f0 (ice, 8 VFs, NUMA 0), ens2f0np0 (mlx5, 4 VFs, NUMA 0), ens3f0 (ice,
// NUMA 1, no VFs until a test makes some); every link 100 Gbit/s except ens3f1 (down).
const ENS1F0 = '0000:3b:00.0';
const ENS2F0 = '0000:5e:00.0';
const ENS3F0 = '0000:86:00.0';

async function dualSocket(prepare?: (h: SimHost) => Promise<void> | void): Promise<Inventory> {
  return (await simInventory('dual-socket-e810-cx6', prepare)).inv;
}

/** dual-socket with 4 VFs on ens3f0 (NUMA node 1) as well. */
const withNuma1Vfs = (h: SimHost) =>
  h.writeFile(`/sys/bus/pci/devices/${ENS3F0}/sriov_numvfs`, '4');

interface RunOptions {
  attachments?: readonly Attachment[];
  oversubscription?: number;
  interfaces?: string[];
}

function run(
  inv: Inventory,
  p: Pool,
  t: Tenant,
  req: AttachRequest,
  o: RunOptions = {},
): PlacementResult {
  return place({
    inv,
    pool: p,
    tenant: t,
    request: req,
    interfaces: o.interfaces ?? Array.from({ length: req.count ?? 1 }, (_, i) => `net${i}`),
    attachments: o.attachments ?? [],
    config: { oversubscription: o.oversubscription ?? 1 },
  });
}

function chosen(r: PlacementResult): PlacementChoice[] {
  if (!r.ok) throw new Error(`placement refused: ${r.code}: ${r.reason}`);
  return r.choices;
}

function refusal(r: PlacementResult) {
  if (r.ok) throw new Error(`placement succeeded: ${JSON.stringify(where(r.choices))}`);
  return r;
}

/** "netdev#vf" for each choice, in order. */
function where(choices: PlacementChoice[]): string[] {
  return choices.map((c) => `${c.pf.netdev}#${c.vf.vfIndex}`);
}

const both = pool('both', { selector: { pfNames: ['ens1f0', 'ens2f0np0'] } });
const teamA = tenant('team-a', { pools: ['both', 'numa', 'slow', 'nvme', 'all'] });

describe('pool selection', () => {
  it('pfNames with a VF range takes only those VFs; a whole name beside a range takes all', async () => {
    const inv = await dualSocket();
    const ranged = pool('r', { selector: { pfNames: ['ens1f0#0-3', 'ens1f0#6', 'ens2f0np0'] } });
    expect(poolMembers(ranged, inv).map((m) => `${m.pf.netdev}#${m.vf.vfIndex}`)).toEqual([
      'ens1f0#0',
      'ens1f0#1',
      'ens1f0#2',
      'ens1f0#3',
      'ens1f0#6',
      'ens2f0np0#0',
      'ens2f0np0#1',
      'ens2f0np0#2',
      'ens2f0np0#3',
    ]);
    const whole = pool('w', { selector: { pfNames: ['ens1f0#0-1', 'ens1f0'] } });
    expect(poolMembers(whole, inv)).toHaveLength(8);
    // A name that is not on the host selects nothing rather than everything.
    expect(poolMembers(pool('x', { selector: { pfNames: ['ens9f9'] } }), inv)).toEqual([]);
  });

  it('vfRange applies to every selected PF', async () => {
    const inv = await dualSocket();
    const p = pool('r', { selector: { pfNames: ['ens1f0', 'ens2f0np0'], vfRange: '2-5' } });
    expect(poolMembers(p, inv).map((m) => `${m.pf.netdev}#${m.vf.vfIndex}`)).toEqual([
      'ens1f0#2',
      'ens1f0#3',
      'ens1f0#4',
      'ens1f0#5',
      'ens2f0np0#2',
      'ens2f0np0#3',
    ]);
  });

  it('selects by driver, vendor, deviceID and PCI address', async () => {
    const inv = await dualSocket();
    const netdevs = (sel: Record<string, unknown>) => [
      ...new Set(poolMembers(pool('s', { selector: sel }), inv).map((m) => m.pf.netdev)),
    ];
    expect(netdevs({ drivers: ['mlx5_core'] })).toEqual(['ens2f0np0']);
    expect(netdevs({ drivers: ['ice'] })).toEqual(['ens1f0']);
    expect(netdevs({ deviceID: '101d' })).toEqual(['ens2f0np0']);
    expect(netdevs({ vendor: '8086' })).toEqual(['ens1f0']);
    expect(netdevs({ vendor: '8086', deviceID: '101d' })).toEqual([]);
    expect(netdevs({ pciAddresses: [ENS2F0] })).toEqual(['ens2f0np0']);
    // Selector fields combine: ice PFs restricted to ens2f0np0's address is nothing.
    expect(netdevs({ drivers: ['ice'], pciAddresses: [ENS2F0] })).toEqual([]);
  });

  it('groups members by PF in inventory order', async () => {
    const inv = await dualSocket();
    const groups = poolGroups(both, inv);
    expect(groups.map((g) => [g.pf.netdev, g.vfs.length])).toEqual([
      ['ens1f0', 8],
      ['ens2f0np0', 4],
    ]);
    expect([...groups[0]!.indexes]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a changed selector under the same pool name is not served from the cache', async () => {
    const inv = await dualSocket();
    expect(poolMembers(pool('p', { selector: { pfNames: ['ens1f0'] } }), inv)).toHaveLength(8);
    expect(poolMembers(pool('p', { selector: { pfNames: ['ens2f0np0'] } }), inv)).toHaveLength(4);
  });
});

describe('VLANs', () => {
  it('resolveVlan: the requested VLAN must be one of the tenant’s', () => {
    const t = tenant('team-a', { vlans: '100-199,300' });
    expect(resolveVlan(request({ tenant: 'team-a', pool: 'p', vlan: 150 }), t)).toEqual({
      ok: true,
      vlan: 150,
    });
    const r = resolveVlan(request({ tenant: 'team-a', pool: 'p', vlan: 200 }), t);
    expect(r).toEqual({
      ok: false,
      code: 'vlan-not-allowed',
      field: 'vlan',
      reason:
        "VLAN 200 is not one of tenant team-a's VLANs (100-199,300); ask for one of them or add it to the tenant",
    });
  });

  it('resolveVlan: no VLAN asked takes the tenant’s only one, and needs a choice among several', () => {
    const one = tenant('solo', { vlans: '42' });
    expect(resolveVlan(request({ tenant: 'solo', pool: 'p' }), one)).toEqual({
      ok: true,
      vlan: 42,
    });
    const several = resolveVlan(
      request({ tenant: 'multi', pool: 'p' }),
      tenant('multi', { vlans: '10,20' }),
    );
    expect(several).toMatchObject({ ok: false, code: 'vlan-not-allowed' });
    expect(several.ok || several.reason).toBe(
      'tenant multi has several VLANs (10,20); say which one with vlan',
    );
    // The tenant schema refuses empty VLANs; a row written by something else must still not pass.
    const noVlans: Tenant = { ...tenant('none'), vlans: '' };
    const none = resolveVlan(request({ tenant: 'none', pool: 'p' }), noVlans);
    expect(none.ok || none.reason).toBe(
      'tenant none has no VLANs, so no VF can be isolated for it; give the tenant vlans (0 allows untagged)',
    );
    const denied = resolveVlan(request({ tenant: 'none', pool: 'p', vlan: 0 }), noVlans);
    expect(denied.ok || denied.reason).toContain('(none)');
  });

  it('VLAN 0 means untagged and is allowed only when the tenant lists it', () => {
    const untagged = tenant('flat', { vlans: '0' });
    expect(tenantVlans(untagged)).toEqual(new Set([0]));
    expect(resolveVlan(request({ tenant: 'flat', pool: 'p' }), untagged)).toEqual({
      ok: true,
      vlan: 0,
    });
    expect(
      resolveVlan(request({ tenant: 'x', pool: 'p', vlan: 0 }), tenant('x', { vlans: '5' })).ok,
    ).toBe(false);
  });
});

describe('tenant rules', () => {
  it('pool-not-allowed names the pools the tenant may use', async () => {
    const inv = await dualSocket();
    const r = refusal(run(inv, both, tenant('t', { pools: ['a', 'b'] }), request(req())));
    expect(r).toMatchObject({ code: 'pool-not-allowed', field: 'pool' });
    expect(r.reason).toBe('tenant t may not use pool both (allowed: a, b)');
    expect(refusal(run(inv, both, tenant('t'), request(req()))).reason).toBe(
      'tenant t may not use pool both (allowed: none)',
    );
  });

  it('trust-not-allowed unless the tenant allows trust', async () => {
    const inv = await dualSocket();
    const r = refusal(run(inv, both, teamA, request(req({ trust: true }))));
    expect(r).toMatchObject({ code: 'trust-not-allowed', field: 'trust' });
    expect(r.reason).toContain('tenant team-a may not have trusted VFs');
    const trusted = tenant('team-a', { pools: ['both'], allowTrust: true });
    expect(chosen(run(inv, both, trusted, request(req({ trust: true }))))).toHaveLength(1);
  });

  it('vf-quota counts the tenant’s attachments in any state and the VFs asked for', async () => {
    const inv = await dualSocket();
    const t = tenant('team-a', { pools: ['both'], maxVfs: 3 });
    const mine = [
      attachment(ENS1F0, 0, { tenant: 'team-a' }),
      attachment(ENS1F0, 1, { tenant: 'team-a', state: 'failed' }),
      attachment(ENS1F0, 2, { tenant: 'other' }),
    ];
    const r = refusal(run(inv, both, t, request(req({ count: 2 })), { attachments: mine }));
    expect(r).toMatchObject({ code: 'vf-quota', field: 'count' });
    expect(r.reason).toBe('tenant team-a holds 2 of its 3 VFs; 2 more would exceed the quota');
    expect(
      chosen(run(inv, both, t, request(req({ count: 1 })), { attachments: mine })),
    ).toHaveLength(1);
  });

  it('bandwidth-quota sums the tenant’s guaranteed rates plus count × minTxRate', async () => {
    const inv = await dualSocket();
    const t = tenant('team-a', { pools: ['both'], maxGuaranteedMbps: 10000 });
    const mine = [
      attachment(ENS1F0, 0, { tenant: 'team-a', minTxRate: 5000 }),
      attachment(ENS1F0, 1, { tenant: 'other', minTxRate: 50000 }),
    ];
    const r = refusal(
      run(inv, both, t, request(req({ count: 2, minTxRate: 3000 })), { attachments: mine }),
    );
    expect(r).toMatchObject({ code: 'bandwidth-quota', field: 'minTxRate' });
    expect(r.reason).toBe(
      'tenant team-a holds 5000 Mbit/s guaranteed of its 10000; 2 × 3000 Mbit/s more would exceed the quota',
    );
    // Exactly at the quota is allowed.
    expect(
      chosen(run(inv, both, t, request(req({ count: 2, minTxRate: 2500 })), { attachments: mine })),
    ).toHaveLength(2);
  });
});

describe('capacity and exclusions', () => {
  it('count N gives N distinct VFs, one per interface', async () => {
    const inv = await dualSocket();
    const ifaces = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5', 'eth6', 'eth7', 'eth8'];
    const c = chosen(run(inv, both, teamA, request(req({ count: 9 })), { interfaces: ifaces }));
    expect(c.map((x) => x.interface)).toEqual(ifaces);
    expect(new Set(where(c)).size).toBe(9);
    for (const x of c) expect(x.pf.vfs).toContain(x.vf);
  });

  it('no-capacity says how many fit, how many were found and what each rule excluded', async () => {
    const inv = await dualSocket();
    const taken = [
      attachment(ENS1F0, 0),
      attachment(ENS1F0, 5),
      attachment(ENS2F0, 3),
      // Outside the pool's VF range: not counted against it.
      attachment(ENS1F0, 7),
    ];
    const p = pool('both', { selector: { pfNames: ['ens1f0', 'ens2f0np0'], vfRange: '0-5' } });
    const r = refusal(run(inv, p, teamA, request(req({ count: 10 })), { attachments: taken }));
    expect(r).toMatchObject({ code: 'no-capacity', field: 'count' });
    expect(r.explanation).toEqual({
      poolVfs: 10,
      excluded: [{ rule: 'attached to a consumer', count: 3 }],
      candidates: 7,
      strategy: 'spread',
    });
    expect(r.reason).toBe(
      'pool both has 7 VFs that fit this request, 10 wanted (7 found); 10 in the pool; excluded: 3 attached to a consumer',
    );
    // The free VFs are exactly the ones not attached.
    const ok = chosen(run(inv, p, teamA, request(req({ count: 7 })), { attachments: taken }));
    expect(where(ok).sort()).toEqual(
      [
        'ens1f0#1',
        'ens1f0#2',
        'ens1f0#3',
        'ens1f0#4',
        'ens2f0np0#0',
        'ens2f0np0#1',
        'ens2f0np0#2',
      ].sort(),
    );
  });

  it('an empty pool explains itself', async () => {
    const inv = await dualSocket();
    const r = refusal(
      run(inv, pool('all', { selector: { pfNames: ['ens9f9'] } }), teamA, request(req())),
    );
    expect(r.reason).toBe('pool all has 0 VFs that fit this request, 1 wanted; 0 in the pool');
  });

  it('a PF without a netdev cannot have VF settings made (NVMe): asking for one is refused', async () => {
    const { inv } = await simInventory('qemu-nvme-lab', (h) =>
      h.writeFile('/sys/bus/pci/devices/0000:00:02.0/sriov_numvfs', '2'),
    );
    const nvme = pool('nvme', { selector: { drivers: ['nvme'] } });
    expect(poolMembers(nvme, inv)).toHaveLength(2);
    const r = refusal(run(inv, nvme, teamA, request(req({ pool: 'nvme' }))));
    expect(r).toMatchObject({ code: 'not-a-network-vf', field: 'vlan' });
  });

  it('describeExclusions renders the counts in rule order', () => {
    expect(
      describeExclusions({
        poolVfs: 512,
        excluded: [
          { rule: 'attached to a consumer', count: 40 },
          { rule: 'not on NUMA node 0 (required)', count: 256 },
        ],
        candidates: 216,
        strategy: 'spread',
      }),
    ).toBe(
      '512 in the pool; excluded: 40 attached to a consumer, 256 not on NUMA node 0 (required)',
    );
  });
});

describe('NUMA', () => {
  const numa = pool('numa', { selector: { pfNames: ['ens1f0', 'ens3f0'] } });

  it('required: only VFs on the node, and the others are counted as excluded', async () => {
    const inv = await dualSocket(withNuma1Vfs);
    const ok = chosen(
      run(
        inv,
        numa,
        teamA,
        request(req({ pool: 'numa', count: 4, numa: { node: 1, mode: 'required' } })),
      ),
    );
    expect(where(ok)).toEqual(['ens3f0#0', 'ens3f0#1', 'ens3f0#2', 'ens3f0#3']);
    expect(ok.every((c) => c.vf.numaNode === 1)).toBe(true);
    expect(ok[0]!.why).toContain('on NUMA node 1 as asked');
    const r = refusal(
      run(
        inv,
        numa,
        teamA,
        request(req({ pool: 'numa', count: 5, numa: { node: 1, mode: 'required' } })),
      ),
    );
    expect(r.explanation?.excluded).toEqual([{ rule: 'not on NUMA node 1 (required)', count: 8 }]);
    expect(r.reason).toBe(
      'pool numa has 4 VFs that fit this request, 5 wanted (4 found); 12 in the pool; excluded: 8 not on NUMA node 1 (required)',
    );
  });

  it('preferred: the node first, then elsewhere, saying so', async () => {
    const inv = await dualSocket(withNuma1Vfs);
    const c = chosen(
      run(
        inv,
        numa,
        teamA,
        request(req({ pool: 'numa', count: 6, numa: { node: 1, mode: 'preferred' } })),
      ),
    );
    expect(where(c)).toEqual([
      'ens3f0#0',
      'ens3f0#1',
      'ens3f0#2',
      'ens3f0#3',
      'ens1f0#0',
      'ens1f0#1',
    ]);
    expect(c[4]!.why).toContain('NUMA node 0: no free VF on node 1');
    // With the preferred node full, nothing is excluded: the request still fits elsewhere.
    const full = [0, 1, 2, 3].map((i) => attachment(ENS3F0, i));
    const r = run(
      inv,
      numa,
      teamA,
      request(req({ pool: 'numa', numa: { node: 1, mode: 'preferred' } })),
      {
        attachments: full,
      },
    );
    expect(where(chosen(r))).toEqual(['ens1f0#0']);
  });
});

describe('strategy', () => {
  it('spread alternates PFs and starts with the PF holding the fewest of the tenant’s VFs', async () => {
    const inv = await dualSocket();
    expect(where(chosen(run(inv, both, teamA, request(req({ count: 4 })))))).toEqual([
      'ens1f0#0',
      'ens2f0np0#0',
      'ens1f0#1',
      'ens2f0np0#1',
    ]);
    const existing = [
      attachment(ENS1F0, 0, { tenant: 'team-a' }),
      attachment(ENS1F0, 1, { tenant: 'team-a' }),
      attachment(ENS2F0, 0, { tenant: 'other' }),
      attachment(ENS2F0, 1, { tenant: 'other' }),
      attachment(ENS2F0, 2, { tenant: 'other' }),
    ];
    const c = chosen(run(inv, both, teamA, request(req({ count: 2 })), { attachments: existing }));
    // ens2f0np0 is busier overall, but the tenant has none there: spread limits its blast radius.
    expect(where(c)).toEqual(['ens2f0np0#3', 'ens1f0#2']);
    expect(c[0]!.why).toBe(
      "NUMA node 0; PF ens2f0np0 had the fewest of the tenant's VFs (0) and 3 attached",
    );
  });

  it('pack fills the fullest PF with room first', async () => {
    const inv = await dualSocket();
    expect(
      where(chosen(run(inv, both, teamA, request(req({ count: 3, strategy: 'pack' }))))),
    ).toEqual(['ens1f0#0', 'ens1f0#1', 'ens1f0#2']);
    const existing = [attachment(ENS2F0, 1)];
    const c = chosen(
      run(inv, both, teamA, request(req({ count: 5, strategy: 'pack' })), {
        attachments: existing,
      }),
    );
    expect(where(c)).toEqual(['ens2f0np0#0', 'ens2f0np0#2', 'ens2f0np0#3', 'ens1f0#0', 'ens1f0#1']);
    expect(c[0]!.why).toContain('PF ens2f0np0 was the fullest with room (1 attached)');
  });
});

describe('QoS admission', () => {
  it('maxTxRate above the link speed excludes the PF', async () => {
    const inv = await dualSocket();
    const r = refusal(run(inv, both, teamA, request(req({ maxTxRate: 150000 }))));
    expect(r.explanation?.excluded).toEqual([
      { rule: 'PF link (100000 Mbit/s) slower than maxTxRate', count: 12 },
    ]);
    expect(chosen(run(inv, both, teamA, request(req({ maxTxRate: 100000 }))))).toHaveLength(1);
  });

  it('ixgbe cannot guarantee a minimum rate, but may cap one', async () => {
    const { inv } = await simInventory('small-82599');
    // On the host driver: vfio-pci is not loaded on this host.
    const slow = pool('slow', { selector: { pfNames: ['enp4s0f1'] }, vfDriver: 'host' });
    const r = refusal(run(inv, slow, teamA, request(req({ pool: 'slow', minTxRate: 100 }))));
    expect(r.explanation?.excluded).toEqual([
      { rule: 'PF driver ixgbe cannot guarantee a minimum rate', count: 4 },
    ]);
    expect(
      chosen(run(inv, slow, teamA, request(req({ pool: 'slow', maxTxRate: 5000 })))),
    ).toHaveLength(1);
    const fast = refusal(run(inv, slow, teamA, request(req({ pool: 'slow', maxTxRate: 20000 }))));
    expect(fast.explanation?.excluded).toEqual([
      { rule: 'PF link (10000 Mbit/s) slower than maxTxRate', count: 4 },
    ]);
  });

  it('a PF whose link is down has no known speed: guaranteed requests are excluded, others placed', async () => {
    const inv = await dualSocket((h) => h.setCarrier('ens1f0', false));
    const pf = inv.pfs.find((p) => p.netdev === 'ens1f0')!;
    expect(pf.speedMbps).toBeNull();
    expect(pfBandwidth(pf, { oversubscription: 2 })).toBeNull();
    const r = run(inv, both, teamA, request(req({ count: 5, minTxRate: 1000 })));
    expect(refusal(r).explanation?.excluded).toEqual([
      { rule: 'PF link speed unknown (link down?), so no rate can be guaranteed', count: 8 },
    ]);
    expect(
      where(chosen(run(inv, both, teamA, request(req({ count: 4, minTxRate: 1000 }))))),
    ).toEqual(['ens2f0np0#0', 'ens2f0np0#1', 'ens2f0np0#2', 'ens2f0np0#3']);
    expect(chosen(run(inv, both, teamA, request(req({ count: 9 }))))).toHaveLength(9);
  });

  it('a full PF is excluded with the numbers; oversubscription 2.0 doubles what it may give out', async () => {
    const inv = await dualSocket();
    const ens1 = pool('all', { selector: { pfNames: ['ens1f0'] } });
    const existing = [
      attachment(ENS1F0, 0, { minTxRate: 40000 }),
      attachment(ENS1F0, 1, { minTxRate: 20000 }),
    ];
    const ask = request(req({ pool: 'all', minTxRate: 50000 }));
    const r = refusal(run(inv, ens1, teamA, ask, { attachments: existing }));
    expect(r.explanation?.excluded).toEqual([
      { rule: 'attached to a consumer', count: 2 },
      { rule: 'PF guaranteed bandwidth full (60000 of 100000 Mbit/s given out)', count: 6 },
    ]);
    expect(
      chosen(run(inv, ens1, teamA, ask, { attachments: existing, oversubscription: 2 })),
    ).toHaveLength(1);
    expect(pfBandwidth(inv.pfs[0]!, { oversubscription: 2 })).toBe(200000);
  });

  it('a request exactly at what a PF has left is admitted; 1 Mbit/s more is refused', async () => {
    const inv = await dualSocket();
    const ens1 = pool('all', { selector: { pfNames: ['ens1f0'] } });
    const existing = [
      attachment(ENS1F0, 0, { minTxRate: 40000 }),
      attachment(ENS1F0, 1, { minTxRate: 20000 }),
    ];
    // 60000 of ens1f0's 100000 Mbit/s are given out: 40000 fills it exactly.
    const atCap = run(inv, ens1, teamA, request(req({ pool: 'all', minTxRate: 40000 })), {
      attachments: existing,
    });
    expect(where(chosen(atCap))).toEqual(['ens1f0#2']);
    const over = refusal(
      run(inv, ens1, teamA, request(req({ pool: 'all', minTxRate: 40001 })), {
        attachments: existing,
      }),
    );
    expect(over.explanation?.excluded).toEqual([
      { rule: 'attached to a consumer', count: 2 },
      { rule: 'PF guaranteed bandwidth full (60000 of 100000 Mbit/s given out)', count: 6 },
    ]);
  });

  it('VFs of one request that together fill a PF exactly are admitted; 1 Mbit/s more each is not', async () => {
    const inv = await dualSocket();
    const ens1 = pool('all', { selector: { pfNames: ['ens1f0'] } });
    const exact = run(inv, ens1, teamA, request(req({ pool: 'all', count: 2, minTxRate: 50000 })));
    expect(where(chosen(exact))).toEqual(['ens1f0#0', 'ens1f0#1']);
    const over = refusal(
      run(inv, ens1, teamA, request(req({ pool: 'all', count: 2, minTxRate: 50001 }))),
    );
    expect(over.reason).toContain('8 VFs that fit this request, 2 wanted (1 found)');
  });

  it('VFs of one request add up on their PF: the one that would overflow goes elsewhere or fails', async () => {
    const inv = await dualSocket();
    const ens1 = pool('all', { selector: { pfNames: ['ens1f0'] } });
    const r = refusal(
      run(inv, ens1, teamA, request(req({ pool: 'all', count: 3, minTxRate: 40000 }))),
    );
    expect(r.code).toBe('no-capacity');
    expect(r.reason).toContain('8 VFs that fit this request, 3 wanted (2 found)');
    // Pack would put everything on one PF; admission moves the overflow to the other.
    const c = chosen(
      run(inv, both, teamA, request(req({ count: 4, minTxRate: 40000, strategy: 'pack' }))),
    );
    expect(where(c)).toEqual(['ens1f0#0', 'ens1f0#1', 'ens2f0np0#0', 'ens2f0np0#1']);
  });

  for (const oversubscription of [1, 2]) {
    it(`the guaranteed sum on a PF never exceeds link speed × ${oversubscription} over many requests`, async () => {
      const inv = await dualSocket(withNuma1Vfs);
      const p = pool('numa', { selector: { pfNames: ['ens1f0', 'ens2f0np0', 'ens3f0'] } });
      const held: Attachment[] = [];
      // A fixed pseudo-random sequence: deterministic, but not shaped to the rule.
      let seed = 12345;
      const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      let refused = 0;
      for (let i = 0; i < 60 && held.length < 16; i++) {
        const ask = request(
          req({
            pool: 'numa',
            count: 1 + Math.floor(rand() * 2),
            minTxRate: 5000 + Math.floor(rand() * 60) * 1000,
            strategy: rand() < 0.5 ? 'pack' : 'spread',
            consumer: { kind: 'vm', name: `vm-${i}` },
          }),
        );
        const r = run(inv, p, teamA, ask, { attachments: held, oversubscription });
        if (!r.ok) {
          refused++;
          continue;
        }
        for (const c of r.choices)
          held.push(
            attachment(c.pf.pciAddress, c.vf.vfIndex, {
              tenant: 'team-a',
              minTxRate: ask.minTxRate,
            }),
          );
        const sums = new Map<string, number>();
        for (const a of held) sums.set(a.pf, (sums.get(a.pf) ?? 0) + a.minTxRate);
        for (const [, sum] of sums) expect(sum).toBeLessThanOrEqual(100000 * oversubscription);
      }
      // The sequence must exercise both outcomes for the invariant to mean something.
      expect(held.length).toBeGreaterThan(3);
      expect(refused).toBeGreaterThan(0);
      expect(new Set(held.map((a) => `${a.pf}#${a.vfIndex}`)).size).toBe(held.length);
    });
  }
});

/** An attach request for team-a on pool `both`, with overrides. */
function req(over: Partial<Parameters<typeof request>[0]> = {}): Parameters<typeof request>[0] {
  return { tenant: 'team-a', pool: 'both', vlan: 100, ...over };
}
