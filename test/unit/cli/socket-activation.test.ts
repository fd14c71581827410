// Socket activation (sriovctl.socket): systemd creates and listens on the API socket, and the daemon
// serves on the descriptor it inherits. Run with systemd's own activator, which passes the socket
// exactly as systemd does (LISTEN_FDS/LISTEN_PID) and starts the daemon on the first connection:
// the client that triggers it connects before the daemon is up and still gets its answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inheritedSocketFd } from '../../../src/api/unix-socket.js';
import { runCli } from './run-cli.js';

const MAIN = resolve('test/support/crash-daemon-main.ts');
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  child = null;
});

/** Starts systemd-socket-activate on `sock`; resolves once the socket listens (the daemon is not started yet). */
async function activator(
  sock: string,
): Promise<{ log: () => string; exited: Promise<number | null> }> {
  let log = '';
  const c = spawn(
    'systemd-socket-activate',
    [
      '-l',
      sock,
      process.execPath,
      '--import',
      'tsx',
      MAIN,
      '--sim',
      'qemu-nvme-lab',
      // Under systemd-socket-activate the daemon does not get the test's XDG_STATE_HOME: keep nothing.
      '--sim-fresh',
      'serve',
      '--sim-traffic',
      'off',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = c;
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  c.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((ok, fail) => {
    c.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(`Listening on ${sock}`)) ok();
    });
    c.once('exit', () => fail(new Error(`systemd-socket-activate exited: ${log}`)));
  });
  return { log: () => log, exited };
}

describe('sriovctl serve under socket activation', () => {
  it('answers the connection that starts it, on the socket systemd made, and leaves the socket behind', async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'sriovctl-activate-')), 'api.sock');
    const a = await activator(sock);
    // Nothing runs yet: this request is what starts the daemon, and it waits in the listen queue.
    const r = await runCli(['attachments', '--api', `unix:${sock}`, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ items: [] });
    expect(a.log()).toMatch(/"event":"listening".*"from":"systemd"/);
    child!.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    // The socket is systemd's: the daemon does not unlink it on the way out.
    expect(existsSync(sock)).toBe(true);
  }, 60_000);
});

describe('inheritedSocketFd', () => {
  it('takes fd 3 only when systemd passed exactly one socket to this very process', () => {
    expect(inheritedSocketFd({ LISTEN_PID: '42', LISTEN_FDS: '1' }, 42)).toBe(3);
    expect(inheritedSocketFd({ LISTEN_PID: '41', LISTEN_FDS: '1' }, 42)).toBeNull();
    expect(inheritedSocketFd({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42)).toBeNull();
    expect(inheritedSocketFd({}, 42)).toBeNull();
    expect(() => inheritedSocketFd({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42)).toThrow(
      /systemd passed 2 sockets/,
    );
  });
});
