/**
 * The local API socket. Its file mode is the access control (root only, 0600, in a 0755
 * directory), so it is created under a restrictive umask rather than chmod-ed after the fact
 * (no window where anyone else can connect). A stale socket left by a killed daemon is removed; a
 * live one means another daemon runs, which is an error.
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
