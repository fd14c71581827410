/**
 * The daemon's event stream (GET /events, text/event-stream) read with fetch, because EventSource
 * cannot send the Authorization header. Reconnects with backoff and resumes with Last-Event-ID, so
 * events published while the connection was down are replayed, not lost.
 */
import { SseParser, type SseMessage } from '../lib/sse.js';

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  url: string;
  token: string;
  onMessage: (msg: SseMessage) => void;
  onStatus: (status: StreamStatus, detail?: string) => void;
  /** The token was refused (401): reconnecting would not help. */
  onAuthFailed?: () => void;
  /** Resume after this id on the first connection ('0' replays the daemon's kept history). */
  lastEventId?: string;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The server sends a heartbeat every 15 s; silence this long means a dead connection. */
  stallMs?: number;
}

export class EventStream {
  private stopped = false;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  lastEventId: string | null;

  constructor(private readonly o: EventStreamOptions) {
    this.lastEventId = o.lastEventId ?? null;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    this.o.onStatus('closed');
  }

  private async run(): Promise<void> {
    const min = this.o.minDelayMs ?? 1000;
    const max = this.o.maxDelayMs ?? 15000;
    let delay = min;
    let status: StreamStatus = 'connecting';
    while (!this.stopped) {
      this.o.onStatus(status);
      let detail: string;
      try {
        if (await this.connect(() => (delay = min))) return;
        detail = 'the stream ended';
      } catch (err) {
        if (this.stopped) return;
        detail = err instanceof Error ? err.message : String(err);
      }
      status = 'reconnecting';
      this.o.onStatus(status, detail);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      delay = Math.min(delay * 2, max);
    }
  }

  /** One connection; answers true when the stream must not be retried. */
  private async connect(onOpen: () => void): Promise<boolean> {
    const abort = new AbortController();
    this.abort = abort;
    const headers: Record<string, string> = {
      Accept: 'text/event-stream',
      Authorization: `Bearer ${this.o.token}`,
    };
    if (this.lastEventId !== null) headers['Last-Event-ID'] = this.lastEventId;
    const res = await fetch(this.o.url, { headers, signal: abort.signal });
    if (res.status === 401) {
      this.o.onAuthFailed?.();
      this.stopped = true;
      this.o.onStatus('closed', 'the token was refused');
      return true;
    }
    if (!res.ok || !res.body) throw new Error(`the event stream answered HTTP ${res.status}`);
    onOpen();
    this.o.onStatus('open');
    const parser = new SseParser();
    parser.lastEventId = this.lastEventId;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => abort.abort(), this.o.stallMs ?? 45000);
    };
    try {
      arm();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        for (const msg of parser.feed(decoder.decode(value, { stream: true }))) {
          this.lastEventId = parser.lastEventId;
          this.o.onMessage(msg);
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
    return this.stopped;
  }
}
