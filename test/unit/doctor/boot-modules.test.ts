// `boot.modules`: the drivers the installed policies bind VFs to must load at the next boot. Set up
// with the real `install` on the simulated host, then read back through the seam as doctor does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installOnHost } from '../../../src/cli/commands/install.js';
import type { CliIo } from '../../../src/cli/io.js';
import { checkBootModules, runDoctor } from '../../../src/doctor/index.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import {
  bootModules,
  gatherBootModuleFacts,
  parseModulesLoad,
  sameModule,
} from '../../../src/boot/boot-modules.js';
import { parsePolicyText } from '../../../src/policy/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sriovctl-boot-modules-'));
const node = (name: string, body: string) =>
  `apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: ${name} }\nspec:\n${body}`;
function policy(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const VFIO_ON_82599 = node(
  'edge-vfio',
  '  selector: { pfNames: [enp4s0f0] }\n  numVfs: 2\n  vfGroups:\n    - { range: 0-1, driver: vfio-pci }\n',
);
const HOST_ON_82599 = node('edge', '  selector: { pfNames: [enp4s0f0] }\n  numVfs: 2\n');
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
const quiet: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
async function install(h: SimHost, text: string) {
  let code = -1;
  await installOnHost(
    quiet,
    h,
    { file: [policy('p.yaml', text)], allowDefaultRoute: true },
    (n) => (code = n),
    ['/usr/bin/node', '/opt/sriovctl/bin/sriovctl.js'],
  );
  expect(code).toBe(0);
}
async function doctorBoot(h: SimHost) {
  const inv = await discover(h);
  const facts = await gatherBootModuleFacts(h, {
    release: inv.host.kernelRelease,
    cmdline: inv.host.kernelCmdline,
  });
  const report = runDoctor(inv, { bootModules: facts });
  return { facts, check: report.results.find((r) => r.id === 'boot.modules') };
}

describe('boot.modules', () => {
  it('passes once install has listed vfio_pci in modules-load.d', async () => {
    const h = await sim('small-82599'); // vfio-pci available, not loaded
    await install(h, VFIO_ON_82599);
    const { check } = await doctorBoot(h);
    expect(check).toMatchObject({ status: 'pass', scope: 'host' });
    expect(check!.evidence.join('\n')).toContain(
      'vfio_pci (driver vfio-pci, policy edge-vfio): /etc/modules-load.d/sriovctl.conf:5; not loaded now',
    );
  });

  it('fails when vfio_pci is neither loaded nor listed, with the fix', async () => {
    const h = await sim('small-82599');
    await install(h, VFIO_ON_82599);
    await h.removeConfigFile(MODULES_LOAD); // as an install from before this check left it
    const { check } = await doctorBoot(h);
    expect(check!.status).toBe('fail');
    expect(check!.title).toBe(
      'vfio_pci is not loaded and not listed in modules-load.d: the boot-time apply cannot bind VFs to vfio-pci',
    );
    expect(check!.fix).toContain('sriovctl install -f /etc/sriovctl/policies.d');
    expect(check!.fix).toContain('`modprobe -a vfio_pci`');
  });

  it('warns when vfio_pci is loaded now but nothing loads it at the next boot', async () => {
    const h = await sim('mixed-firmware'); // vfio-pci loaded
    await install(
      h,
      node(
        'p',
        '  selector: { pfNames: [ens5f1] }\n  numVfs: 3\n  vfGroups:\n    - { range: 1-2, driver: vfio-pci }\n',
      ),
    );
    await h.removeConfigFile(MODULES_LOAD);
    const { check } = await doctorBoot(h);
    expect(check!.status).toBe('warn');
    expect(check!.title).toMatch(/^vfio_pci is loaded now but not listed in modules-load\.d/);
    expect(check!.fix).not.toContain('modprobe');
  });

  it('passes with no module needed, and is absent when nothing is installed', async () => {
    const h = await sim('small-82599');
    expect((await doctorBoot(h)).check).toBeUndefined();
    await install(h, HOST_ON_82599);
    const { check } = await doctorBoot(h);
    expect(check!.status).toBe('pass');
    expect(check!.title).toMatch(/need no module loaded at boot/);
  });
});

describe('checkBootModules (facts as the seam reports them)', () => {
  const need = {
    driver: 'vfio-pci',
    module: 'vfio_pci',
    policies: ['p'],
    listedIn: null,
    builtin: false,
    loaded: false,
  };
  const facts = {
    policyDir: '/etc/sriovctl/policies.d',
    policyFiles: ['/etc/sriovctl/policies.d/p.yaml'],
    policyProblems: [],
    needs: [need],
    filesRead: ['/etc/modules-load.d/modules.conf'],
    installFile: MODULES_LOAD,
  };

  it('counts a module built into the kernel as present at every boot', () => {
    expect(checkBootModules({ ...facts, needs: [{ ...need, builtin: true }] })!.status).toBe(
      'pass',
    );
    expect(checkBootModules(facts)!.status).toBe('fail');
  });

  it('warns, without guessing, when the installed policies do not load', () => {
    const r = checkBootModules({
      ...facts,
      needs: [],
      policyProblems: ['/etc/sriovctl/policies.d/p.yaml:3:1: spec: bad'],
    })!;
    expect(r.status).toBe('warn');
    expect(r.evidence).toContain('/etc/sriovctl/policies.d/p.yaml:3:1: spec: bad');
  });
});

describe('where modules load from', () => {
  it('reads any modules-load.d file and the command line, with - and _ alike', async () => {
    const h = await sim('small-82599');
    await install(h, VFIO_ON_82599);
    await h.removeConfigFile(MODULES_LOAD);
    // An operator's own file (written into the simulated tree, as an admin would).
    h.kernel.vfs.constant('/etc/modules-load.d/vfio.conf', '# mine\n\nvfio-pci\n');
    const { check } = await doctorBoot(h);
    expect(check!.status).toBe('pass');
    expect(check!.evidence.join('\n')).toContain('/etc/modules-load.d/vfio.conf:3');
    expect(sameModule('vfio-pci', 'vfio_pci')).toBe(true);
    expect(sameModule('vfio', 'vfio_pci')).toBe(false);
    expect(parseModulesLoad('a\n; b\n# c\n  d  \n')).toEqual([
      { module: 'a', line: 1 },
      { module: 'd', line: 4 },
    ]);
    const cmd = await gatherBootModuleFacts(h, {
      release: '',
      cmdline: 'ro quiet modules_load=vfio_pci,bonding',
    });
    h.kernel.vfs.remove('/etc/modules-load.d/vfio.conf');
    const onlyCmdline = await gatherBootModuleFacts(h, {
      release: '',
      cmdline: 'ro quiet modules_load=vfio_pci,bonding',
    });
    expect(cmd.needs[0]!.listedIn).toBe('/etc/modules-load.d/vfio.conf:3');
    expect(onlyCmdline.needs[0]!.listedIn).toBe('/proc/cmdline: modules_load=vfio_pci,bonding');
  });

  it('derives modules from the drivers the policies name: vfio-pci only (host and none need none)', () => {
    const loaded = parsePolicyText(
      [
        VFIO_ON_82599,
        node(
          'b',
          '  selector: { pfNames: [x] }\n  numVfs: 4\n  vfGroups:\n    - { range: 0, driver: host }\n    - { range: 1, driver: none }\n    - { range: 2-3, driver: vfio-pci }\n',
        ),
      ].join('---\n'),
      'p.yaml',
    );
    expect(bootModules(loaded)).toEqual([
      { driver: 'vfio-pci', module: 'vfio_pci', policies: ['b', 'edge-vfio'] },
    ]);
    expect(bootModules(parsePolicyText(HOST_ON_82599, 'h.yaml'))).toEqual([]);
  });
});
