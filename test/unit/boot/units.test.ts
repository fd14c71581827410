// The generated systemd units: ordering that puts VF creation before the network stack and the
// consumers of VFs, bounded boot-time work, hardening that still allows sysfs writes, and a real
// `systemd-analyze verify` run over the files as install writes them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UnsafeInputError } from '../../../src/host/errors.js';
import {
  applyUnit,
  daemonUnit,
  execArg,
  renderUnits,
  sriovctlSocket,
  type UnitFile,
} from '../../../src/boot/units.js';

const BIN = fileURLToPath(new URL('../../../bin/sriovctl.js', import.meta.url));
const COMMAND = [process.execPath, BIN];

/** `key=value` lines of one section, as systemd reads them (comments dropped). */
function directives(u: UnitFile, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const line of u.text.split('\n')) {
    if (line.startsWith('[')) current = line;
    else if (current === `[${section}]` && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf('=');
      const k = line.slice(0, i);
      out.set(k, [...(out.get(k) ?? []), line.slice(i + 1)]);
    }
  }
  return out;
}

function words(d: Map<string, string[]>, key: string): string[] {
  return (d.get(key) ?? []).flatMap((v) => v.split(' '));
}

/** Runs systemd-analyze verify over units written to a fresh directory. */
function verify(units: UnitFile[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-units-'));
  const paths = units.map((u) => {
    const p = join(dir, u.name);
    writeFileSync(p, u.text);
    return p;
  });
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...paths], {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_LOG_COLOR: '0' },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('sriovctl-apply.service', () => {
  const u = applyUnit({ command: COMMAND });
  const unit = directives(u, 'Unit');
  const service = directives(u, 'Service');

  it('is an early oneshot that stays active after success', () => {
    expect(u.path).toBe('/etc/systemd/system/sriovctl-apply.service');
    expect(service.get('Type')).toEqual(['oneshot']);
    expect(service.get('RemainAfterExit')).toEqual(['yes']);
    expect(unit.get('DefaultDependencies')).toEqual(['no']);
    expect(directives(u, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs after mounts, module loading and udev, before the network stack and VF consumers', () => {
    expect(words(unit, 'After')).toEqual(
      expect.arrayContaining([
        'local-fs.target',
        'systemd-modules-load.service',
        'systemd-udevd.service',
      ]),
    );
    // Deprecated and waits for every device: apply waits (bounded) for its own PFs instead.
    expect(words(unit, 'After')).not.toContain('systemd-udev-settle.service');
    expect(words(unit, 'Before')).toEqual(
      expect.arrayContaining([
        'network-pre.target',
        'NetworkManager.service',
        'systemd-networkd.service',
        'libvirtd.service',
        'kubelet.service',
        'shutdown.target',
      ]),
    );
    expect(unit.get('Wants')).toEqual(['network-pre.target']);
    // Ordering only: a failed apply must never keep the rest of the boot from starting.
    expect(unit.has('Requires')).toBe(false);
    expect(unit.has('RequiredBy')).toBe(false);
  });

  it('applies the installed policies with a bounded PF wait inside a bounded start timeout', () => {
    expect(service.get('ExecStart')).toEqual([
      `${process.execPath} ${BIN} apply --yes --wait-for-pfs 60 -f /etc/sriovctl/policies.d`,
    ]);
    expect(service.get('TimeoutStartSec')).toEqual(['300']);
    expect(unit.get('ConditionDirectoryNotEmpty')).toEqual(['/etc/sriovctl/policies.d']);
    const custom = directives(
      applyUnit({
        command: COMMAND,
        pfWaitSeconds: 20,
        startTimeoutSeconds: 120,
        allowDefaultRoute: true,
      }),
      'Service',
    );
    expect(custom.get('ExecStart')![0]).toMatch(
      /apply --yes --wait-for-pfs 20 --allow-default-route -f /,
    );
    expect(custom.get('TimeoutStartSec')).toEqual(['120']);
  });

  it('refuses a wait that leaves apply no time, and relative commands', () => {
    expect(() => applyUnit({ command: COMMAND, pfWaitSeconds: 300 })).toThrow(/less than/);
    expect(() => applyUnit({ command: ['node', BIN] })).toThrow(UnsafeInputError);
    expect(() => applyUnit({ command: COMMAND, pfWaitSeconds: 1.5 })).toThrow(UnsafeInputError);
  });
});

describe('sriovctl.service', () => {
  const u = daemonUnit({ command: COMMAND, repair: true });
  const unit = directives(u, 'Unit');
  const service = directives(u, 'Service');

  it('runs serve after the boot-time apply and restarts on failure, but not on bad policies', () => {
    expect(service.get('ExecStart')).toEqual([
      `${process.execPath} ${BIN} serve --repair -f /etc/sriovctl/policies.d`,
    ]);
    expect(words(unit, 'After')).toContain('sriovctl-apply.service');
    expect(service.get('Restart')).toEqual(['on-failure']);
    expect(service.get('RestartPreventExitStatus')).toEqual(['64 65']);
    expect(directives(u, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('serves the socket of sriovctl.socket and never deletes /run/sriovctl under it', () => {
    expect(unit.get('Requires')).toEqual(['sriovctl.socket']);
    expect(words(unit, 'After')).toContain('sriovctl.socket');
    // RuntimeDirectory= is removed when the service stops, and the socket file with it.
    expect(service.has('RuntimeDirectory')).toBe(false);
  });

  it('is hardened without making /sys or /dev/vfio unreachable', () => {
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    expect(service.get('ProtectKernelTunables')).toEqual(['no']);
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    expect(words(service, 'RestrictAddressFamilies')).toContain('AF_NETLINK');
    for (const off of ['PrivateDevices', 'PrivateNetwork', 'MemoryDenyWriteExecute'])
      expect(service.has(off)).toBe(false);
  });
});

describe('sriovctl.socket', () => {
  const u = sriovctlSocket();
  const socket = directives(u, 'Socket');

  it('listens on the API socket, root only, from sockets.target on', () => {
    expect(u.path).toBe('/etc/systemd/system/sriovctl.socket');
    expect(socket.get('ListenStream')).toEqual(['/run/sriovctl/api.sock']);
    expect(socket.get('SocketMode')).toEqual(['0600']);
    expect(directives(u, 'Install').get('WantedBy')).toEqual(['sockets.target']);
    // Stands down with the daemon when no policy is installed.
    expect(directives(u, 'Unit').get('ConditionDirectoryNotEmpty')).toEqual([
      '/etc/sriovctl/policies.d',
    ]);
  });
});

describe('ExecStart quoting', () => {
  it('passes plain paths through and quotes or escapes the rest', () => {
    expect(execArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(execArg('/opt/my tools/sriovctl.js')).toBe('"/opt/my tools/sriovctl.js"');
    expect(execArg('/opt/100%/x')).toBe('"/opt/100%%/x"');
    expect(execArg('/opt/$HOME/x')).toBe('"/opt/$$HOME/x"');
    expect(execArg('/opt/a"b')).toBe('"/opt/a\\"b"');
    expect(() => execArg('/opt/a\nExecStartPre=/bin/rm')).toThrow(UnsafeInputError);
  });
});

describe('systemd-analyze verify', () => {
  it('is available (install the systemd package)', () => {
    expect(execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' })).toMatch(/systemd/);
  });

  it('accepts the three units as install writes them, without a single warning', () => {
    for (const opts of [
      { command: COMMAND },
      { command: COMMAND, repair: true, allowDefaultRoute: true, pfWaitSeconds: 10 },
    ]) {
      const r = verify(renderUnits(opts));
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('would catch a unit whose ExecStart binary does not exist (so the check is real)', () => {
    const r = verify(renderUnits({ command: ['/nonexistent/node', BIN] }));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/\/nonexistent\/node/);
  });
});
