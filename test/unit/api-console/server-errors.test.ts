// Failures on the daemon's side (5xx) are logged with the request id the answer carries, on the
// TCP listener and on the unix socket alike: the error and its stack in the daemon's own (pino)
// log, only the id in the answer. The daemon runs as a child process (its unix socket needs a
// umask a worker thread cannot set); its stdout is the pino destination.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type HttpAnswer, type ProblemBody } from '../../support/api-fixture.js';

interface LogLine {
  level?: number;
  msg?: string;
  reqId?: string;
  status?: number;
  url?: string;
  err?: { message: string; stack: string };
  ready?: { url: string; token: string };
  done?: string;
}

let dir: string;
let child: ChildProcessWithoutNullStreams;
let socketPath: string;
let url: string;
let token: string;
const lines: LogLine[] = [];
const waiters: (() => void)[] = [];

/** Resolves with the first stdout line (already read or coming) that matches. */
function lineWhere(pred: (l: LogLine) => boolean): Promise<LogLine> {
  return new Promise((res, rej) => {
    const check = () => {
      const hit = lines.find(pred);
      if (hit) res(hit);
    };
    waiters.push(check);
    check();
    child.once('exit', () => rej(new Error('the daemon exited')));
  });
}

async function command(cmd: string): Promise<void> {
  child.stdin.write(`${cmd}\n`);
  await lineWhere((l) => l.done === cmd);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sriovctl-5xx-'));
  socketPath = join(dir, 'api.sock');
  child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve('test/support/daemon-5xx-child.ts'), socketPath],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p) as LogLine);
    for (const w of waiters) w();
  });
  const ready = (await lineWhere((l) => l.ready !== undefined)).ready!;
  url = ready.url;
  token = ready.token;
});

afterAll(async () => {
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
});

/** The log line naming the answer's request id; the answer carries the id in body and header. */
async function lineFor(r: HttpAnswer): Promise<LogLine> {
  const id = (r.body as ProblemBody).requestId;
  expect(typeof id).toBe('string');
  expect(r.headers['x-request-id']).toBe(id);
  const line = await lineWhere((l) => l.reqId === id);
  expect(lines.filter((l) => l.reqId === id)).toHaveLength(1);
  return line;
}

describe('answers of 500 and more', () => {
  it('a 502 from the kernel is logged with the answer request id and the error, on TCP and on the socket', async () => {
    const root = { socketPath };
    await request(root, 'PUT', '/api/v1/pools/p', {
      json: { selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' },
    });
    await request(root, 'PUT', '/api/v1/tenants/t', { json: { pools: ['p'], vlans: '7' } });
    await command('eio');
    const attach = { json: { tenant: 't', pool: 'p', consumer: { kind: 'vm', name: 'v' } } };
    const overTcp = await request(url, 'POST', '/api/v1/attachments', { ...attach, token });
    const overSocket = await request(root, 'POST', '/api/v1/attachments', attach);
    for (const r of [overTcp, overSocket]) {
      expect(r.status).toBe(502);
      const line = await lineFor(r);
      expect(line).toMatchObject({ level: 50, status: 502, url: '/api/v1/attachments' });
      expect(line.err!.message).toBe((r.body as ProblemBody).detail);
      expect(line.err!.message).toMatch(/EIO/);
      expect(line.err!.stack).toMatch(/\n\s+at /);
      // The stack stays in the log.
      expect(r.text).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
  });

  it('a 500 says which request id the log has the details under, on TCP and on the socket', async () => {
    // The ledger's database gone under the daemon: nothing a caller did wrong.
    await command('close-store');
    const overTcp = await request(url, 'GET', '/api/v1/audit', { token });
    const overSocket = await request({ socketPath }, 'GET', '/api/v1/audit');
    for (const r of [overTcp, overSocket]) {
      expect(r.status).toBe(500);
      const body = r.body as ProblemBody;
      expect(body.detail).toBe(
        `sriovctl failed unexpectedly; the daemon log has the details under request id ${body.requestId as string}`,
      );
      const line = await lineFor(r);
      expect(line).toMatchObject({ level: 50, status: 500, url: '/api/v1/audit' });
      expect(line.err!.message).toMatch(/database connection is not open/);
      expect(line.msg).toContain(body.requestId as string);
      expect(r.text).not.toContain('database connection');
    }
  });
});
