// The API commands end to end: a real daemon API (Fastify over real TCP and a real unix socket, a
// real SQLite ledger, a simulated host) driven through `main([...])` with captured streams.
import { openLedger } from '../../support/allocation.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../src/api/server.js';
import { normalizeArgv } from '../../../src/cli/main.js';
import { shortAttachmentId } from '../../../src/contract/attachment-id.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { createToken } from '../../../src/ledger/tokens.js';
import type { Attachment, AuditEntry, Tenant } from '../../../src/ledger/types.js';
import { runCli, type CliRun } from './run-cli.js';

let host: SimHost;
let store: SqliteLedgerStore;
let tcp: FastifyInstance;
let unix: FastifyInstance;
let url: string;
let socket: string;
let admin: string;
const dir = mkdtempSync(join(tmpdir(), 'sriovctl-cli-api-'));

beforeAll(async () => {
  host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  store = new SqliteLedgerStore({ path: join(dir, 'ledger.db') });
  const inventory = new InventoryCache(host);
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: (await inventory.get()).host.hostname,
  });
  tcp = await buildApi({ ledger, allocation, transport: 'tcp', rateLimitPerMinute: 0 });
  url = await tcp.listen({ host: '127.0.0.1', port: 0 });
  unix = await buildApi({ ledger, allocation, transport: 'unix', rateLimitPerMinute: 0 });
  socket = join(dir, 'api.sock');
  // listenUnix sets process.umask, which worker threads may not; the socket's mode is the API's
  // own test's business, the CLI only needs something listening on a path.
  await unix.listen({ path: socket });
  admin = (
    await createToken(
      store,
      { name: 'test-admin', role: 'admin' },
      'test',
      new Date().toISOString(),
    )
  ).secret;
});

afterAll(async () => {
  await tcp.close();
  await unix.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** sriovctl over TCP with a token (admin unless given). */
const cli = (argv: string[], token: string = admin): Promise<CliRun> =>
  runCli(argv, { SRIOVCTL_API: url, SRIOVCTL_TOKEN: token });
/** sriovctl as local root over the unix socket (no token). */
const root = (argv: string[]): Promise<CliRun> => runCli([...argv, '--api', `unix:${socket}`]);
const json = <T>(r: CliRun): T => JSON.parse(r.stdout) as T;

async function attachmentsOf(tenant: string): Promise<Attachment[]> {
  const r = await cli(['attachments', '--tenant', tenant, '--json']);
  return json<{ items: Attachment[] }>(r).items.sort((a, b) =>
    a.interface < b.interface ? -1 : a.interface > b.interface ? 1 : 0,
  );
}

/** A TCP port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('whoami and how the CLI reaches the daemon', () => {
  it('is local root over the unix socket and the token over TCP', async () => {
    const r = await root(['whoami']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name: +local-root$/m);
    expect(r.stdout).toMatch(/^role: +admin$/m);
    expect(r.stdout).toMatch(/^host: +compute-17$/m);
    expect(r.stdout).toContain(`unix:${socket}`);
    const t = await cli(['whoami', '--json']);
    expect(json(t)).toEqual({
      name: 'test-admin',
      role: 'admin',
      tenant: null,
      host: 'compute-17',
      simulated: true,
      fixture: 'dual-socket-e810-cx6',
    });
    // --api and --token beat the environment.
    const f = await runCli(['whoami', '--json', '--api', url, '--token', admin], {
      SRIOVCTL_API: `unix:${join(dir, 'nothing.sock')}`,
    });
    expect(json<{ name: string }>(f).name).toBe('test-admin');
  });

  it('says to start the daemon when the socket is missing (exit 69)', async () => {
    const missing = join(dir, 'missing', 'api.sock');
    const r = await runCli(['tenant', 'list', '--api', `unix:${missing}`]);
    expect(r.code).toBe(69);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `is \`sriovctl serve\` running? (socket ${missing}: no such socket)`,
    );
    expect(r.stderr).toMatch(/^hint: start it \(systemctl start sriovctl\.service/m);
  });

  it('says so when nothing listens on the TCP address (exit 69)', async () => {
    const port = await closedPort();
    const r = await runCli(['attachments'], { SRIOVCTL_API: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(
      `cannot reach the sriovctl daemon at http://127.0.0.1:${port}: is \`sriovctl serve --listen\` running? (connection refused)`,
    );
  });

  it('refuses a malformed --api before connecting (exit 64)', async () => {
    const r = await runCli(['whoami', '--api', 'ftp://h:1']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--api "ftp://h:1": unsupported scheme ftp');
    const p = await runCli(['whoami', '--api', `${url}/api/v1`]);
    expect(p.code).toBe(64);
    expect(p.stderr).toContain('give the daemon address only');
  });

  it('needs a token over TCP: 401 with the fix (exit 77)', async () => {
    const r = await runCli(['tenant', 'list', '--api', url]);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('sriovctl: a valid bearer token is required');
    expect(r.stderr).toContain('fix: create one with `sriovctl token create NAME --role viewer`');
  });

  it('documents its exit codes in the help, and --sim before a command is normalized', async () => {
    const h = await runCli(['attach', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/69 +the daemon is not reachable/);
    expect(h.stdout).toMatch(/77 +not allowed/);
    expect(normalizeArgv(['--sim', 'attachments'])).toEqual(['--sim=', 'attachments']);
  });
});

describe('pools', () => {
  it('creates pools from selector flags and refuses to replace one silently', async () => {
    const r = await cli([
      'pool',
      'create',
      'e810',
      '--drivers',
      'ice',
      '--vendor',
      '8086',
      '--vf-range',
      '0-7',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Created pool e810: 8 VFs on this host match.\n');
    const cx6 = await cli([
      'pool',
      'create',
      'cx6',
      '--pf-names',
      'ens2f0np0',
      '--vf-driver',
      'host',
    ]);
    expect(cx6.stdout).toBe('Created pool cx6: 4 VFs on this host match.\n');

    const again = await cli(['pool', 'create', 'e810', '--drivers', 'ice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('sriovctl: pool e810 already exists');
    expect(again.stderr).toContain('fix: pass --replace');
    const replaced = await cli([
      'pool',
      'create',
      'e810',
      '--drivers',
      'ice',
      '--replace',
      '--json',
    ]);
    expect(replaced.code).toBe(0);
    expect(json<{ selector: unknown }>(replaced).selector).toEqual({ drivers: ['ice'] });
  });

  it('checks the flags with the pool schema and names flag and field (exit 64, nothing sent)', async () => {
    const empty = await cli(['pool', 'create', 'nothing']);
    expect(empty.code).toBe(64);
    expect(empty.stderr).toContain(
      'sriovctl: --pf-names/--pci-addresses/--vendor/--device-id/--drivers (selector): an empty selector would take every VF',
    );
    const vendor = await cli(['pool', 'create', 'bad', '--vendor', '8O86']);
    expect(vendor.code).toBe(64);
    expect(vendor.stderr).toContain(
      '--vendor (selector.vendor): a PCI vendor ID is 4 hex digits without 0x, like 8086 (Intel) or 15b3 (NVIDIA)',
    );
    // A PF name no PF could have: refused as a policy's selector refuses it, nothing sent.
    const pf = await cli(['pool', 'create', 'bad', '--pf-names', 'ens1f1,$(reboot)']);
    expect(pf.code).toBe(64);
    expect(pf.stderr).toContain(
      'sriovctl: --pf-names (selector.pfNames.1): is not a PF name — it has the interface name "$(reboot)", which Linux would not accept; write names like ens1f0 or ens1f0#0-7,12',
    );
    const driver = await cli(['pool', 'create', 'bad', '--drivers', 'ice', '--vf-driver', 'igb']);
    expect(driver.stderr).toContain('--vf-driver (vfDriver):');
    const name = await cli(['pool', 'create', 'Bad_Name', '--drivers', 'ice']);
    expect(name.code).toBe(64);
    expect(name.stderr).toContain('pool name "Bad_Name": a lowercase DNS label');
    const list = json<{ items: { name: string }[] }>(await cli(['pool', 'list', '--json']));
    expect(list.items.map((p) => p.name)).toEqual(['cx6', 'e810']);
  });

  it('lists pools with VF counts, shows one, and lists its VFs', async () => {
    const list = await cli(['pool', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +VF DRIVER +VFS +FREE +SELECTOR$/);
    expect(lines[1]).toMatch(/^cx6 +host +4 +4 +pfNames ens2f0np0$/);
    expect(lines[2]).toMatch(/^e810 +vfio-pci +8 +8 +drivers ice$/);
    const show = await cli(['pool', 'show', 'e810']);
    expect(show.stdout).toMatch(/^VFs: +8 on 1 PF \(ens1f0\)$/m);
    const vfs = await cli(['pool', 'vfs', 'cx6']);
    const rows = vfs.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^VF +PCI +NUMA +DRIVER +STATUS +TENANT +CONSUMER +ATTACHMENT$/);
    expect(rows.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'ens2f0np0#0',
      'ens2f0np0#1',
      'ens2f0np0#2',
      'ens2f0np0#3',
    ]);
    expect(rows.slice(1).every((l) => /\bfree\b/.test(l))).toBe(true);
    const missing = await cli(['pool', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('sriovctl: pool nope does not exist\n');
  });
});

describe('tenants', () => {
  it('creates tenants, validating VLANs and quotas with the tenant schema first', async () => {
    const a = await cli([
      'tenant',
      'create',
      'team-a',
      '--pools',
      'e810,cx6',
      '--vlans',
      '100-199',
      '--max-vfs',
      '4',
      '--max-guaranteed-mbps',
      '50000',
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe('Created tenant team-a.\n');
    const b = await cli([
      'tenant',
      'create',
      'team-b',
      '--pools',
      'e810',
      '--vlans',
      '0,200-299',
      '--allow-trust',
    ]);
    expect(b.code).toBe(0);

    const vlan = await cli([
      'tenant',
      'create',
      'team-c',
      '--pools',
      'e810',
      '--vlans',
      '100-5000',
    ]);
    expect(vlan.code).toBe(64);
    expect(vlan.stderr).toContain(
      'sriovctl: --vlans (vlans): VLAN IDs go from 0 (untagged) to 4094',
    );
    const quota = await cli(['tenant', 'create', 'team-c', '--vlans', '1', '--max-vfs', 'many']);
    expect(quota.code).toBe(64);
    expect(quota.stderr).toContain('--max-vfs "many": expected a whole number');
    const negative = await cli(['tenant', 'create', 'team-c', '--vlans', '1', '--max-vfs', '-1']);
    expect(negative.stderr).toContain('--max-vfs (maxVfs):');
    const missing = await cli(['tenant', 'create', 'team-c', '--pools', 'e810']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("required option '--vlans <ranges>' not specified");
  });

  it('prints the daemon refusal with its field and fix (unknown pool, exit 1)', async () => {
    const r = await cli(['tenant', 'create', 'team-c', '--pools', 'gpu', '--vlans', '300']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'sriovctl: pool gpu does not exist\nfield: pools (--pools)\nfix: create the pool first\n',
    );
    const names = json<{ items: Tenant[] }>(await cli(['tenant', 'list', '--json'])).items.map(
      (t) => t.name,
    );
    expect(names).toEqual(['team-a', 'team-b']);
  });

  it('lists and shows tenants', async () => {
    const list = await cli(['tenant', 'list']);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +POOLS +VLANS +MAX VFS +MAX GUARANTEED +TRUST$/);
    expect(lines[1]).toMatch(/^team-a +e810,cx6 +100-199 +4 +50 Gb\/s +no$/);
    expect(lines[2]).toMatch(/^team-b +e810 +0,200-299 +- +- +allowed$/);
    const show = await cli(['tenant', 'show', 'team-a']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^VFs held: +0 of 4$/m);
    expect(show.stdout).toMatch(/^trust: +not allowed \(spoofchk stays on\)$/m);
    const one = json<Tenant>(await cli(['tenant', 'show', 'team-b', '--json']));
    expect(one).toMatchObject({ name: 'team-b', pools: ['e810'], allowTrust: true });
  });
});

describe('attach, attachments, detach', () => {
  it('--dry-run prints the placement from POST /placements and attaches nothing', async () => {
    const r = await cli([
      'attach',
      '--tenant',
      'team-a',
      '--pool',
      'e810',
      '--consumer',
      'vm:web-1',
      '--count',
      '2',
      '--vlan',
      '100',
      '--dry-run',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Would attach 2 VFs \(dry run; nothing was changed\):$/m);
    expect(r.stdout).toMatch(/^ens1f0#0 +0 +/m);
    expect(r.stdout).toMatch(/^placement: 8 in the pool; 8 candidates \(strategy spread\)$/m);
    expect(await attachmentsOf('team-a')).toEqual([]);
  });

  it('attaches: configures the VFs in the kernel and prints them with the reasons', async () => {
    const r = await cli([
      'attach',
      '--tenant',
      'team-a',
      '--pool',
      'e810',
      '--consumer',
      'vm:web-1',
      '--interfaces',
      'net0,net1',
      '--vlan',
      '100',
      '--qos',
      '3',
      '--min-tx-rate',
      '1000',
      '--max-tx-rate',
      '5000',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Attached 2 VFs to vm:web-1@compute-17 \(tenant team-a, pool e810\):$/m,
    );
    expect(r.stdout).toMatch(
      / net0 +ens1f0#0 +0000:3b:01\.0 +0 +[0-9a-f:]{17} +100 qos 3 +1000\/5000 +off +on$/m,
    );
    const held = await attachmentsOf('team-a');
    expect(held.map((a) => [a.interface, a.vfIndex, a.state])).toEqual([
      ['net0', 0, 'attached'],
      ['net1', 1, 'attached'],
    ]);
    // The kernel has what the CLI asked for.
    const vf = (await discover(host)).pfs
      .find((p) => p.netdev === 'ens1f0')!
      .vfs.find((v) => v.vfIndex === 0)!;
    expect(vf.config).toMatchObject({ vlan: 100, qos: 3, minTxRate: 1000, maxTxRate: 5000 });
    expect(vf.config!.mac).toBe(held[0]!.mac);
  });

  it('validates attach flags with the attach schema, naming flag and field (exit 64)', async () => {
    const base = ['attach', '--tenant', 'team-a', '--pool', 'e810'];
    const rates = await cli([
      ...base,
      '--consumer',
      'vm:x',
      '--min-tx-rate',
      '5000',
      '--max-tx-rate',
      '1000',
    ]);
    expect(rates.code).toBe(64);
    expect(rates.stderr).toContain(
      'sriovctl: --min-tx-rate (minTxRate): minTxRate must not exceed maxTxRate (0 means no cap)',
    );
    const consumer = await cli([...base, '--consumer', 'web-1']);
    expect(consumer.code).toBe(64);
    expect(consumer.stderr).toContain('--consumer "web-1": expected KIND:NAME[@HOST]');
    const kind = await cli([...base, '--consumer', 'lxc:web-1']);
    expect(kind.stderr).toContain('--consumer (consumer.kind):');
    const link = await cli([...base, '--consumer', 'vm:x', '--link-state', 'up']);
    expect(link.stderr).toContain('--link-state (linkState):');
    const numa = await cli([...base, '--consumer', 'vm:x', '--numa', 'near']);
    expect(numa.stderr).toContain('--numa "near": expected N or N:required');
    const mac = await cli([
      ...base,
      '--consumer',
      'vm:x',
      '--count',
      '2',
      '--mac',
      '02:00:00:00:00:01',
    ]);
    expect(mac.stderr).toContain('--mac (mac): an explicit mac is for one interface only');
    expect(await attachmentsOf('team-a')).toHaveLength(2);
  });

  it('prints placement refusals with the field (VLAN, trust, quota) and exits 1', async () => {
    const base = ['attach', '--tenant', 'team-a', '--pool', 'e810', '--consumer', 'vm:web-2'];
    const vlan = await cli([...base, '--vlan', '300']);
    expect(vlan.code).toBe(1);
    expect(vlan.stderr).toMatch(/^sriovctl: .*300.*\nfield: vlan \(--vlan\)\n$/);
    const trust = await cli([...base, '--vlan', '100', '--trust']);
    expect(trust.code).toBe(1);
    expect(trust.stderr).toMatch(/trust/);
    const quota = await cli([...base, '--vlan', '100', '--count', '3']);
    expect(quota.code).toBe(1);
    expect(quota.stderr).toBe(
      'sriovctl: tenant team-a holds 2 of its 4 VFs; 3 more would exceed the quota\nfield: count (--count)\n',
    );
    const numa = await cli([...base, '--vlan', '100', '--numa', '1:required']);
    expect(numa.code).toBe(1);
    // The exclusions are in the detail already, so they are said once.
    expect(numa.stderr.match(/6 not on NUMA node 1 \(required\)/g)).toHaveLength(1);
    // A dry run applies the VLAN rule too (it once promised VFs that attach then refused).
    const dryVlan = await cli([...base, '--vlan', '300', '--dry-run']);
    expect(dryVlan.code).toBe(1);
    expect(dryVlan.stderr).toMatch(
      /^sriovctl: would be refused: VLAN 300 is not one of tenant team-a's/,
    );
    const dryNoVlan = await cli([...base, '--dry-run', '--json']);
    expect(json<{ ok: boolean; code: string }>(dryNoVlan)).toMatchObject({
      ok: false,
      code: 'vlan-not-allowed',
    });
    const dry = await cli([...base, '--vlan', '100', '--count', '3', '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toMatch(/^sriovctl: would be refused: .*team-a/);
    const dryJson = await cli([...base, '--vlan', '100', '--count', '3', '--dry-run', '--json']);
    expect(json<{ ok: boolean; code: string }>(dryJson)).toMatchObject({
      ok: false,
      code: 'vf-quota',
    });
    // --json on a refusal prints the problem for machines.
    const pj = await cli([...base, '--vlan', '300', '--json']);
    expect(json<{ status: number; field: string }>(pj)).toMatchObject({
      status: 422,
      field: 'vlan',
    });
    expect(await attachmentsOf('team-a')).toHaveLength(2);
  });

  it('a conflict carries the fix; the server validates the idempotency key with its field', async () => {
    const dup = await cli([
      'attach',
      '--tenant',
      'team-a',
      '--pool',
      'e810',
      '--consumer',
      'vm:web-1',
      '--interfaces',
      'net1',
      '--vlan',
      '100',
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already has VF 1 of ens1f0 on net1');
    expect(dup.stderr).toContain('fix: detach it first or use another interface name');
    const key = await cli([
      'attach',
      '--tenant',
      'team-a',
      '--pool',
      'e810',
      '--consumer',
      'vm:web-3',
      '--vlan',
      '100',
      '--idempotency-key',
      'short',
    ]);
    expect(key.code).toBe(64);
    expect(key.stderr).toMatch(/field: headers\.idempotency-key/);
  });

  it('--idempotency-key answers a retry with the first result', async () => {
    const argv = [
      'attach',
      '--tenant',
      'team-b',
      '--pool',
      'e810',
      '--consumer',
      'pod:default/web-0@node-3',
      '--vlan',
      '0',
      '--idempotency-key',
      'retry-0001',
      '--json',
    ];
    const first = json<{ attachments: Attachment[] }>(await cli(argv));
    const again = json<{ attachments: Attachment[] }>(await cli(argv));
    expect(again.attachments.map((a) => a.id)).toEqual(first.attachments.map((a) => a.id));
    const held = await attachmentsOf('team-b');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      consumer: { kind: 'pod', name: 'default/web-0', host: 'node-3' },
      vlan: 0,
      interface: 'net0',
    });
    // Spread: team-b's VF is the next free one on the only PF.
    expect(held[0]!.vfIndex).toBe(2);
  });

  it('passes trust, spoofchk, link state, MAC, NUMA and --pack through to the API', async () => {
    const argv = [
      'attach',
      '--tenant',
      'team-b',
      '--pool',
      'e810',
      '--consumer',
      'process:dpdk-fwd',
      '--vlan',
      '200',
      '--trust',
      '--no-spoofchk',
      '--link-state',
      'enable',
      '--mac',
      '02:00:00:00:00:aa',
      '--numa',
      '0:required',
      '--pack',
    ];
    const dry = json<{ ok: boolean; placement: { strategy: string } }>(
      await cli([...argv, '--dry-run', '--json']),
    );
    expect(dry).toMatchObject({ ok: true, placement: { strategy: 'pack' } });
    const r = await cli([...argv, '--json']);
    expect(r.code).toBe(0);
    const [a] = json<{ attachments: Attachment[] }>(r).attachments;
    expect(a).toMatchObject({
      trust: true,
      spoofchk: false,
      linkState: 'enable',
      mac: '02:00:00:00:00:aa',
      vlan: 200,
      numaNode: 0,
    });
    // Detach with a key: a retry answers the same instead of "does not exist".
    const detach = ['detach', a!.id, '--idempotency-key', 'detach-0001', '--json'];
    const first = await cli(detach);
    expect(first.code).toBe(0);
    const retry = await cli(detach);
    expect(retry.code).toBe(0);
    expect(json(retry)).toEqual(json(first));
    const two = await cli(['detach', a!.id, a!.id, '--idempotency-key', 'detach-0002']);
    expect(two.code).toBe(64);
  });

  it('lists attachments with filters as a table and as JSON', async () => {
    const all = await cli(['attachments']);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +TENANT +POOL +CONSUMER +IFACE +VF +MAC +VLAN +MIN\/MAX +STATE$/);
    expect(lines).toHaveLength(4);
    expect(all.stdout).toMatch(
      / team-b +e810 +pod:default\/web-0@node-3 +net0 +ens1f0#2 .* untagged +- +attached$/m,
    );
    const a = await cli(['attachments', '--tenant', 'team-a', '--state', 'attached']);
    expect(a.stdout.trimEnd().split('\n')).toHaveLength(3);
    const none = await cli(['attachments', '--pool', 'cx6']);
    expect(none.stdout).toBe('No attachments.\n');
    const byConsumer = json<{ items: Attachment[] }>(
      await cli(['attachments', '--consumer', 'web-1', '--json']),
    );
    expect(byConsumer.items.map((x) => x.interface).sort()).toEqual(['net0', 'net1']);
    const bad = await cli(['attachments', '--state', 'gone']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--state "gone": expected one of attaching, attached');
  });

  it('pool vfs shows who holds what; tenant show counts what the tenant holds', async () => {
    const vfs = await cli(['pool', 'vfs', 'e810']);
    expect(vfs.stdout).toMatch(/^ens1f0#0 .* attached +team-a +vm:web-1@compute-17 +[0-9a-f]{8}$/m);
    expect(vfs.stdout).toMatch(/^ens1f0#3 .* free +- +- +-$/m);
    const show = await cli(['tenant', 'show', 'team-a']);
    expect(show.stdout).toMatch(/^VFs held: +2 of 4$/m);
    expect(show.stdout).toMatch(/^guaranteed: +2 Gb\/s of 50 Gb\/s$/m);
  });

  it('colours only on a TTY', async () => {
    const plain = await cli(['attachments']);
    expect(plain.stdout).not.toContain('\x1b[');
    const tty = await runCli(['attachments'], { SRIOVCTL_API: url, SRIOVCTL_TOKEN: admin }, true);
    expect(tty.stdout).toContain('\x1b[32mattached\x1b[39m');
    const noColor = await runCli(
      ['attachments'],
      { SRIOVCTL_API: url, SRIOVCTL_TOKEN: admin, NO_COLOR: '1' },
      true,
    );
    expect(noColor.stdout).not.toContain('\x1b[');
  });

  it('a host failure during attach is a 502: exit 70, nothing attached', async () => {
    // Only the configure fails; the scrub that rolls it back goes through.
    host.faults.add({ op: 'netlink', target: /^ens2f0np0 vf/, errno: 'EIO' });
    try {
      const r = await cli([
        'attach',
        '--tenant',
        'team-a',
        '--pool',
        'cx6',
        '--consumer',
        'vm:db-1',
        '--vlan',
        '150',
      ]);
      expect(r.code).toBe(70);
      expect(r.stderr).toMatch(/^sriovctl: the kernel refused to configure .*ens2f0np0/);
      expect(r.stderr).toMatch(/^fix: /m);
    } finally {
      host.faults.clear();
    }
    expect((await attachmentsOf('team-a')).filter((a) => a.pool === 'cx6')).toEqual([]);
  });
});

describe('attach --vlan-proto', () => {
  it('checks the protocol before sending, and passes 802.1ad to the kernel, which ice refuses outside double VLAN mode', async () => {
    const base = ['attach', '--tenant', 'team-a', '--pool', 'e810', '--consumer', 'vm:qinq'];
    const bad = await cli([...base, '--vlan', '100', '--vlan-proto', '802.1x']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--vlan-proto (vlanProto): vlanProto is 802.1Q or 802.1ad');
    const refused = await cli([...base, '--vlan', '100', '--vlan-proto', '802.1ad']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^sriovctl: the kernel refused to configure .*ens1f0.*does not support 802\.1ad \(QinQ\) VF VLANs/,
    );
    expect(refused.stderr).toMatch(/^fix: use 802\.1Q, or on ice enable Double VLAN Mode/m);
    expect((await attachmentsOf('team-a')).filter((a) => a.consumer.name === 'qinq')).toEqual([]);
  });
});

describe('attachment IDs people can tell apart', () => {
  it('shows the last 8 hex digits and takes them, or a unique prefix, in place of the ID', async () => {
    const r = await cli([
      'attach',
      '--tenant',
      'team-b',
      '--pool',
      'e810',
      '--consumer',
      'vm:ids',
      '--count',
      '2',
      '--vlan',
      '0',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [x, y] = json<{ attachments: Attachment[] }>(r).attachments.map((a) => a.id);
    // Made in one request: a UUIDv7's first 8 digits (its timestamp) are the same.
    expect(x!.slice(0, 8)).toBe(y!.slice(0, 8));
    const table = (await cli(['attachments', '--tenant', 'team-b'])).stdout;
    expect(table).toMatch(new RegExp(`^${shortAttachmentId(x!)} +team-b +e810 +vm:ids`, 'm'));
    expect(table).toMatch(new RegExp(`^${shortAttachmentId(y!)} +team-b +e810 +vm:ids`, 'm'));
    expect(table).not.toContain(x);
    const wide = (await cli(['attachments', '--tenant', 'team-b', '--wide'])).stdout;
    expect(wide).toMatch(new RegExp(`^${x} +team-b`, 'm'));

    const ambiguous = await cli(['detach', x!.slice(0, 8)]);
    expect(ambiguous.code).toBe(64);
    expect(ambiguous.stderr).toMatch(/^sriovctl: "[0-9a-f]{8}" matches \d+ attachments: /);
    expect(ambiguous.stderr).toContain(shortAttachmentId(x!));
    expect(ambiguous.stderr).toContain(shortAttachmentId(y!));
    const none = await cli(['detach', '00000000']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('sriovctl: no attachment ID starts or ends with 00000000');
    const short = await cli(['detach', shortAttachmentId(x!).slice(1)]);
    expect(short.code).toBe(64);
    expect(short.stderr).toContain('nor 8 or more of its last or first hex digits');
    expect(await attachmentsOf('team-b')).toHaveLength(3);

    const d = await cli(['detach', shortAttachmentId(x!).toUpperCase(), y!.slice(-12)]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`Detached ${x}: `);
    expect(d.stdout).toContain(`Detached ${y}: `);
    expect(await attachmentsOf('team-b')).toHaveLength(1);
  });
});

describe('tenant-scoped tokens see their own tenant only', () => {
  let opA: string;
  let viewerA: string;

  it('token create prints the secret alone on stdout; token list shows it without', async () => {
    const r = await cli(['token', 'create', 'ci-a', '--role', 'operator', '--tenant', 'team-a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sriovctl_[A-Za-z0-9_-]+\n$/);
    expect(r.stderr).toMatch(/token ci-a \(operator of tenant team-a, id [0-9a-f-]{36}\) created/);
    opA = r.stdout.trim();
    const v = json<{ secret: string; token: { role: string } }>(
      await cli(['token', 'create', 'view-a', '--role', 'viewer', '--tenant', 'team-a', '--json']),
    );
    expect(v.token.role).toBe('viewer');
    viewerA = v.secret;
    const list = await cli(['token', 'list']);
    expect(list.stdout).toMatch(/^[0-9a-f-]{36} +ci-a +operator +team-a +/m);
    expect(list.stdout).not.toContain(opA);
    const scopedAdmin = await cli([
      'token',
      'create',
      'x',
      '--role',
      'admin',
      '--tenant',
      'team-a',
    ]);
    expect(scopedAdmin.code).toBe(64);
    expect(scopedAdmin.stderr).toContain('--role (role): an admin token cannot be tenant-scoped');
  });

  it('sees only its tenant in tenants, attachments, pool VFs and the audit log', async () => {
    const me = json<{ tenant: string }>(await cli(['whoami', '--json'], opA));
    expect(me.tenant).toBe('team-a');
    const tenants = await cli(['tenant', 'list'], opA);
    expect(tenants.stdout).toContain('team-a');
    expect(tenants.stdout).not.toContain('team-b');
    const other = await cli(['tenant', 'show', 'team-b'], opA);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe('sriovctl: tenant team-b does not exist\n');
    const held = json<{ items: Attachment[] }>(await cli(['attachments', '--json'], opA));
    expect(held.items.length).toBe(2);
    expect(held.items.every((a) => a.tenant === 'team-a')).toBe(true);
    const forbidden = await cli(['attachments', '--tenant', 'team-b'], opA);
    expect(forbidden.code).toBe(77);
    expect(forbidden.stderr).toContain('this token is confined to tenant team-a');
    const vfs = await cli(['pool', 'vfs', 'e810'], opA);
    expect(vfs.stdout).toMatch(/^ens1f0#2 .* taken +- +- +-$/m);
    expect(vfs.stdout).not.toContain('team-b');
    const audit = json<{ items: AuditEntry[] }>(await cli(['audit', '--json'], opA));
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items.every((e) => e.tenant === 'team-a')).toBe(true);
  });

  it('attaches for its own tenant without --tenant, and cannot touch another tenant', async () => {
    const own = await cli(
      ['attach', '--pool', 'e810', '--consumer', 'vm:web-9', '--vlan', '120', '--json'],
      opA,
    );
    expect(own.code).toBe(0);
    const id = json<{ attachments: Attachment[] }>(own).attachments[0]!.id;
    const elsewhere = await cli(
      ['attach', '--tenant', 'team-b', '--pool', 'e810', '--consumer', 'vm:web-9'],
      opA,
    );
    expect(elsewhere.code).toBe(77);
    const bId = (await attachmentsOf('team-b'))[0]!.id;
    const steal = await cli(['detach', bId], opA);
    expect(steal.code).toBe(1);
    expect(steal.stderr).toBe(`sriovctl: attachment ${bId} does not exist\n`);
    // Its short ID is looked up among team-a's own: not found, and nothing of team-b's named.
    const stealShort = await cli(['detach', shortAttachmentId(bId)], opA);
    expect(stealShort.code).toBe(1);
    expect(stealShort.stderr).toContain(
      `no attachment ID starts or ends with ${shortAttachmentId(bId)}`,
    );
    expect(stealShort.stderr).not.toContain('team-b');
    expect(await attachmentsOf('team-b')).toHaveLength(1);
    const viewer = await cli(['detach', id], viewerA);
    expect(viewer.code).toBe(77);
    expect(viewer.stderr).toContain('view-a is viewer of tenant team-a; this needs operator');
    const tokens = await cli(['token', 'list'], opA);
    expect(tokens.code).toBe(77);
    expect((await cli(['detach', id], opA)).code).toBe(0);
  });

  it('a revoked token is refused (401, exit 77)', async () => {
    const list = json<{ items: { id: string; name: string }[] }>(
      await cli(['token', 'list', '--json']),
    );
    const id = list.items.find((t) => t.name === 'view-a')!.id;
    const r = await cli(['token', 'revoke', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Revoked token ${id}.\n`);
    const after = await cli(['whoami'], viewerA);
    expect(after.code).toBe(77);
    const again = await cli(['token', 'revoke', id]);
    expect(again.code).toBe(1);
    const bad = await cli(['token', 'revoke', 'view-a']);
    expect(bad.code).toBe(64);
  });
});

describe('detach, deletes and the audit log', () => {
  it('refuses to delete what is in use, with the fix', async () => {
    const t = await cli(['tenant', 'delete', 'team-a']);
    expect(t.code).toBe(1);
    expect(t.stderr).toBe(
      'sriovctl: tenant team-a still holds 2 attachments\nfix: detach them first\n',
    );
    const p = await cli(['pool', 'delete', 'cx6']);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('fix: remove it from those tenants first');
  });

  it('detaches several IDs, reports the ones that fail, and exits with the worst code', async () => {
    const ids = (await attachmentsOf('team-a')).map((a) => a.id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await cli(['detach', ids[0]!, unknown, ids[1]!]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Detached ${ids[0]}: VF 0 of ens1f0 scrubbed and back in pool e810`);
    expect(r.stdout).toContain(`Detached ${ids[1]}: VF 1 of ens1f0`);
    expect(r.stderr).toBe(`sriovctl: attachment ${unknown} does not exist\n`);
    expect(await attachmentsOf('team-a')).toEqual([]);
    // Scrubbed in the kernel.
    const vf = (await discover(host)).pfs
      .find((p) => p.netdev === 'ens1f0')!
      .vfs.find((v) => v.vfIndex === 0)!;
    expect(vf.config).toMatchObject({ vlan: 0, qos: 0, minTxRate: 0, maxTxRate: 0 });
    const notId = await cli(['detach', 'web-1']);
    expect(notId.code).toBe(64);
    expect(notId.stderr).toContain('"web-1" is not an attachment ID (a UUID)');
  });

  it('local root over the unix socket mutates, and the audit log records it', async () => {
    const t = await root(['tenant', 'create', 'team-c', '--pools', 'cx6', '--vlans', '400']);
    expect(t.code).toBe(0);
    const d = await root(['tenant', 'delete', 'team-c']);
    expect(d.stdout).toBe('Deleted tenant team-c.\n');
    const audit = json<{ items: AuditEntry[] }>(
      await cli(['audit', '--target', 'tenant/team-c', '--json']),
    );
    expect(audit.items.map((e) => [e.action, e.actor])).toEqual([
      ['tenant.delete', 'local-root'],
      ['tenant.create', 'local-root'],
    ]);
  });

  it('audit filters, pages with --before and prints a table', async () => {
    const r = await cli([
      'audit',
      '--tenant',
      'team-a',
      '--action',
      'attachment.create',
      '--limit',
      '1',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ +AT +ACTOR +ACTION +TENANT +TARGET$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/ ci-a +attachment\.create +team-a +attachment\/[0-9a-f-]{36}$/);
    const next = /add --before (\d+) for the next page/.exec(r.stderr);
    expect(next).not.toBeNull();
    const page = json<{ items: AuditEntry[] }>(
      await cli([
        'audit',
        '--tenant',
        'team-a',
        '--action',
        'attachment.create',
        '--before',
        next![1]!,
        '--json',
      ]),
    );
    // web-1's two interfaces, attached by the admin before ci-a's.
    expect(page.items.map((e) => e.actor)).toEqual(['test-admin', 'test-admin']);
    const bad = await cli(['audit', '--limit', '0']);
    expect(bad.code).toBe(64);
  });

  it('deletes tenants and pools once nothing holds them', async () => {
    const [b] = await attachmentsOf('team-b');
    expect((await cli(['detach', b!.id])).code).toBe(0);
    for (const argv of [
      ['tenant', 'delete', 'team-a'],
      ['tenant', 'delete', 'team-b'],
      ['pool', 'delete', 'cx6'],
      ['pool', 'delete', 'e810'],
    ])
      expect((await cli(argv)).code).toBe(0);
    expect((await cli(['tenant', 'list'])).stdout).toContain('No tenants.');
    expect((await cli(['pool', 'list'])).stdout).toContain('No pools.');
  });
});
