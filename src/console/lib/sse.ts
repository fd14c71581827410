/**
 * A parser for the text/event-stream format (the WHATWG "server-sent events" rules), fed with
 * decoded chunks as they arrive from fetch(). The console reads the event stream with fetch rather
 * than EventSource because EventSource cannot send the Authorization header.
 */

export interface SseMessage {
  /** The last event id seen on the stream (ids persist across messages, as the spec says). */
  id: string | null;
  /** The `event:` field, `message` when absent. */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private sawData = false;
  /** The id to resume from with Last-Event-ID. */
  lastEventId: string | null = null;

  /** Feeds a chunk; answers the messages it completed. */
  feed(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buffer);
      if (!m) break;
      // A lone CR at the very end may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const msg = this.sawData
        ? { id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') }
        : null;
      this.data = [];
      this.event = '';
      this.sawData = false;
      return msg;
    }
    if (line.startsWith(':')) return null; // a comment: heartbeats
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.sawData = true;
    } else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return null;
  }
}
