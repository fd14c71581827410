import { loadSimHost } from '../src/host/sim/index.js';
import { InventoryCache } from '../src/ledger/inventory-cache.js';
import { Ledger } from '../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../src/ledger/types.js';
import { createObservability } from '../src/metrics/observability.js';
import { TrafficSampler } from '../src/metrics/traffic.js';
const host = await loadSimHost('e810-8x256', { timing: 'off' });
const store = new SqliteLedgerStore({ path: ':memory:' });
const inventory = new InventoryCache(host);
const inv = await inventory.get();
const ledger = new Ledger({ store, host, inventory, hostname: inv.host.hostname });
const root = { actor: { name: 'bench', tenant: null } };
await ledger.putPool(root, 'all', { selector: { drivers: ['ice'] }, vfDriver: 'vfio-pci' });
for (const t of ['team-a', 'team-b'])
  await ledger.putTenant(root, t, { pools: ['all'], vlans: '100-199', allowTrust: false });
for (let i = 0; i < 16; i++)
  await ledger.attach(
    root,
    attachRequest.parse({
      tenant: i % 2 ? 'team-b' : 'team-a',
      pool: 'all',
      consumer: { kind: 'vm', name: `vm-${i}` },
      count: 32,
      vlan: 100 + i,
      minTxRate: 100,
    }),
  );
const dump = await host.linkDump();
for (const l of dump.links)
  for (const v of l.vfs ?? [])
    host.setTraffic(l.ifname, v.vf, {
      rxBytesPerSec: 1e6 + v.vf,
      txBytesPerSec: 2e6,
      rxPacketsPerSec: 1000,
      txPacketsPerSec: 2000,
      rxDroppedPerSec: v.vf % 7 === 0 ? 20 : 0,
      txDroppedPerSec: 0,
    });
const mode = process.argv[2];
const sampler = new TrafficSampler(host, { maxAgeMs: mode === 'render' ? Infinity : 0 });
const obs = createObservability({ ledger, sampler });
await obs.health!.evaluate();
await obs.health!.evaluate();
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 3000) {
    if (mode === 'dump') await host.linkDump();
    else (await obs.exporter.scrape()).release();
    n++;
  }
  console.log(mode, n, (((performance.now() - t0) / n) * 1000).toFixed(0), 'us/op');
}
process.exit(0);
