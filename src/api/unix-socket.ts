/**
 * The local API socket. Its file mode is the access control (root only, 0600, in a 0755
 * directory), so it is created under a restrictive umask rather than chmod-ed after the fact
 * (no window where anyone else can connect). A stale socket left by a killed daemon is removed; a
 * live one means another daemon runs, which is an error. Under systemd the socket comes from
 * sriovctl.socket instead (socket activation): systemd created it with the same mode and listens
 * from early boot, and the daemon serves on the descriptor it inherits.
 */
import { mkdirSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';

async function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Listens on `path` with mode 0600; throws when another process is listening there. */
export async function listenUnix(app: FastifyInstance, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let kind: 'socket' | 'other' | null;
  try {
    kind = lstatSync(path).isSocket() ? 'socket' : 'other';
  } catch {
    kind = null;
  }
  if (kind === 'other')
    throw new Error(`${path} exists and is not a socket; remove it or pass another --socket`);
  if (kind === 'socket') {
    if (await answers(path))
      throw new Error(`another sriovctl serve is listening on ${path}; stop it first`);
    unlinkSync(path);
  }
  const old = process.umask(0o177);
  try {
    await app.listen({ path });
  } finally {
    process.umask(old);
  }
}

/** sd_listen_fds(3): systemd passes sockets from this descriptor on. */
const SD_LISTEN_FDS_START = 3;

/**
 * The listening socket systemd passed to process `pid` (socket activation): descriptor 3 when
 * LISTEN_PID names this process and LISTEN_FDS is 1, null when nothing was passed (or it was meant
 * for another process, e.g. a parent that exec'd us without clearing it).
 * @throws Error when systemd passed several sockets: sriovctl.socket has exactly one ListenStream=.
 */
export function inheritedSocketFd(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): number | null {
  if (env['LISTEN_PID'] !== String(pid)) return null;
  const n = Number(env['LISTEN_FDS'] ?? '0');
  if (!Number.isInteger(n) || n < 1) return null;
  if (n > 1)
    throw new Error(
      `systemd passed ${n} sockets (LISTEN_FDS=${n}); sriovctl serves one: give sriovctl.socket a single ListenStream=`,
    );
  return SD_LISTEN_FDS_START;
}

/** Serves on a listening socket inherited from systemd (see inheritedSocketFd). */
export async function listenInherited(app: FastifyInstance, fd: number): Promise<void> {
  // Not app.listen: fastify reads the address back to log it, and a socket opened from a
  // descriptor has none in node. fastify still closes app.server on app.close(); idle keep-alive
  // connections are dropped then, as fastify does for servers it started itself.
  app.addHook('preClose', (done) => {
    app.server.closeIdleConnections();
    done();
  });
  await app.ready();
  await new Promise<void>((resolve, reject) => {
    const server = app.server;
    const failed = (e: Error) => reject(e);
    server.once('error', failed);
    server.listen({ fd }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
