/**
 * A simulated host with a ledger and the observability pieces on one manual clock: the simulator
 * counts traffic by it and the sampler divides by it, so rates are exact and no test waits.
 */
import type { AllocationService } from '../../../src/allocation/service.js';
import { observed, openLedger } from '../../support/allocation.js';
import { loadSimHost, type SimHost, type TrafficRates } from '../../../src/host/sim/index.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../../../src/contract/index.js';
import type { AttachRequestInput, Attachment, PoolSpec } from '../../../src/ledger/types.js';
import { EventBus } from '../../../src/metrics/events.js';
import type { HealthConfigInput } from '../../../src/metrics/health.js';
import { createObservability, type Observability } from '../../../src/metrics/observability.js';
import { TrafficSampler } from '../../../src/metrics/traffic.js';

export interface World {
  host: SimHost;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
  sampler: TrafficSampler;
  bus: EventBus;
  obs: Observability;
  root: RequestContext;
  /** Moves the shared clock (simulator counters and sampler) forward; 500 ms or more: a new dump. */
  advance(ms: number): void;
  /** Takes a fresh sample after moving the clock (rates then cover `ms`). */
  tick(ms?: number): Promise<void>;
  /** Attaches one VF of pool p (tenant team-a, VLAN 100, a fresh VM unless given). */
  attach(
    input: Partial<Omit<AttachRequestInput, 'consumer'>> & { consumer?: string },
  ): Promise<Attachment>;
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export async function openWorld(
  opts: {
    fixture?: string;
    health?: HealthConfigInput | false;
    oversubscription?: number;
    pool?: PoolSpec;
  } = {},
): Promise<World> {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const host = await loadSimHost(opts.fixture ?? 'dual-socket-e810-cx6', {
    timing: 'off',
    clock: now,
  });
  const store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host, { now });
  const inv = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
    placement: { oversubscription: opts.oversubscription ?? 1 },
    now: () => new Date(clock),
  });
  const root: RequestContext = { actor: { name: 'test-root', tenant: null } };
  const pf0 = inv.pfs[0]!.netdev!;
  await ledger.putPool(
    root,
    'p',
    opts.pool ?? { selector: { pfNames: [pf0] }, vfDriver: 'vfio-pci' },
  );
  for (const t of ['team-a', 'team-b'])
    await ledger.putTenant(root, t, { pools: ['p'], vlans: '0-4094', allowTrust: true });
  // As in the daemon: readers within 500 ms share a dump (a health pass right after a tick sees
  // the tick's rates); tests move the clock further than that to get a fresh one.
  const sampler = new TrafficSampler(host, { maxAgeMs: 500, now });
  const bus = new EventBus(1000, () => new Date(clock));
  const obs = createObservability({
    ...observed({ ledger, allocation }),
    sampler,
    bus,
    health: opts.health ?? {},
    processMetrics: false,
  });
  let n = 0;
  return {
    host,
    store,
    ledger,
    allocation,
    sampler,
    bus,
    obs,
    root,
    advance(ms) {
      clock += ms;
    },
    async tick(ms = 1000) {
      clock += ms;
      await sampler.sample();
    },
    async attach({ consumer, ...rest }) {
      const r = await allocation.attach(
        root,
        attachRequest.parse({
          tenant: 'team-a',
          pool: 'p',
          consumer: { kind: 'vm', name: consumer ?? `vm-${++n}` },
          vlan: 100,
          ...rest,
        }),
      );
      return r.attachments[0]!;
    },
    scrape: () => obs.exporter.scrapeText(),
    async close() {
      await obs.stop();
      await store.close();
      host.close();
    },
  };
}

export const traffic = (over: Partial<TrafficRates> = {}): TrafficRates => ({
  rxBytesPerSec: 0,
  txBytesPerSec: 0,
  rxPacketsPerSec: 0,
  txPacketsPerSec: 0,
  rxDroppedPerSec: 0,
  txDroppedPerSec: 0,
  ...over,
});

/** The sample lines of an exposition (no comments), optionally of one family. */
export function samples(text: string, family?: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        l !== '' &&
        !l.startsWith('#') &&
        (family === undefined || l.startsWith(`${family}{`) || l.startsWith(`${family} `)),
    );
}

/** The value of the one series of `family` whose labels include all of `labels`. */
export function value(text: string, family: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const hits = samples(text, family).filter((l) => {
    const inner = /\{(.*)\}/.exec(l)?.[1] ?? '';
    const have = inner.split(/,(?=[a-z_A-Z]+=")/);
    return want.every((w) => have.includes(w));
  });
  if (hits.length !== 1)
    throw new Error(
      `${hits.length} series of ${family} match ${want.join(',')}:\n${hits.join('\n')}`,
    );
  return Number(hits[0]!.slice(hits[0]!.lastIndexOf(' ') + 1));
}
