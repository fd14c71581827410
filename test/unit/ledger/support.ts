// Builders shared by the ledger tests: tenants, pools and requests go through the same zod schemas
// the API uses (so defaults are the real ones), and hosts are simulated fixtures with timing off.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { attachRequest, poolSpec, tenantSpec } from '../../../src/contract/index.js';
import type {
  AttachRequest,
  AttachRequestInput,
  Attachment,
  Pool,
  Tenant,
} from '../../../src/ledger/types.js';

const STAMP = '2024-01-01T00:00:00.000Z';

export function tenant(name: string, spec: Partial<Record<string, unknown>> = {}): Tenant {
  return {
    name,
    ...tenantSpec.parse({ vlans: '100', ...spec }),
    createdAt: STAMP,
    updatedAt: STAMP,
  };
}

export function pool(name: string, spec: Record<string, unknown>): Pool {
  return { name, ...poolSpec.parse(spec), createdAt: STAMP, updatedAt: STAMP };
}

/** A parsed attach request; the consumer defaults to vm/vm-1. */
export function request(
  input: Omit<AttachRequestInput, 'consumer'> & { consumer?: AttachRequestInput['consumer'] },
): AttachRequest {
  return attachRequest.parse({ consumer: { kind: 'vm', name: 'vm-1' }, ...input });
}

let held = 0;
/** An attachment row as the store would hold it, for placement inputs. */
export function attachment(
  pf: string,
  vfIndex: number,
  over: Partial<Attachment> = {},
): Attachment {
  held++;
  return {
    id: `held-${held}`,
    tenant: 'other',
    pool: 'p',
    consumer: { kind: 'vm', name: `other-vm-${held}`, host: 'compute-17' },
    interface: 'net0',
    host: 'compute-17',
    pf,
    pfNetdev: 'unused',
    vfIndex,
    vfPciAddress: null,
    numaNode: 0,
    mac: `02:00:00:00:${(held >> 8).toString(16).padStart(2, '0')}:${(held & 0xff).toString(16).padStart(2, '0')}`,
    vlan: 100,
    qos: 0,
    minTxRate: 0,
    maxTxRate: 0,
    trust: false,
    spoofchk: true,
    linkState: 'auto',
    vlanProto: '802.1Q',
    state: 'attached',
    detail: null,
    requestKey: null,
    requestedBy: 'test',
    createdAt: STAMP,
    updatedAt: STAMP,
    ...over,
  };
}

const hosts: SimHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

/** Boots a fixture (closed after the test); `prepare` runs before discovery. */
export async function simInventory(
  fixture: string,
  prepare?: (h: SimHost) => Promise<void> | void,
): Promise<{ host: SimHost; inv: Inventory }> {
  const host = await bootSim(fixture);
  if (prepare) await prepare(host);
  return { host, inv: await discover(host) };
}

export async function bootSim(fixture: string): Promise<SimHost> {
  const host = await loadSimHost(fixture, { timing: 'off' });
  hosts.push(host);
  return host;
}

export function tempDir(prefix = 'sriovctl-ledger-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The value a promise rejected with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}
