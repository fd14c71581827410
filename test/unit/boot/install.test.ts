// `sriovctl install` / `uninstall` on the simulated kernel: exactly the expected files land (read
// back through the seam), invalid policies are refused with located errors, other network managers
// on the same PF are called out with their fix, and uninstall takes away what install put there.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { installOnHost, uninstallOnHost } from '../../../src/cli/commands/install.js';
import type { CliIo } from '../../../src/cli/io.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { missingPfs, waitForPolicyPfs } from '../../../src/boot/boot-wait.js';
import { installedName, nameClash } from '../../../src/boot/install.js';
import { renderUnits } from '../../../src/boot/units.js';
import { parsePolicyText } from '../../../src/policy/index.js';
import { runCli } from '../cli/run-cli.js';

const BIN = fileURLToPath(new URL('../../../bin/sriovctl.js', import.meta.url));
const COMMAND = [process.execPath, BIN];
const dir = mkdtempSync(join(tmpdir(), 'sriovctl-install-'));
function policy(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const node = (name: string, body: string) =>
  `apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: ${name} }\nspec:\n${body}`;

const DATA_B = policy(
  'data-b.yaml',
  node(
    'data-b',
    '  selector: { pfNames: [ens5f1] }\n  numVfs: 4\n  vfGroups:\n    - { range: 0-3, driver: host, vlan: 100 }\n',
  ),
);
const DATA_A = policy(
  'data a.yml',
  node('data-a', '  selector: { pfNames: [ens5f0] }\n  numVfs: 2\n'),
);
const BAD = policy(
  'bad.yaml',
  node(
    'bad',
    '  selector: { pfNames: [ens5f1] }\n  numVfs: 4\n  vfGroups:\n    - { range: 0-3, vlan: 5000 }\n',
  ),
);
const EDGE = policy(
  'edge.yaml',
  node('edge', '  selector: { pfNames: [enp4s0f0] }\n  numVfs: 2\n'),
);
// VFs 1-2 on vfio-pci, as the reboot that failed on a real Debian 12 boot.
const PASSTHROUGH = policy(
  'passthrough.yaml',
  node(
    'passthrough',
    '  selector: { pfNames: [ens5f1] }\n  numVfs: 3\n  vfGroups:\n    - { range: 1-2, driver: vfio-pci }\n',
  ),
);
const MODULES_LOAD = '/etc/modules-load.d/sriovctl.conf';

const sims: SimHost[] = [];
afterEach(() => {
  for (const h of sims.splice(0)) h.close();
});
async function sim(fixture: string) {
  const h = await loadSimHost(fixture, { timing: 'off' });
  sims.push(h);
  return h;
}

function io(): CliIo & { out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    out: () => stdout,
    err: () => stderr,
  };
}

async function install(h: SimHost, files: string[], extra = {}) {
  const c = io();
  let code = 0;
  await installOnHost(c, h, { file: files, ...extra }, (n) => (code = n), COMMAND);
  return { code, stdout: c.out(), stderr: c.err() };
}

async function tree(h: SimHost, path: string): Promise<string[]> {
  if ((await h.entryKind(path)) !== 'dir') return [];
  const out: string[] = [];
  for (const n of await h.readDir(path)) {
    const p = `${path}/${n}`;
    out.push(p, ...(await tree(h, p)));
  }
  return out;
}

const configWrites = (h: SimHost) =>
  h.journal.filter((j) => j.op === 'config-write').map((j) => j.target);

describe('install', () => {
  it('writes the policies as given and the three units, and nothing else', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [DATA_B, DATA_A]);
    expect(r.code).toBe(0);
    expect(configWrites(h)).toEqual([
      '/etc/sriovctl/policies.d/data-b.yaml',
      '/etc/sriovctl/policies.d/data-a.yml',
      '/etc/systemd/system/sriovctl-apply.service',
      '/etc/systemd/system/sriovctl.socket',
      '/etc/systemd/system/sriovctl.service',
    ]);
    expect(await tree(h, '/etc/sriovctl')).toEqual([
      '/etc/sriovctl/policies.d',
      '/etc/sriovctl/policies.d/data-a.yml',
      '/etc/sriovctl/policies.d/data-b.yaml',
    ]);
    expect(await h.readFile('/etc/sriovctl/policies.d/data-b.yaml')).toBe(
      (await import('node:fs')).readFileSync(DATA_B, 'utf8'),
    );
    const [apply, socket, daemon] = renderUnits({ command: COMMAND });
    expect(await h.readFile('/etc/systemd/system/sriovctl-apply.service')).toBe(apply!.text);
    expect(await h.readFile('/etc/systemd/system/sriovctl.socket')).toBe(socket!.text);
    expect(await h.readFile('/etc/systemd/system/sriovctl.service')).toBe(daemon!.text);
    expect(h.journal.filter((j) => j.op === 'write' || j.op === 'netlink')).toEqual([]);
    // Host drivers only: udev loads a PF's VF driver itself, so no modules-load.d file.
    expect(await h.entryKind(MODULES_LOAD)).toBeNull();
    expect(r.stdout).toContain(
      'systemctl daemon-reload && systemctl enable --now sriovctl-apply.service sriovctl.socket sriovctl.service',
    );
    expect(r.stdout).toMatch(/does not match the policies yet \(\d+ step\(s\), 0 disruptive\)/);
  });

  it('makes the drivers the policies bind VFs to load at boot: vfio-pci in modules-load.d', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [PASSTHROUGH]);
    expect(r.code).toBe(0);
    // Before the units: the apply unit never runs at a boot whose modules-load.d lacks the driver.
    expect(configWrites(h)).toEqual([
      '/etc/sriovctl/policies.d/passthrough.yaml',
      MODULES_LOAD,
      '/etc/systemd/system/sriovctl-apply.service',
      '/etc/systemd/system/sriovctl.socket',
      '/etc/systemd/system/sriovctl.service',
    ]);
    const text = await h.readFile(MODULES_LOAD);
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['vfio_pci']);
    expect(text).toMatch(/# vfio-pci, for policy passthrough\n/);
    expect(h.configModes.get(MODULES_LOAD)).toBe(0o644);
    expect(r.stdout).toMatch(
      /wrote\s+\/etc\/modules-load\.d\/sriovctl\.conf {2}\(kernel modules loaded at boot: vfio_pci\)/,
    );
    // vfio-pci is loaded on this fixture: no modprobe needed before `enable --now`.
    expect(r.stdout).not.toMatch(/modprobe/);
  });

  it('says to load a driver that is not loaded yet before `enable --now` applies', async () => {
    const h = await sim('small-82599');
    const p = policy(
      'edge-vfio.yaml',
      node(
        'edge-vfio',
        '  selector: { pfNames: [enp4s0f0] }\n  numVfs: 2\n  vfGroups:\n    - { range: 0-1, driver: vfio-pci }\n',
      ),
    );
    const r = await install(h, [p], { allowDefaultRoute: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}modprobe -a vfio_pci .*\n {2}systemctl daemon-reload/);
  });

  it('--dry-run lists the modules-load.d file too', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [PASSTHROUGH], { dryRun: true });
    expect(r.stdout).toMatch(/would write\s+\/etc\/modules-load\.d\/sriovctl\.conf/);
    expect(await h.entryKind(MODULES_LOAD)).toBeNull();
  });

  it('removes the modules-load.d file once the installed policies need no module', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [PASSTHROUGH]);
    const r = await install(h, [DATA_B]);
    expect(r.stdout).toMatch(/removed\s+\/etc\/modules-load\.d\/sriovctl\.conf/);
    expect(await h.entryKind(MODULES_LOAD)).toBeNull();
  });

  it('warns that NetworkManager also manages ens5f1 (mixed-firmware), with the fix', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [DATA_B]);
    expect(r.stderr).toMatch(/warning: ens5f1: Also managed by NetworkManager: double management/);
    expect(r.stderr).toMatch(/evidence: \/etc\/NetworkManager\/system-connections\/ens5f1/);
    expect(r.stderr).toMatch(/fix: NetworkManager: run `nmcli device set ens5f1 managed no`/);
    // ens5f0 is not NM-managed: no warning for a policy on it alone.
    const h2 = await sim('mixed-firmware');
    expect((await install(h2, [DATA_A])).stderr).not.toMatch(/warning: ens5f0/);
  });

  it('warns that netplan manages enp4s0f0 (small-82599), with the fix', async () => {
    const h = await sim('small-82599');
    const r = await install(h, [EDGE], { allowDefaultRoute: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: enp4s0f0: Also managed by netplan/);
    expect(r.stderr).toMatch(/fix: netplan: remove the SR-IOV settings for enp4s0f0/);
    expect(await h.readFile('/etc/systemd/system/sriovctl-apply.service')).toMatch(
      /apply --yes --wait-for-pfs 60 --allow-default-route -f \/etc\/sriovctl\/policies\.d/,
    );
  });

  it('refuses invalid policies with file:line:col errors (65) and writes nothing', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [DATA_B, BAD]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`${BAD}:\\d+:\\d+: .*vlan`));
    expect(configWrites(h)).toEqual([]);
    const cli = await runCli(['--sim', 'mixed-firmware', 'install', '-f', BAD]);
    expect(cli.code).toBe(65);
  });

  it('--dry-run shows the files and writes none', async () => {
    const h = await sim('mixed-firmware');
    const r = await install(h, [DATA_B], { dryRun: true });
    expect(r.stdout).toMatch(/would write\s+\/etc\/systemd\/system\/sriovctl-apply\.service/);
    expect(configWrites(h)).toEqual([]);
  });

  it('a second install replaces the policy set: stale policies go', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [DATA_B, DATA_A]);
    const r = await install(h, [DATA_B]);
    expect(r.stdout).toMatch(/removed\s+\/etc\/sriovctl\/policies\.d\/data-a\.yml/);
    expect(await h.readDir('/etc/sriovctl/policies.d')).toEqual(['data-b.yaml']);
  });

  it('names installed files so the boot-time apply picks them up, and refuses clashes', () => {
    expect(installedName('/x/data a.yml')).toBe('data-a.yml');
    expect(installedName('/x/policy.txt')).toBe('policy.txt.yaml');
    expect(installedName('/x/.hidden.json')).toBe('hidden.json');
    expect(
      nameClash([
        { file: '/a/p.yaml', text: '' },
        { file: '/b/p.yaml', text: '' },
      ]),
    ).toMatch(/\/a\/p\.yaml and \/b\/p\.yaml would both be installed as/);
  });

  it('runs from the command line on the simulator', async () => {
    const r = await runCli(['--sim', 'install', '-f', DATA_B, '--dry-run']);
    expect(r.stderr).toMatch(/SIMULATED host/);
    expect(r.stdout).toMatch(/Dry run: nothing written/);
  });
});

describe('uninstall', () => {
  it('removes the units and keeps policies and state; --purge removes those too', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [DATA_B]);
    await h.writeConfigFile('/var/lib/sriovctl/applied.json', '{}');
    const c = io();
    await uninstallOnHost(c, h, {}, () => undefined);
    expect(await tree(h, '/etc/systemd/system')).toEqual([]);
    expect(await h.readDir('/etc/sriovctl/policies.d')).toEqual(['data-b.yaml']);
    expect(c.out()).toMatch(/uninstall --purge/);
    const p = io();
    await uninstallOnHost(p, h, { purge: true }, () => undefined);
    expect(await h.entryKind('/etc/sriovctl')).toBeNull();
    expect(await h.entryKind('/var/lib/sriovctl')).toBeNull();
    expect(p.out()).toMatch(/\/var\/lib\/sriovctl\/applied\.json {2}\(applied state\)/);
  });

  it('removes the modules-load.d file with the units (it exists for the boot-time apply)', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [PASSTHROUGH]);
    const c = io();
    await uninstallOnHost(c, h, {}, () => undefined);
    expect(await h.entryKind(MODULES_LOAD)).toBeNull();
    expect(c.out()).toMatch(
      /\/etc\/modules-load\.d\/sriovctl\.conf {2}\(kernel modules loaded at boot\)/,
    );
    expect(await h.readDir('/etc/sriovctl/policies.d')).toEqual(['passthrough.yaml']);
  });

  it('keeps an operator file in /etc/sriovctl and says so', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [DATA_B]);
    await h.writeConfigFile('/etc/sriovctl/notes.txt', 'mine');
    const c = io();
    await uninstallOnHost(c, h, { purge: true }, () => undefined);
    expect(await h.readFile('/etc/sriovctl/notes.txt')).toBe('mine');
    expect(c.out()).toMatch(/kept \/etc\/sriovctl: not empty/);
  });

  it('refuses (3) while the units are still enabled: systemctl disable needs the unit files', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [DATA_B]);
    h.kernel.vfs.link(
      '/etc/systemd/system/multi-user.target.wants/sriovctl.service',
      '../sriovctl.service',
    );
    const c = io();
    let code = 0;
    await uninstallOnHost(c, h, {}, (n) => (code = n));
    expect(code).toBe(3);
    expect(c.err()).toMatch(/run `systemctl disable --now sriovctl.service` first/);
    expect(await h.entryKind('/etc/systemd/system/sriovctl.service')).toBe('file');
  });

  it('counts an enabled socket unit as enabled too (its link is in sockets.target.wants)', async () => {
    const h = await sim('mixed-firmware');
    await install(h, [DATA_B]);
    h.kernel.vfs.link(
      '/etc/systemd/system/sockets.target.wants/sriovctl.socket',
      '../sriovctl.socket',
    );
    const c = io();
    let code = 0;
    await uninstallOnHost(c, h, {}, (n) => (code = n));
    expect(code).toBe(3);
    expect(c.err()).toMatch(/still enabled: sriovctl.socket/);
    expect(await h.entryKind('/etc/systemd/system/sriovctl.socket')).toBe('file');
  });
});

describe('boot-time PF wait', () => {
  it('is ready at once when every policy finds its PF with a driver', async () => {
    const h = await sim('mixed-firmware');
    const r = await waitForPolicyPfs(
      h,
      parsePolicyText((await import('node:fs')).readFileSync(DATA_B, 'utf8'), 'b'),
      {
        timeoutMs: 5000,
      },
    );
    expect(r).toMatchObject({ ready: true, attempts: 1, missing: [] });
  });

  it('gives up after the timeout, naming what is missing, without sleeping for real', async () => {
    const h = await sim('mixed-firmware');
    const missing = parsePolicyText(
      node('later', '  selector: { pfNames: [ens9f0] }\n  numVfs: 2\n'),
      'l',
    );
    let t = 0;
    const r = await waitForPolicyPfs(h, missing, {
      timeoutMs: 3000,
      pollMs: 1000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    expect(r.ready).toBe(false);
    expect(r.attempts).toBe(4);
    expect(r.missing).toEqual(['policy later: no PF matches its selector yet']);
    expect(missingPfs(missing, await discover(h))).toEqual(r.missing);
  });
});

describe('apply --wait-for-pfs (what the boot-time unit runs)', () => {
  it('applies once the PFs are there, and goes on with a warning when one never shows up', async () => {
    const ok = await runCli([
      '--sim',
      'mixed-firmware',
      'apply',
      '--yes',
      '--wait-for-pfs',
      '1',
      '-f',
      DATA_B,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Applied and verified/);
    const later = policy(
      'later.yaml',
      node('later', '  selector: { pfNames: [ens9f0] }\n  numVfs: 2\n'),
    );
    const r = await runCli([
      '--sim',
      'mixed-firmware',
      'apply',
      '--yes',
      '--wait-for-pfs',
      '0',
      '-f',
      DATA_B,
      later,
    ]);
    expect(r.stderr).toMatch(
      /warning: after 0 s, still missing: policy later: no PF matches its selector yet/,
    );
    expect(r.code).toBe(0);
  });

  it('rejects a malformed wait (64)', async () => {
    const r = await runCli(['--sim', 'apply', '--wait-for-pfs', 'soon', '-f', DATA_B]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--wait-for-pfs "soon"/);
  });
});
