/**
 * The real daemon for browser tests: `sriovctl --sim <fixture> serve` as a child process on a free
 * loopback port (the same command a user runs), and a small REST client to set up tenants, pools,
 * tokens and attachments and to read back what the kernel holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export interface Serve {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The admin token the simulated host hands out on its first start. */
  adminToken: string;
  /** One request as `token` (default: the admin token). */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<ApiAnswer<T>>;
  /** Like api, but throws unless the answer is 2xx. */
  call<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
  /** What the daemon printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `sriovctl --sim <fixture> serve` and resolves once it says it is ready. */
export async function startServe(
  fixture = 'dual-socket-e810-cx6',
  extra: string[] = [],
): Promise<Serve> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/sriovctl.js',
      '--sim',
      fixture,
      // Each test's daemon starts from the fixture, whatever an earlier one did to its host.
      '--sim-fresh',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--no-socket',
      // The tests check what the console shows, not moving rates; and a browser's bursts of
      // requests must not meet the per-client rate limit.
      '--sim-traffic',
      'off',
      '--rate-limit',
      '0',
      ...extra,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const output = () => `--- stderr\n${err}\n--- stdout\n${out.slice(-4000)}`;

  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  let adminToken: string | undefined;
  for (;;) {
    url = /"event":"listening","url":"([^"]+)"/.exec(out)?.[1];
    adminToken = /admin token for this simulated host: (sriovctl_[A-Za-z0-9_-]+)/.exec(err)?.[1];
    if (url && adminToken && out.includes('"event":"ready"')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sriovctl serve did not start (exit ${child.exitCode}):\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = url;
  const admin = adminToken;

  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    token: string = admin,
  ): Promise<ApiAnswer<T>> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };

  return {
    url: base,
    adminToken: admin,
    api,
    call: async <T>(method: string, path: string, body?: unknown, token?: string) => {
      const r = await api<T>(method, path, body, token);
      if (r.status < 200 || r.status > 299)
        throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The fields of GET /inventory the tests read. */
export interface InventoryView {
  pfs: {
    netdev: string | null;
    numVfs: number;
    vfs: {
      vfIndex: number;
      driver: string | null;
      config: { mac: string; vlan: number; maxTxRate: number; trust: boolean | null } | null;
    }[];
  }[];
}

export interface AttachmentView {
  id: string;
  tenant: string;
  pool: string;
  consumer: { kind: string; name: string; host: string };
  interface: string;
  pfNetdev: string;
  vfIndex: number;
  mac: string;
  vlan: number;
  state: string;
}

/** The kernel's view of one VF, read through the API (a fresh discovery after ledger changes). */
export async function kernelVf(
  d: Serve,
  pf: string,
  vfIndex: number,
): Promise<InventoryView['pfs'][number]['vfs'][number]> {
  const inv = await d.call<InventoryView>('GET', '/inventory');
  const vf = inv.pfs.find((p) => p.netdev === pf)?.vfs.find((v) => v.vfIndex === vfIndex);
  if (!vf) throw new Error(`no VF ${pf}#${vfIndex} in the inventory`);
  return vf;
}

export async function numVfs(d: Serve, pf: string): Promise<number> {
  const inv = await d.call<InventoryView>('GET', '/inventory');
  const p = inv.pfs.find((x) => x.netdev === pf);
  if (!p) throw new Error(`no PF ${pf} in the inventory`);
  return p.numVfs;
}

/**
 * Two tenants on one pool of ens1f0's VFs (team-a: VLANs 100-199, team-b: 200-299) and tokens:
 * a tenant-scoped operator for each, a host-wide viewer and a host-wide operator.
 */
export async function seedTenants(d: Serve): Promise<{
  tokens: { teamA: string; teamB: string; viewer: string; operator: string };
}> {
  await d.call('PUT', '/pools/e810', {
    description: 'ens1f0 VFs for VMs',
    selector: { pfNames: ['ens1f0'] },
    vfDriver: 'vfio-pci',
  });
  await d.call('PUT', '/tenants/team-a', { pools: ['e810'], vlans: '100-199', maxVfs: 4 });
  await d.call('PUT', '/tenants/team-b', { pools: ['e810'], vlans: '200-299', maxVfs: 4 });
  const token = async (name: string, role: string, tenant?: string) =>
    (
      await d.call<{ secret: string }>('POST', '/tokens', {
        name,
        role,
        ...(tenant ? { tenant } : {}),
      })
    ).secret;
  return {
    tokens: {
      teamA: await token('team-a-ops', 'operator', 'team-a'),
      teamB: await token('team-b-ops', 'operator', 'team-b'),
      viewer: await token('noc-viewer', 'viewer'),
      operator: await token('host-operator', 'operator'),
    },
  };
}

/** Attaches through the API (as admin unless a token is given) and returns the attachment. */
export async function attachVm(
  d: Serve,
  tenant: string,
  name: string,
  vlan: number,
  token?: string,
): Promise<AttachmentView> {
  const r = await d.call<{ attachments: AttachmentView[] }>(
    'POST',
    '/attachments',
    { tenant, pool: 'e810', consumer: { kind: 'vm', name }, vlan },
    token,
  );
  return r.attachments[0]!;
}
