/**
 * A daemon on the simulator serving a unix socket and TCP, for the test that its 5xx answers are
 * logged (test/unit/api-console/server-errors.test.ts). It runs in its own process because
 * listenUnix sets process.umask, which a worker thread may not.
 *
 *   node --import tsx test/support/daemon-5xx-child.ts SOCKET_PATH
 *
 * stdout is the daemon's pino log, one JSON line each, plus `{"ready":{"url":...,"token":...}}`
 * once it listens and `{"done":COMMAND}` after each command. Commands, one per stdin line:
 * `eio` makes every netlink change on ens2f0np0 fail with EIO (an attach there answers 502);
 * `close-store` closes the ledger database under the daemon (the next SQL read answers 500).
 * The daemon stops and the process exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { startDaemon } from '../../src/daemon/daemon.js';
import { loadSimHost } from '../../src/host/sim/index.js';

const socketPath = process.argv[2]!;
const host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
const d = await startDaemon({
  host,
  db: ':memory:',
  socketPath,
  listen: { host: '127.0.0.1', port: 0 },
  rateLimitPerMinute: 0,
  consoleDir: null,
  issueAdminToken: true,
  log: pino({ base: null }, process.stdout),
});
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ ready: { url: d.url, token: d.adminToken } });

for await (const cmd of createInterface({ input: process.stdin })) {
  if (cmd === 'eio')
    host.faults.add({ op: 'netlink', target: /^ens2f0np0 vf /, errno: 'EIO', times: 1000 });
  else if (cmd === 'close-store') await d.store.close();
  say({ done: cmd });
}
await d.stop();
host.close();
process.exit(0);
