// The CLI's tables on a host whose VFs have no PCI address (netdevsim): `sriovctl pool vfs` against
// a real API on the simulated kernel renders every row, a missing value as `-`, boxed on a TTY and
// in plain columns otherwise; renderTable itself takes null and undefined cells.
import { openLedger } from '../../support/allocation.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/server.js';
import { renderTable, styleFor } from '../../../src/cli/format.js';
import { simHostFromYaml, type SimHost } from '../../../src/host/sim/index.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { createToken } from '../../../src/ledger/tokens.js';
import { runCli } from './run-cli.js';

let host: SimHost;
let store: SqliteLedgerStore;
let app: FastifyInstance;
let env: Record<string, string>;

beforeAll(async () => {
  host = await simHostFromYaml(
    'name: nsim\nhostname: nsim-1\ndevices:\n  - model: qemu-nvme\n    address: 0000:00:04.0\nnetdevsim:\n  - { id: 10, ports: 1, portNames: [eth0], numVfs: 3 }\n',
    { timing: 'off' },
  );
  store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const hostname = (await inventory.get()).host.hostname;
  app = await buildApi({
    ...openLedger({ store, host, inventory, hostname }),
    transport: 'tcp',
    rateLimitPerMinute: 0,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { secret } = await createToken(
    store,
    { name: 'admin', role: 'admin' },
    'test',
    new Date().toISOString(),
  );
  env = { SRIOVCTL_API: url, SRIOVCTL_TOKEN: secret };
});

afterAll(async () => {
  await app.close();
  await store.close();
  host.close();
});

describe('tables with missing values', () => {
  it('pool vfs lists netdevsim VFs (no PCI address) with - in plain output and on a TTY', async () => {
    const made = await runCli(
      ['pool', 'create', 'nsim', '--pf-names', 'eth0', '--vf-driver', 'host'],
      env,
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);

    const plain = await runCli(['pool', 'vfs', 'nsim'], env);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VF +PCI +NUMA +DRIVER +STATUS +TENANT +CONSUMER +ATTACHMENT$/);
    expect(lines.slice(1)).toHaveLength(3);
    for (const [i, l] of lines.slice(1).entries())
      expect(l).toMatch(new RegExp(`^eth0#${i} +- +\\S+ +- +free +- +- +-$`));

    const tty = await runCli(['pool', 'vfs', 'nsim'], env, true);
    expect(tty.stderr).toBe('');
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/│ eth0#0 +│ - +│/);
  });

  it('renderTable shows null and undefined as - and numbers as written, in both layouts', () => {
    const spec = {
      head: ['A', 'B', 'C'],
      rows: [
        ['x', null, 7],
        ['y', undefined, 0],
      ],
    };
    const env0 = {};
    const plain = renderTable(spec, styleFor({ write: () => true, isTTY: false }, env0));
    expect(plain.split('\n')).toEqual(['A  B  C', 'x  -  7', 'y  -  0']);
    const tty = renderTable(spec, styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' }));
    expect(tty).toContain('│ x │ - │ 7 │');
    expect(tty).toContain('│ y │ - │ 0 │');
  });
});
