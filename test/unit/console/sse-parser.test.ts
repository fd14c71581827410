// The console's text/event-stream parser: the WHATWG rules the daemon's events endpoint relies on
// (ids that persist, multi-line data, comments as heartbeats) and chunk boundaries anywhere.
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/console/lib/sse.js';

describe('SseParser', () => {
  it('reads id, event and data, and keeps the last id for resuming', () => {
    const p = new SseParser();
    const out = p.feed('id: 7\nevent: attachment.attached\ndata: {"id":7}\n\n');
    expect(out).toEqual([{ id: '7', event: 'attachment.attached', data: '{"id":7}' }]);
    expect(p.lastEventId).toBe('7');
    // An event without an id (traffic) keeps the previous one: resuming must not go back.
    expect(p.feed('event: traffic\ndata: {}\n\n')).toEqual([
      { id: '7', event: 'traffic', data: '{}' },
    ]);
    expect(p.lastEventId).toBe('7');
  });

  it('joins data lines, ignores comments and defaults the event name to message', () => {
    const p = new SseParser();
    expect(p.feed(': heartbeat\n\ndata: a\ndata:b\n\n')).toEqual([
      { id: null, event: 'message', data: 'a\nb' },
    ]);
  });

  it('dispatches nothing for a block without data (retry, comments)', () => {
    const p = new SseParser();
    expect(p.feed('retry: 3000\n: connected\n\n')).toEqual([]);
  });

  it('gives the same messages whatever the chunk boundaries, CRLF split included', () => {
    const text =
      'id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\revent: b\rdata: y\r\rid: 3\nevent: c\ndata: z\n\n';
    const whole = new SseParser().feed(text);
    expect(whole.map((m) => m.event)).toEqual(['a', 'b', 'c']);
    for (let size = 1; size <= 7; size++) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.feed(text.slice(i, i + size)));
      expect(got, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('holds an incomplete message until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.feed('id: 4\ndata: part')).toEqual([]);
    expect(p.feed('ial\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ id: '4', event: 'message', data: 'partial' }]);
  });
});
