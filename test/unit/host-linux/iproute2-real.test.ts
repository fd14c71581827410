/**
 * LinuxHost against the real iproute2 and kernel of this machine. Reads run in the machine's own
 * namespace (read-only); every change runs in a throwaway network namespace that afterAll deletes.
 * Needs root (CAP_SYS_ADMIN for `ip netns add`): without it beforeAll fails, loudly, by design.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCommandError, HostTimeoutError, UnsafeInputError } from '../../../src/host/errors.js';
import type { IfName, MacAddress } from '../../../src/host/names.js';
import { createLinuxHost, type LinuxHost } from '../../../src/host/linux/index.js';

const ip = (...args: string[]) =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const d0 = 'd0' as IfName;

describe('LinuxHost on this machine (read-only)', () => {
  const host = createLinuxHost();

  it('finds lo with mtu 65536 in the real `ip -j -d -s link show`', async () => {
    const dump = await host.linkDump();
    const lo = dump.links.find((l) => l.ifname === 'lo');
    expect(lo).toMatchObject({ mtu: 65536, adminUp: true });
    expect(lo).not.toHaveProperty('vfs');
  });

  it('reads default routes as iproute2 reports them', async () => {
    const routes = await host.defaultRoutes();
    const v4 = JSON.parse(ip('-j', 'route', 'show', 'default')) as { dev?: string }[];
    expect(routes.filter((r) => r.family === 'inet').map((r) => r.dev)).toEqual(
      v4.flatMap((r) => (r.dev ? [r.dev] : [])),
    );
  });
});

describe('LinuxHost in a throwaway network namespace', () => {
  const ns = `sriovctl-test-${randomBytes(4).toString('hex')}`;
  let host: LinuxHost;
  // This kernel may lack the dummy driver (the dev VM does: "Unknown device type"); ifb is the
  // next simplest netdev without VF ops, and both answer VF requests the same way.
  let kind = 'dummy';

  beforeAll(() => {
    ip('netns', 'add', ns);
    try {
      ip('-n', ns, 'link', 'add', 'd0', 'type', 'dummy');
    } catch {
      kind = 'ifb';
      ip('-n', ns, 'link', 'add', 'd0', 'type', 'ifb');
    }
    host = createLinuxHost({ netns: ns });
  });
  afterAll(() => {
    ip('netns', 'del', ns);
  });

  const d0Info = async () => (await host.linkDump()).links.find((l) => l.ifname === 'd0');

  it(`sees only the namespace's links (lo and the new device)`, async () => {
    const dump = await host.linkDump();
    expect(dump.links.map((l) => l.ifname).sort()).toEqual(['d0', 'lo']);
    expect(await d0Info()).toMatchObject({ adminUp: false, mtu: 1500 });
    expect(kind).toMatch(/dummy|ifb/);
  });

  it('applies a batch: MTU and up succeed around a VF change the kernel refuses', async () => {
    const results = await host.linkApply([
      { kind: 'link', ifname: d0, mtu: 1400 },
      { kind: 'vf', pf: d0, vf: 0, trust: true, mac: '02:00:00:00:00:01' as MacAddress },
      { kind: 'link', ifname: d0, up: true },
    ]);
    expect(results[0]).toEqual({ ok: true });
    // No ndo_set_vf_* on this device: do_setvfinfo answers EOPNOTSUPP.
    expect(results[1]).toEqual({
      ok: false,
      errno: 'EOPNOTSUPP',
      message: 'RTNETLINK answers: Operation not supported',
    });
    expect(results[2]).toEqual({ ok: true });
    expect(await d0Info()).toMatchObject({ mtu: 1400, adminUp: true });
  });

  it('knows where iproute2 exited mid-batch and reports the rest as not attempted', async () => {
    // A one-sided rate makes ip look the device up itself; for a missing device it calls exit(1).
    const results = await host.linkApply([
      { kind: 'link', ifname: d0, mtu: 1300 },
      { kind: 'vf', pf: 'nope0' as IfName, vf: 0, rate: { maxTxRate: 100 } },
      { kind: 'link', ifname: d0, up: false },
    ]);
    expect(results).toEqual([
      { ok: true },
      { ok: false, message: 'Device nope0 does not exist' },
      { ok: false, message: 'not attempted: ip -batch stopped at change 2 of 3' },
    ]);
    expect(await d0Info()).toMatchObject({ mtu: 1300, adminUp: true });
  });

  it('reports a missing device per change', async () => {
    const results = await host.linkApply([{ kind: 'link', ifname: 'nope0' as IfName, up: true }]);
    expect(results).toEqual([{ ok: false, message: 'Cannot find device "nope0"' }]);
  });

  it('refuses the whole batch before running anything when one value is unsafe', async () => {
    await expect(
      host.linkApply([
        { kind: 'link', ifname: d0, mtu: 1200 },
        { kind: 'link', ifname: 'd0\nlink set dev d0 down' as IfName, up: true },
      ]),
    ).rejects.toBeInstanceOf(UnsafeInputError);
    expect(await d0Info()).toMatchObject({ mtu: 1300 });
  });

  it('runs ethtool inside the namespace through `ip netns exec`', async () => {
    // A stand-in ethtool that reports the namespace it runs in: proves the argv reaches it intact.
    const fake = path.join(os.tmpdir(), `${ns}-ethtool`);
    fs.writeFileSync(
      fake,
      `#!/bin/sh\necho "driver: $(ip netns identify)"\necho "version: $1 $2"\necho "firmware-version: "\necho "bus-info: x"\n`,
      { mode: 0o755 },
    );
    try {
      const info = await createLinuxHost({ netns: ns, ethtoolPath: fake }).ethtoolDriverInfo(d0);
      expect(info).toEqual({ driver: ns, version: '-i d0', firmwareVersion: '', busInfo: 'x' });
    } finally {
      fs.rmSync(fake);
    }
  });

  it('reads a default route with its gateway', async () => {
    expect(await host.defaultRoutes()).toEqual([]);
    ip('-n', ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'd0');
    ip('-n', ns, 'route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'd0');
    expect(await host.defaultRoutes()).toEqual([
      { family: 'inet', dev: 'd0', gateway: '192.0.2.1' },
    ]);
  });

  it('runs a batch that completes as one ip with a sentinel before and after; one that stops, again with a sentinel per line', async () => {
    // The real ip behind a wrapper that keeps each run's stdin: in.0, in.1, ...
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${ns}-ip-`));
    const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
    const wrapper = path.join(dir, 'ip');
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\nn=$(ls '${dir}' | grep -c '^in\\.')\ntee '${dir}/in.'$n | '${realIp}' "$@"\n`,
      { mode: 0o755 },
    );
    const inputs = () =>
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('in.'))
        .sort()
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'));
    try {
      const wrapped = createLinuxHost({ netns: ns, ipPath: wrapper });
      expect(
        await wrapped.linkApply([
          { kind: 'link', ifname: d0, mtu: 1280 },
          { kind: 'link', ifname: d0, up: true },
        ]),
      ).toEqual([{ ok: true }, { ok: true }]);
      expect(inputs()).toEqual([
        [
          'sriovctl-batch-mark',
          'link set dev d0 mtu 1280',
          'link set dev d0 up',
          'sriovctl-batch-mark',
        ],
      ]);
      // The missing device makes ip exit; the mtu before it ran, but left no mark to prove it.
      expect(
        await wrapped.linkApply([
          { kind: 'link', ifname: d0, mtu: 1290 },
          { kind: 'vf', pf: 'nope0' as IfName, vf: 0, rate: { maxTxRate: 100 } },
          { kind: 'link', ifname: d0, up: false },
        ]),
      ).toEqual([
        { ok: true },
        { ok: false, message: 'Device nope0 does not exist' },
        { ok: false, message: 'not attempted: ip -batch stopped at change 2 of 3' },
      ]);
      expect(inputs().slice(1)).toEqual([
        [
          'sriovctl-batch-mark',
          'link set dev d0 mtu 1290',
          'link set dev nope0 vf 0 max_tx_rate 100',
          'link set dev d0 down',
          'sriovctl-batch-mark',
        ],
        [
          'sriovctl-batch-mark',
          'link set dev d0 mtu 1290',
          'sriovctl-batch-mark',
          'link set dev nope0 vf 0 max_tx_rate 100',
          'sriovctl-batch-mark',
          'link set dev d0 down',
          'sriovctl-batch-mark',
        ],
      ]);
      expect(await d0Info()).toMatchObject({ mtu: 1290, adminUp: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LinuxHost iproute2 failures', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-ip-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('throws HostCommandError when the namespace does not exist', async () => {
    const host = createLinuxHost({ netns: 'sriovctl-no-such-ns' });
    await expect(host.linkDump()).rejects.toBeInstanceOf(HostCommandError);
    await expect(host.linkApply([{ kind: 'link', ifname: d0, up: true }])).rejects.toThrow(
      /Cannot open network namespace/,
    );
  });

  it('refuses an unsafe namespace name', () => {
    expect(() => createLinuxHost({ netns: '../etc' })).toThrow(UnsafeInputError);
    expect(() => createLinuxHost({ netns: '-all' })).toThrow(UnsafeInputError);
  });

  it('says how to install iproute2 when ip is missing', async () => {
    const host = createLinuxHost({ ipPath: path.join(dir, 'no-such-ip') });
    const err = await host.linkDump().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    expect((err as HostCommandError).hint).toMatch(/apt-get install iproute2/);
  });

  it('kills a batch that outlives its deadline', async () => {
    // A fake ip that would sleep for ten minutes (the test's own timeout is far shorter, so an
    // answer at all means the deadline fired), with a length no other process here uses.
    const seconds = `600.${process.pid}`;
    const slow = path.join(dir, 'slow-ip');
    fs.writeFileSync(slow, `#!/bin/sh\nexec sleep ${seconds}\n`, { mode: 0o755 });
    const host = createLinuxHost({ ipPath: slow });
    const err = await host
      .linkApply([{ kind: 'link', ifname: d0, up: true }], { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostTimeoutError);
    expect((err as Error).message).toContain('150 ms');
    // ... and the child is gone (killed, then reaped), not left sleeping.
    const sleeping = () =>
      fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${seconds}\0`;
          } catch {
            return false; // exited while we looked
          }
        });
    for (let i = 0; sleeping().length > 0; i++) {
      if (i === 200) {
        for (const p of sleeping()) process.kill(Number(p), 'SIGKILL');
        expect.unreachable(`the fake ip (sleep ${seconds}) was not killed at the deadline`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
