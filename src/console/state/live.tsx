/**
 * Live state from the event stream: connection status, the daemon's recent events (drift, health,
 * ledger changes, apply progress) and throughput history. One stream per session, shared by all
 * pages; components subscribe to the parts they show.
 */
import {
  createContext,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { API_BASE } from '../api/client.js';
import { EventStream, type StreamStatus } from '../api/events.js';
import type { DaemonEvent } from '../../contract/index.js';
import { TrafficHistory, type TrafficPayload } from '../lib/traffic.js';
import { useSession } from './session.js';

type Listener = () => void;

/** The kind of the synthetic event sent when the stream reports missed events. */
export const GAP = 'stream.gap';

export class LiveStore {
  status: StreamStatus = 'connecting';
  statusDetail = '';
  readonly traffic = new TrafficHistory();
  /** Recent daemon events, newest last. */
  events: DaemonEvent[] = [];
  private readonly statusListeners = new Set<Listener>();
  private readonly trafficListeners = new Set<Listener>();
  private readonly eventListeners = new Set<(e: DaemonEvent) => void>();
  private stream: EventStream | null = null;

  connect(token: string, onAuthFailed: () => void): void {
    this.stream = new EventStream({
      url: `${API_BASE}/events`,
      token,
      // Replays the daemon's kept history, so drift and health warnings from before this page
      // was opened show on the overview.
      lastEventId: '0',
      onAuthFailed,
      onStatus: (s, detail) => {
        this.status = s;
        this.statusDetail = detail ?? '';
        for (const l of this.statusListeners) l();
      },
      onMessage: (m) => {
        try {
          const body: unknown = JSON.parse(m.data);
          if (m.event === 'traffic') this.addTraffic(body as TrafficPayload);
          else if (m.event === 'gap') this.announceGap((body as { reason?: string }).reason);
          else this.addEvent(body as DaemonEvent);
        } catch {
          // A malformed event is dropped; the next one is independent of it.
        }
      },
    });
    this.stream.start();
  }

  disconnect(): void {
    this.stream?.stop();
    this.stream = null;
  }

  addTraffic(p: TrafficPayload): void {
    if (!p || !Array.isArray(p.vfs)) return;
    if (this.traffic.add(p)) for (const l of this.trafficListeners) l();
  }

  /**
   * The daemon lost events this client missed (restarted, or its history moved on): every page
   * reloads what it shows, through a synthetic event that matches every refresh prefix.
   */
  private announceGap(reason: string | undefined): void {
    // A restarted daemon numbers its events from 1 again: the old ids mean nothing now.
    if (reason === 'restarted') this.events = [];
    const e: DaemonEvent = {
      id: -1,
      at: new Date().toISOString(),
      kind: GAP,
      level: 'info',
      message: 'events were missed',
      tenant: null,
      data: {},
    };
    for (const l of this.eventListeners) l(e);
  }

  private addEvent(e: DaemonEvent): void {
    if (typeof e?.id !== 'number' || typeof e.kind !== 'string') return;
    if (this.events.some((x) => x.id === e.id)) return;
    this.events = [...this.events.slice(-299), e];
    for (const l of this.eventListeners) l(e);
  }

  onStatus(l: Listener): () => void {
    this.statusListeners.add(l);
    return () => this.statusListeners.delete(l);
  }
  onTraffic(l: Listener): () => void {
    this.trafficListeners.add(l);
    return () => this.trafficListeners.delete(l);
  }
  onEvent(l: (e: DaemonEvent) => void): () => void {
    this.eventListeners.add(l);
    return () => this.eventListeners.delete(l);
  }
}

const LiveContext = createContext<LiveStore | null>(null);

export function LiveProvider({ children }: { children: ReactNode }) {
  const { token, logout } = useSession();
  const [store] = useState(() => new LiveStore());
  useEffect(() => {
    store.connect(token, () => logout('The event stream refused this token.'));
    return () => store.disconnect();
  }, [store, token, logout]);
  return <LiveContext.Provider value={store}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveStore {
  const s = useContext(LiveContext);
  if (!s) throw new Error('useLive outside LiveProvider');
  return s;
}

export function useLiveStatus(): { status: StreamStatus; detail: string } {
  const live = useLive();
  const status = useSyncExternalStore(
    (l) => live.onStatus(l),
    () => live.status,
  );
  return { status, detail: live.statusDetail };
}

/** Re-renders on every traffic update; answers the history (read it during render). */
export function useTraffic(): TrafficHistory {
  const live = useLive();
  useSyncExternalStore(
    (l) => live.onTraffic(l),
    () => live.traffic.version,
  );
  return live.traffic;
}

/** The recent daemon events, re-rendering when one arrives. */
export function useRecentEvents(): DaemonEvent[] {
  const live = useLive();
  return useSyncExternalStore(
    (l) => live.onEvent(() => l()),
    () => live.events,
  );
}

/** Calls `fn` for each daemon event as it arrives (the latest fn, without resubscribing). */
export function useEventListener(fn: (e: DaemonEvent) => void): void {
  const live = useLive();
  const ref = useRef(fn);
  useEffect(() => {
    ref.current = fn;
  });
  useEffect(() => live.onEvent((e) => ref.current(e)), [live]);
}

/**
 * Reloads a page's data when the daemon reports a change it shows: events whose kind starts with
 * one of the prefixes (`attachment`, `tenant`, `drift`, ...). Bursts collapse into one reload.
 */
export function useRefreshOn(prefixes: readonly string[], reload: () => void, delayMs = 400): void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const key = prefixes.join(',');
  useEffect(() => () => clearTimeout(timer.current), []);
  useEventListener((e) => {
    if (e.kind !== GAP && !key.split(',').some((p) => e.kind.startsWith(p))) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, delayMs);
  });
}

/**
 * Fills the throughput history with GET /traffic once, so charts and rates show before the
 * stream's first `traffic` event (sent every 2 s while someone listens).
 */
export function useSeedTraffic(): void {
  const live = useLive();
  const { api } = useSession();
  useEffect(() => {
    const abort = new AbortController();
    api<TrafficPayload>('GET', '/traffic', { signal: abort.signal }).then(
      (p) => live.addTraffic(p),
      () => {
        // No rates yet: the stream's traffic events will bring them; the tables say "—" meanwhile.
      },
    );
    return () => abort.abort();
  }, [api, live]);
}
