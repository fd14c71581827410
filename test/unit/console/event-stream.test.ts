// The console's event-stream client over real HTTP: it sends the token, reads events as they
// stream, reconnects when the stream ends and resumes with Last-Event-ID, and stops for good when
// the token is refused. The server here is a plain node:http peer speaking text/event-stream.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream, type StreamStatus } from '../../../src/console/api/events.js';
import type { SseMessage } from '../../../src/console/lib/sse.js';

interface Seen {
  auth: string | undefined;
  lastEventId: string | undefined;
}

let server: http.Server | null = null;
let stream: EventStream | null = null;

afterEach(async () => {
  stream?.stop();
  stream = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** Serves each connection with the next handler; records what each request carried. */
async function serve(
  handlers: ((res: http.ServerResponse) => void)[],
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    seen.push({
      auth: req.headers.authorization,
      lastEventId: req.headers['last-event-id'] as string | undefined,
    });
    const h = handlers[seen.length - 1];
    if (h) h(res);
    else res.writeHead(200, { 'content-type': 'text/event-stream' }); // stays open, silent
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/v1/events`, seen };
}

function open(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
}

function collect(
  url: string,
  until: (msgs: SseMessage[]) => boolean,
  extra: { onAuthFailed?: () => void } = {},
) {
  const msgs: SseMessage[] = [];
  const statuses: StreamStatus[] = [];
  const done = new Promise<void>((resolve) => {
    stream = new EventStream({
      url,
      token: 'sriovctl_secret',
      lastEventId: '0',
      minDelayMs: 5,
      maxDelayMs: 20,
      onStatus: (s) => {
        statuses.push(s);
        if (s === 'closed') resolve();
      },
      onMessage: (m) => {
        msgs.push(m);
        if (until(msgs)) resolve();
      },
      ...extra,
    });
    stream.start();
  });
  return { msgs, statuses, done };
}

describe('EventStream', () => {
  it('reads events, reconnects after the stream ends and resumes after the last id', async () => {
    const { url, seen } = await serve([
      (res) => {
        open(res);
        res.write('retry: 3000\n: connected\n\n');
        res.write('id: 1\nevent: attachment.attached\ndata: {"id":1}\n\n');
        res.write(
          'event: traffic\ndata: {"at":1}\n\nid: 2\nevent: drift.detected\ndata: {"id":2}\n\n',
        );
        res.end();
      },
      (res) => {
        open(res);
        res.write('id: 3\nevent: attachment.detached\ndata: {"id":3}\n\n');
      },
    ]);
    const c = collect(url, (m) => m.length === 4);
    await c.done;
    expect(c.msgs.map((m) => [m.id, m.event])).toEqual([
      ['1', 'attachment.attached'],
      ['1', 'traffic'],
      ['2', 'drift.detected'],
      ['3', 'attachment.detached'],
    ]);
    expect(seen).toEqual([
      { auth: 'Bearer sriovctl_secret', lastEventId: '0' },
      { auth: 'Bearer sriovctl_secret', lastEventId: '2' },
    ]);
    expect(c.statuses).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'open']);
  });

  it('retries after a server error, without losing its place', async () => {
    const { url, seen } = await serve([
      (res) => {
        open(res);
        res.end('id: 9\nevent: a\ndata: {}\n\n');
      },
      (res) => {
        res.writeHead(503).end();
      },
      (res) => {
        open(res);
        res.write('id: 10\nevent: b\ndata: {}\n\n');
      },
    ]);
    const c = collect(url, (m) => m.length === 2);
    await c.done;
    expect(seen.map((s) => s.lastEventId)).toEqual(['0', '9', '9']);
    expect(c.msgs.map((m) => m.event)).toEqual(['a', 'b']);
  });

  it('stops for good when the token is refused', async () => {
    let refused = 0;
    const { url, seen } = await serve([
      (res) => res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{}'),
    ]);
    const c = collect(url, () => false, { onAuthFailed: () => refused++ });
    await c.done;
    expect(refused).toBe(1);
    expect(seen).toHaveLength(1);
    expect(c.statuses.at(-1)).toBe('closed');
  });
});
