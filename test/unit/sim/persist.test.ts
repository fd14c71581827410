// The persistent simulated host: kernel state written through it survives the process being
// dropped or killed -9, because every change is journaled (and fsynced) before its call returns and
// reopening replays the journal against a freshly booted fixture.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HostTimeoutError } from '../../../src/host/errors.js';
import type { NetlinkChange } from '../../../src/host/host.js';
import type { IfName, MacAddress } from '../../../src/host/names.js';
import {
  JOURNAL_FORMAT,
  openPersistentSimHost,
  type PersistentSimHost,
  type PersistentSimOptions,
} from '../../../src/host/sim/index.js';
import { errnoOf } from '../../support/errno.js';
import {
  CHILD_PF,
  CHILD_PF_ADDR,
  CHILD_VFS,
  childIndexOf,
  childVlan,
} from '../../support/persistent-sim-child.js';

const FIXTURE = 'dual-socket-e810-cx6';
const DEV = '/sys/bus/pci/devices';
const ENS1F0 = `${DEV}/0000:3b:00.0`; // ice, 8 VFs at boot
const ENS1F1 = `${DEV}/0000:3b:00.1`; // ice, no VFs at boot

let dir: string;
let state: string;
let now: number;
const clock = () => now;
const hosts: PersistentSimHost[] = [];

async function open(
  opts: PersistentSimOptions = {},
  fixture = FIXTURE,
): Promise<PersistentSimHost> {
  const h = await openPersistentSimHost(fixture, state, { clock, ...opts });
  hosts.push(h);
  return h;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sriovctl-persist-'));
  state = join(dir, 'machine.jsonl');
  now = 1_700_000_000_000;
});
afterEach(() => {
  // The "crashed" hosts were never closed; close them all now so no fd or timer outlives the test.
  for (const h of hosts.splice(0)) h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a daemon could observe: the whole file tree through the seam, and the link dump. */
async function observe(
  h: PersistentSimHost,
  eswitchDev = '0000:5e:00.0',
): Promise<Record<string, unknown>> {
  const tree: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    for (const name of await h.readDir(path)) {
      const p = path === '/' ? `/${name}` : `${path}/${name}`;
      const kind = await h.entryKind(p);
      if (kind === 'dir') await walk(p);
      else if (kind === 'link') tree[p] = `-> ${await h.readLink(p)}`;
      else tree[p] = await h.readFile(p).catch((e: { errno?: string }) => `! ${e.errno ?? e}`);
    }
  };
  await walk('/');
  return {
    tree,
    links: await h.linkDump(),
    eswitch: await h.devlinkEswitchMode(eswitchDev as never),
    configModes: [...h.configModes],
  };
}

async function vfAddr(h: PersistentSimHost, pf: string, vf: number): Promise<string> {
  return (await h.readLink(`${pf}/virtfn${vf}`)).replace('../', '');
}

function journalLines(): string[] {
  return readFileSync(state, 'utf8').split('\n').slice(0, -1);
}

describe('openPersistentSimHost', () => {
  it('rebuilds the same machine after the process drops it without closing', async () => {
    const a = await open();
    await a.writeFile(`${ENS1F1}/sriov_numvfs`, '4');
    const results = await a.linkApply([
      {
        kind: 'vf',
        pf: 'ens1f1' as IfName,
        vf: 2,
        mac: '02:00:00:00:02:02' as MacAddress,
        vlan: { vlan: 100, qos: 3, proto: '802.1Q' },
        trust: true,
        spoofchk: false,
      },
      { kind: 'vf', pf: 'ens1f0' as IfName, vf: 0, rate: { maxTxRate: 1000 } },
    ]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    // A VF to vfio-pci the way the executor does it.
    const vf = await vfAddr(a, ENS1F0, 3);
    await a.writeFile(`${DEV}/${vf}/driver/unbind`, vf);
    await a.writeFile(`${DEV}/${vf}/driver_override`, 'vfio-pci');
    await a.writeFile('/sys/bus/pci/drivers_probe', vf);
    // Refused by the kernel: recorded, and refused again on replay without changing anything.
    expect(await errnoOf(a.writeFile(`${ENS1F0}/sriov_numvfs`, '2'))).toBe('EBUSY');
    await a.writeConfigFile('/etc/sriovctl/policy.yaml', 'pools: []\n', { mode: 0o600 });
    await a.devlinkSetEswitchMode('0000:5e:00.0' as never, 'switchdev');
    a.setCarrier('ens1f0', false);
    a.setVfAssigned('ens1f0', 3, true);
    a.setTraffic('ens1f0', 1, {
      rxBytesPerSec: 1000,
      txBytesPerSec: 2000,
      rxPacketsPerSec: 10,
      txPacketsPerSec: 20,
      rxDroppedPerSec: 0,
      txDroppedPerSec: 0,
    });
    now += 5000;
    const before = await observe(a);
    // Crash: `a` is simply abandoned.

    const b = await open();
    expect(await observe(b)).toEqual(before);
    // Spot checks of what the comparison covers.
    expect(await b.readFile(`${ENS1F1}/sriov_numvfs`)).toBe('4\n');
    expect(await b.readLink(`${DEV}/${vf}/driver`)).toMatch(/drivers\/vfio-pci$/);
    const ens1f1 = (await b.linkDump()).links.find((l) => l.ifname === 'ens1f1');
    expect(ens1f1?.vfs?.[2]).toMatchObject({ mac: '02:00:00:00:02:02', vlan: 100, qos: 3 });
    const ens1f0 = (await b.linkDump()).links.find((l) => l.ifname === 'ens1f0');
    // Traffic kept flowing while nobody was looking: counters follow the clock, not the restart.
    expect(ens1f0?.vfs?.[1]?.counters?.txBytes).toBe(10_000);
    // The in-memory journal describes this process, which has changed nothing yet.
    expect(b.journal).toEqual([]);
  });

  it('writes a header and one fsynced JSON line per change, failures included', async () => {
    const a = await open();
    expect(await errnoOf(a.writeFile(`${ENS1F0}/sriov_numvfs`, '3'))).toBe('EBUSY');
    await a.writeFile(`${ENS1F1}/sriov_numvfs`, '2');
    const lines = journalLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ format: JOURNAL_FORMAT, version: 1, fixture: FIXTURE });
    expect(lines.slice(1)).toEqual([
      {
        at: now,
        call: { op: 'writeFile', path: `${ENS1F0}/sriov_numvfs`, value: '3' },
        result: expect.objectContaining({ ok: false, error: 'KernelError', errno: 'EBUSY' }),
      },
      {
        at: now,
        call: { op: 'writeFile', path: `${ENS1F1}/sriov_numvfs`, value: '2' },
        result: { ok: true },
      },
    ]);
  });

  it('does not journal input refused before it reaches the kernel', async () => {
    const a = await open();
    await expect(a.writeFile('/etc/passwd', 'x')).rejects.toThrow(/refusing path/);
    await expect(a.writeConfigFile('/etc/shadow', 'x')).rejects.toThrow(/refusing config path/);
    expect(journalLines()).toHaveLength(1);
  });

  it('replays an injected fault as the same failure, without the rule', async () => {
    const a = await open();
    a.faults.add({ op: 'write', target: `${ENS1F1}/sriov_numvfs`, errno: 'EIO' });
    a.faults.add({ op: 'netlink', target: 'ens1f0 vf 1', errno: 'EPERM' });
    expect(await errnoOf(a.writeFile(`${ENS1F1}/sriov_numvfs`, '4'))).toBe('EIO');
    const r = await a.linkApply([
      { kind: 'vf', pf: 'ens1f0' as IfName, vf: 0, mac: '02:00:00:00:00:10' as MacAddress },
      { kind: 'vf', pf: 'ens1f0' as IfName, vf: 1, mac: '02:00:00:00:00:11' as MacAddress },
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, false]);
    const before = await observe(a);

    const b = await open();
    expect(await observe(b)).toEqual(before);
    expect(b.faults.fired).toEqual([]);
    // The fault was this process's; the reopened machine takes the write.
    await b.writeFile(`${ENS1F1}/sriov_numvfs`, '4');
    expect(await b.readFile(`${ENS1F1}/sriov_numvfs`)).toBe('4\n');
  });

  it('records a hung write when it finally runs, not when its caller gave up', async () => {
    const a = await open();
    a.faults.add({ op: 'write', target: `${ENS1F1}/sriov_numvfs`, hang: true });
    const err = await a
      .writeFile(`${ENS1F1}/sriov_numvfs`, '2', { timeoutMs: 10 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostTimeoutError);
    expect(journalLines()).toHaveLength(1);
    a.faults.releaseHangs();
    await a.writeFile(`${ENS1F1}/sriov_drivers_autoprobe`, '1'); // queued behind the hung write
    expect(journalLines()).toHaveLength(3);

    const b = await open();
    expect(await b.readFile(`${ENS1F1}/sriov_numvfs`)).toBe('2\n');
  });

  it('tolerates a last line cut short by a crash, with a warning, and appends after it', async () => {
    const a = await open();
    await a.writeFile(`${ENS1F1}/sriov_numvfs`, '2');
    appendFileSync(state, '{"at":1,"call":{"op":"writeFile","path":"/sys/bus/pci/dev');
    const warnings: string[] = [];

    const b = await open({ onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      expect.stringContaining(`${state}:3: ignoring an incomplete last line`),
    ]);
    expect(await b.readFile(`${ENS1F1}/sriov_numvfs`)).toBe('2\n');
    await b.writeConfigFile('/etc/sriovctl/policy.yaml', 'pools: []\n');

    // The half line was cut off before b appended, so the file is whole again.
    const c = await open({ onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(await c.readFile('/etc/sriovctl/policy.yaml')).toBe('pools: []\n');
    expect(journalLines()).toHaveLength(3);
  });

  it('treats a missing or empty file, or a header cut short, as a fresh machine', async () => {
    writeFileSync(state, '{"format":"sriovctl-sim');
    const a = await open({ onWarning: () => undefined });
    expect(await a.readFile(`${ENS1F1}/sriov_numvfs`)).toBe('0\n');
    expect(JSON.parse(journalLines()[0]!)).toMatchObject({ fixture: FIXTURE });
  });

  it('refuses a damaged line other than the last, naming file and line', async () => {
    const a = await open();
    await a.writeFile(`${ENS1F1}/sriov_numvfs`, '2');
    const [header, entry] = journalLines();
    writeFileSync(state, `${header}\nnot json\n${entry}\n`);
    await expect(open()).rejects.toThrow(`${state}:2: expected a journal entry`);
    writeFileSync(state, `${header}\n{"at":1,"call":{"op":"reboot"},"result":{"ok":true}}\n`);
    await expect(open()).rejects.toThrow(`${state}:2: expected a journal entry`);
  });

  it('refuses a journal that no longer replays as recorded', async () => {
    const a = await open();
    await a.writeFile(`${ENS1F1}/sriov_numvfs`, '2');
    const [header, entry] = journalLines();
    writeFileSync(
      state,
      `${header}\n${entry!.replace('"result":{"ok":true}', '"result":{"ok":false,"error":"KernelError","errno":"EBUSY","message":"x"}')}\n`,
    );
    await expect(open()).rejects.toThrow(
      `${state}:2: expected writeFile to answer EBUSY again on replay (as recorded), found ok`,
    );
  });

  it('refuses a state file recorded for another fixture, naming both', async () => {
    await open();
    await expect(open({}, 'small-82599')).rejects.toThrow(
      `${state}: expected a state file recorded for fixture small-82599, found one recorded for fixture ${FIXTURE}`,
    );
    // A path into the shipped fixtures is the same fixture as its name.
    await open({}, resolve('fixtures/hosts', `${FIXTURE}.yaml`));
  });

  it('refuses a timing that is not off, realistic or a scale, and a relative state file', async () => {
    await expect(openPersistentSimHost(FIXTURE, state, { timing: -1 })).rejects.toThrow(
      /refusing timing "-1": expected 'off', 'realistic' or a scale of 0 or more/,
    );
    await expect(openPersistentSimHost(FIXTURE, 'machine.jsonl')).rejects.toThrow(
      /refusing stateFile "machine.jsonl": expected an absolute path/,
    );
  });

  it('keeps every change a process reported done before it was killed with SIGKILL', async () => {
    const script = resolve('test/support/persistent-sim-child.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, FIXTURE, state], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((res) =>
      child.on('exit', (code, signal) => res(signal ?? code)),
    );
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Mid-way through a long run of changes.
        if (/^done 300$/m.test(out)) {
          child.kill('SIGKILL');
          res();
        }
      });
      void exited.then(() => rej(new Error(`child exited early: ${err}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const done = [...out.matchAll(/^done (\d+)$/gm)].map((m) => Number(m[1]));
    expect(done.length).toBeGreaterThan(300);
    const h = await open({ onWarning: () => undefined });
    expect(await h.readFile(`${DEV}/${CHILD_PF_ADDR}/sriov_numvfs`)).toBe(`${CHILD_VFS}\n`);
    const vfs = (await h.linkDump()).links.find((l) => l.ifname === CHILD_PF)?.vfs ?? [];
    const last = Math.max(...done);
    for (let v = 0; v < CHILD_VFS; v++) {
      // The latest change to this VF the child was told had happened, or a later one it made
      // before dying (recorded, but killed before it could print).
      const reported = last - ((((last - v) % CHILD_VFS) + CHILD_VFS) % CHILD_VFS);
      const i = childIndexOf(vfs[v]!.mac);
      expect(i % CHILD_VFS).toBe(v);
      expect(i).toBeGreaterThanOrEqual(reported);
      expect(vfs[v]!.vlan).toBe(childVlan(i));
    }
  });
});

// iommu-off is an X710 host: i40e PFs, 2 VFs on ens2f0 from boot, none on ens2f1. A fresh i40e VF
// is reset by its driver for 1.5 s (realistic timing), answering MAC changes with EAGAIN, and its
// iavf netdev registers 250 ms after the probe.
describe('replay does not depend on the clock (i40e)', () => {
  const I40E = 'iommu-off';
  const ENS2F0 = `${DEV}/0000:18:00.0`;
  const ENS2F1 = `${DEV}/0000:18:00.1`;
  const mac = (pf: string, vf: number, last: string): NetlinkChange => ({
    kind: 'vf',
    pf: pf as IfName,
    vf,
    mac: `02:00:00:00:00:${last}` as MacAddress,
  });
  const errnos = (r: { ok: boolean; errno?: string }[]) => r.map((x) => (x.ok ? 'ok' : x.errno));
  const i40eState = (h: PersistentSimHost) => observe(h, '0000:18:00.0');

  it('restarts a host whose boot-time VFs got MACs, however much later it restarts', async () => {
    const a = await open({}, I40E);
    expect(await a.readFile(`${ENS2F0}/sriov_numvfs`)).toBe('2\n');
    expect(errnos(await a.linkApply([mac('ens2f0', 0, '01'), mac('ens2f0', 1, '02')]))).toEqual([
      'ok',
      'ok',
    ]);
    const before = await i40eState(a);
    a.close();
    // The restart boots the fixture at a later time than the journal's entries were made at.
    now += 60_000;
    const b = await open({}, I40E);
    expect(await i40eState(b)).toEqual(before);
  });

  it('restarts a host where MACs were set inside a fresh VF reset window (realistic timing)', async () => {
    const a = await open({ timing: 'realistic' }, I40E);
    await a.writeFile(`${ENS2F1}/sriov_numvfs`, '4');
    // Right after creation: inside the reset window, the driver refuses.
    const early = await a.linkApply([mac('ens2f1', 0, '10'), mac('ens2f1', 1, '11')]);
    expect(errnos(early)).toEqual(['EAGAIN', 'EAGAIN']);
    now += 2000; // the window is over
    expect(errnos(await a.linkApply([mac('ens2f1', 0, '10')]))).toEqual(['ok']);
    // The VF netdevs register late, as their own journal entries.
    await vi.waitFor(async () => expect(await a.readDir('/sys/class/net')).toContain('ens2f1v3'));
    // And once more inside a window, on VFs created again.
    await a.writeFile(`${ENS2F1}/sriov_numvfs`, '0');
    await a.writeFile(`${ENS2F1}/sriov_numvfs`, '2');
    expect(errnos(await a.linkApply([mac('ens2f1', 1, '21')]))).toEqual(['EAGAIN']);
    await vi.waitFor(async () => expect(await a.readDir('/sys/class/net')).toContain('ens2f1v1'));
    const before = await i40eState(a);
    const entries = journalLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.filter((e) => e.windows !== undefined)).toHaveLength(2);
    expect(
      entries.filter((e) => (e.call as { op?: string } | undefined)?.op === 'deferred'),
    ).toHaveLength(6);
    a.close();

    now += 60_000;
    const b = await open({ timing: 'realistic' }, I40E);
    expect(await i40eState(b)).toEqual(before);
    const vfs = (await b.linkDump()).links.find((l) => l.ifname === 'ens2f1')!.vfs!;
    expect(vfs.map((v) => v.mac)).toEqual(['00:00:00:00:00:00', '00:00:00:00:00:00']);
    b.close();
    // Reopened with timing off: the same machine (replay takes time from the journal, not the scale).
    const c = await open({}, I40E);
    expect(await i40eState(c)).toEqual(before);
  });

  it('finishes work the kernel had not done when the process stopped, and journals it', async () => {
    const a = await open({ timing: 'realistic' }, I40E);
    await a.writeFile(`${ENS2F1}/sriov_numvfs`, '2');
    // Stopped before the VF netdevs registered (closing drops the pending work, as a kill would).
    expect(await a.readDir('/sys/class/net')).not.toContain('ens2f1v0');
    a.close();

    const b = await open({ timing: 'realistic' }, I40E);
    await vi.waitFor(async () => expect(await b.readDir('/sys/class/net')).toContain('ens2f1v1'));
    const after = await i40eState(b);
    b.close();
    const c = await open({}, I40E);
    expect(await i40eState(c)).toEqual(after);
  });

  it('refuses a journal whose deferred work no call started', async () => {
    const a = await open({ timing: 'realistic' }, I40E);
    await a.writeFile(`${ENS2F1}/sriov_numvfs`, '1');
    await vi.waitFor(async () => expect(await a.readDir('/sys/class/net')).toContain('ens2f1v0'));
    a.close();
    const lines = journalLines();
    // Drop the deferred list from the call that started the work: its entry now comes from nowhere.
    writeFileSync(
      state,
      lines.map((l) => l.replace(/,"deferred":\[[^\]]*\]/, '')).join('\n') + '\n',
    );
    await expect(open({}, I40E)).rejects.toThrow(
      `${state}:3: expected deferred kernel work "netdev ens2f1v0 registers" started by an earlier call, found none pending`,
    );
  });
});
