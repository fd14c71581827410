/**
 * The daemon's side of the unix-socket test in test/unit/api/routes.test.ts, in its own process
 * because process.umask (which listenUnix uses) cannot be changed in a worker thread.
 *
 *   node --import tsx test/support/unix-api-child.ts SOCKET_PATH
 *
 * Serves the API (transport unix) on SOCKET_PATH, prints `listening`, and closes and exits 0 when
 * stdin ends. A listen that fails prints the error on stderr and exits 1.
 */
import { openLedger } from './allocation.js';
import { listenUnix } from '../../src/api/unix-socket.js';
import { buildApi } from '../../src/api/server.js';
import { loadSimHost } from '../../src/host/sim/index.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';

const path = process.argv[2]!;
const host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
const store = new SqliteLedgerStore({ path: ':memory:' });
const inventory = new InventoryCache(host);
const { ledger, allocation } = openLedger({
  store,
  host,
  inventory,
  hostname: (await inventory.get()).host.hostname,
});
const app = await buildApi({ ledger, allocation, transport: 'unix', rateLimitPerMinute: 0 });
try {
  await listenUnix(app, path);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
process.stdout.write('listening\n');

process.stdin.resume();
process.stdin.on('end', () => {
  void app.close().then(async () => {
    await store.close();
    process.exit(0);
  });
});
