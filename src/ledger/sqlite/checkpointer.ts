/**
 * Checkpoints the ledger's WAL on a worker thread. SQLite's automatic checkpoint runs inside the
 * COMMIT that crosses the threshold, on the event loop: it copies ~1000 pages into the database and
 * syncs both files, stalling every request for milliseconds (a third of the commit cost in the API
 * benchmark). A PASSIVE checkpoint from a second connection does the same work without blocking the
 * writer. What it cannot do is let the WAL start over: SQLite rewinds it only when every frame is
 * in the database file, and a busy writer always adds a few while the worker copies. So once the
 * WAL passes `maxWalFrames`, the store checkpoints the remainder itself, right after the worker
 * finished one (the tail is then a few commits long), and the WAL is reused from its start: its
 * file stops growing, and syncing overwritten pages is cheaper than syncing a growing file.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Runs in the worker: one connection, a PASSIVE checkpoint per message, the result back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
parentPort.on('message', (msg) => {
  if (msg === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
});
`;

export interface CheckpointResult {
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  /** The checkpoint running now; settles when the worker answers. */
  private running: Promise<void> | null = null;
  private answered: (() => void) | null = null;
  private closed = false;
  /** The thread died: every request becomes a fallback checkpoint by the store. */
  private dead = false;
  /** The WAL was seen above the limit, or the worker failed: the store should checkpoint itself. */
  walTooBig = false;
  /** Requests that found the last one still running: a worker starved by a busy machine. */
  private missed = 0;

  constructor(
    path: string,
    private readonly maxWalFrames = 4_000,
  ) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, module } });
    // The daemon must be able to exit while a checkpoint is idle.
    this.worker.unref();
    this.worker.on('message', (m: Partial<CheckpointResult> & { error?: string }) => {
      this.running = null;
      this.missed = 0;
      this.answered?.();
      // A failed checkpoint is left to the store's own, which reports what is wrong.
      this.walTooBig = m.error !== undefined || (m.log ?? 0) > this.maxWalFrames;
    });
    const died = () => {
      this.dead = true;
      this.running = null;
      this.answered?.();
    };
    this.worker.on('error', died);
    this.worker.on('exit', died);
  }

  /** Asks for a checkpoint unless one is running; resolves when the worker answered. */
  request(): Promise<void> {
    if (this.dead && !this.closed) this.walTooBig = true;
    if (this.running) {
      // The worker has not answered for two whole intervals (a machine too busy to schedule its
      // thread): the WAL grows meanwhile, so the store checkpoints itself rather than wait.
      if (++this.missed >= 2) {
        this.missed = 0;
        this.walTooBig = true;
      }
      return this.running;
    }
    if (this.closed || this.dead) return Promise.resolve();
    this.running = new Promise<void>((resolve) => (this.answered = resolve));
    this.worker.postMessage('checkpoint');
    return this.running;
  }

  /** Closes the worker's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the thread would not keep the process alive while it closes its connection:
    // a daemon stopping with nothing else to do would exit with this wait unsettled.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}
