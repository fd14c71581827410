// Which path `sriovctl apply` takes, said in one line: through a daemon that answers, waiting
// (bounded, with a progress line) for one that is enabled but still starting, and directly only
// when none is expected or it never came. Real sockets in a temp directory stand in for
// /run/sriovctl/api.sock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiUnavailableError } from '../../../src/cli/api-client.js';
import { daemonWaitSeconds, findLocalDaemon } from '../../../src/cli/daemon-apply.js';
import type { CliIo } from '../../../src/cli/io.js';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { expectedDaemon } from '../../../src/boot/install.js';
import { GROW } from '../../support/policy-texts.js';
import { runCli } from './run-cli.js';

const servers: (http.Server | net.Server)[] = [];
const held: net.Socket[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function io(): CliIo & { err: () => string } {
  let stderr = '';
  return {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    err: () => stderr,
  };
}
const socketPath = () => join(mkdtempSync(join(tmpdir(), 'sriovctl-path-')), 'api.sock');
const clientOf = (path: string) => (timeoutMs?: number) =>
  new ApiClient({ kind: 'unix', path }, undefined, timeoutMs);

/** A daemon stand-in that answers GET /api/v1/whoami once it listens. */
function daemonOn(path: string): Promise<void> {
  const s = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name: 'root', tenant: null, role: 'admin' }));
  });
  servers.push(s);
  return new Promise((r) => s.listen(path, () => r()));
}

describe('findLocalDaemon', () => {
  it('waits for a daemon that is enabled but not listening yet, then goes through it', async () => {
    const path = socketPath();
    const c = io();
    // The daemon comes up while apply waits (on the boot the issue saw, it was still starting).
    let tries = 0;
    const r = await findLocalDaemon(c, {
      expected: async () => 'sriovctl.service is enabled',
      waitMs: 30_000,
      client: clientOf(path),
      sleep: async () => {
        if (++tries === 2) await daemonOn(path);
      },
    });
    expect(r.kind).toBe('daemon');
    expect(c.err()).toBe(
      `waiting up to 30 s for the sriovctl daemon at unix:${path} (sriovctl.service is enabled)...\n`,
    );
  });

  it('goes direct at once, saying why, when no daemon is expected and none answers', async () => {
    const c = io();
    const r = await findLocalDaemon(c, {
      expected: async () => null,
      waitMs: 30_000,
      client: clientOf(socketPath()),
      sleep: () => expect.unreachable('nothing to wait for'),
    });
    expect(r).toEqual({
      kind: 'direct',
      why: expect.stringMatching(
        /^no sriovctl daemon answers on unix:.*api\.sock, and none is enabled$/,
      ),
    });
    expect(c.err()).toBe('');
  });

  it('goes direct with a warning when an enabled daemon never comes up within the wait', async () => {
    const c = io();
    let t = 0;
    const r = await findLocalDaemon(c, {
      expected: async () => 'sriovctl.socket is enabled',
      waitMs: 3000,
      client: clientOf(socketPath()),
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    expect(r).toMatchObject({
      kind: 'direct',
      warn: true,
      why: expect.stringMatching(
        /did not come up on unix:.* within 3 s, although sriovctl\.socket is enabled$/,
      ),
    });
    expect(c.err()).toMatch(/^waiting up to 3 s for the sriovctl daemon/);
  });

  it('refuses to go around a socket that accepts but never answers (a daemon is there)', async () => {
    const path = socketPath();
    // Accepts and holds every connection, answering nothing.
    const silent = net.createServer((sock) => void held.push(sock));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(path, () => r()));
    await expect(
      findLocalDaemon(io(), {
        expected: async () => `${path} exists`,
        waitMs: 300,
        client: clientOf(path),
      }),
    ).rejects.toThrow(ApiUnavailableError);
    await expect(
      findLocalDaemon(io(), {
        expected: async () => `${path} exists`,
        waitMs: 300,
        client: clientOf(path),
      }),
    ).rejects.toThrow(/accepted the connection but did not answer within 0.3 s/);
  });
});

describe('expectedDaemon', () => {
  it('expects a daemon when its socket or service unit is enabled, not for the apply unit alone', async () => {
    const h = await loadSimHost('mixed-firmware', { timing: 'off' });
    try {
      expect(await expectedDaemon(h)).toBeNull();
      h.kernel.vfs.link(
        '/etc/systemd/system/multi-user.target.wants/sriovctl-apply.service',
        '../sriovctl-apply.service',
      );
      expect(await expectedDaemon(h)).toBeNull();
      h.kernel.vfs.link(
        '/etc/systemd/system/sockets.target.wants/sriovctl.socket',
        '../sriovctl.socket',
      );
      expect(await expectedDaemon(h)).toBe('sriovctl.socket is enabled');
    } finally {
      h.close();
    }
  });
});

describe('apply says which path it takes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-path-cli-'));
  const file = join(dir, 'grow.yaml');
  writeFileSync(file, GROW);

  it('one line for a direct apply, with the reason', async () => {
    const sim = await runCli(['--sim', 'apply', '--dry-run', '-f', file]);
    expect(sim.stderr).toContain(
      'applying directly, not through a sriovctl daemon: the simulated host lives in this process\n',
    );
    const direct = await runCli(['--sim', 'apply', '--direct', '--dry-run', '-f', file]);
    expect(direct.stderr).toContain('applying directly, not through a sriovctl daemon: --direct\n');
  });

  it('rejects a malformed SRIOVCTL_DAEMON_WAIT (64)', async () => {
    expect(daemonWaitSeconds({})).toBe(10);
    expect(daemonWaitSeconds({ SRIOVCTL_DAEMON_WAIT: '0' })).toBe(0);
    expect(() => daemonWaitSeconds({ SRIOVCTL_DAEMON_WAIT: 'soon' })).toThrow(
      /SRIOVCTL_DAEMON_WAIT="soon"/,
    );
  });
});
