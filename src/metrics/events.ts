/**
 * The daemon's event bus: every change, warning and failure the daemon notices (ledger changes,
 * drift, health transitions, apply progress) as one typed stream. The events endpoint streams it
 * to browsers and `sriovctl top`; a short history lets a reconnecting client catch up by id.
 */

export type EventLevel = 'info' | 'warn' | 'error';

export interface DaemonEvent {
  /** Increasing per daemon run; clients resume with Last-Event-ID. */
  id: number;
  at: string;
  /** Dotted kind: `attachment.create`, `drift.detected`, `health.changed`, `apply.step`, ... */
  kind: string;
  level: EventLevel;
  message: string;
  /** The tenant the event concerns; tenant-scoped subscribers see only theirs. */
  tenant: string | null;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<DaemonEvent, 'id' | 'at' | 'tenant'> & { tenant?: string | null };

export class EventBus {
  private nextId = 1;
  private readonly history: DaemonEvent[] = [];
  private readonly subscribers = new Set<(e: DaemonEvent) => void>();

  constructor(
    private readonly historySize = 1000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Publishes an event to every subscriber; returns it with its id. */
  publish(e: NewEvent): DaemonEvent {
    const event: DaemonEvent = {
      id: this.nextId++,
      at: this.now().toISOString(),
      kind: e.kind,
      level: e.level,
      message: e.message,
      tenant: e.tenant ?? null,
      data: e.data,
    };
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    for (const fn of this.subscribers) {
      try {
        fn(event);
      } catch {
        // A subscriber that throws (a closed stream) must not stop the others.
      }
    }
    return event;
  }

  /** Events after `id` still in the history (all kept ones when id is 0). */
  since(id: number): DaemonEvent[] {
    return this.history.filter((e) => e.id > id);
  }

  /** Subscribes; returns the unsubscribe. */
  subscribe(fn: (e: DaemonEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}
