/**
 * A simulated host whose kernel state outlives its process, so a crash test can kill -9 a daemon
 * and restart it against the same machine.
 *
 * The simulated kernel is a graph of live objects and closures (sysfs attributes are functions), so
 * it is not serialised. Instead every call that changes it is appended to a journal file once it has
 * run, and reopening boots the same fixture and replays the journal: the same calls give the same
 * kernel, and each replayed call must give the answer it gave the first time (anything else means
 * the fixture or the simulator changed, and the machine can no longer be rebuilt faithfully).
 *
 * Replay never reads the wall clock. What the kernel decided by time while a call ran (a transient
 * window such as a fresh i40e VF's reset, which answers EAGAIN; asynchronous work such as a VF
 * netdev registering 250 ms late) is recorded with the call, and replay takes those decisions from
 * the journal with every delay switched off; asynchronous work that ran later is an entry of its
 * own, run at its place in the journal. So a host run with realistic timing restarts to the same
 * state, and a replayed call still has to answer as recorded.
 *
 * The file is JSON lines: a header, then one entry per call (see JOURNAL_FORMAT and EntryLine).
 */
// The state file is the simulated machine's disk; like the fixture loader, this module reads it
// (both are declared seams in eslint.config.js).
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import type {
  ConfigFileOptions,
  DefaultRoute,
  EswitchMode,
  HostDescription,
  NetlinkChange,
  NetlinkResult,
  WriteOptions,
} from '../host.js';
import { HostTimeoutError, KernelError, MalformedHostError, UnsafeInputError } from '../errors.js';
import { devlinkHandleOf, safeAbsPath, type DevlinkHandle, type PciAddress } from '../names.js';
import { withTimeout } from '../timeout.js';
import { bootFixture } from './boot.js';
import { FaultInjector, type FaultAction, type FaultOp } from './faults.js';
import { FIXTURES_DIR, loadFixture, resolveFixturePath } from './fixture-loader.js';
import type { SimKernel, TrafficRates } from './kernel.js';
import { SimHost } from './sim-host.js';
import { lockState, SimStateBusyError, type StateLock } from './state-lock.js';
import { Timing } from './timing.js';

export const JOURNAL_FORMAT = 'sriovctl-sim-state';
export const JOURNAL_VERSION = 1;

export interface PersistentSimOptions {
  /**
   * Time costs from now on, as for loadSimHost: 'off' (the default), 'realistic' or a scale. Replay
   * of the journal ignores it (delays off, time-dependent outcomes as recorded).
   */
  timing?: 'off' | 'realistic' | number;
  /** Clock for traffic counters (ms); defaults to Date.now. Replayed calls see their recorded time. */
  clock?: () => number;
  /** Told about recoverable damage (a last line cut short by a crash); defaults to process.emitWarning. */
  onWarning?: (message: string) => void;
  /**
   * Take `<stateFile>.lock` for as long as the host is open. When another live process holds it,
   * 'refuse' throws SimStateBusyError and 'read-only' opens a snapshot of the machine as recorded
   * so far whose every change is refused (see readOnlyBecause). Absent: no lock (the caller owns
   * the file).
   */
  lock?: 'refuse' | 'read-only';
  /** What holds the lock, as another process is told (e.g. "sriovctl serve"). */
  command?: string;
  /**
   * Whether traffic changes (setTraffic) are journaled: default true. Demo traffic is the world
   * outside the machine, not its state; a daemon moving it every 2 s should not grow the journal.
   */
  recordTraffic?: boolean;
}

// ---------------------------------------------------------------- file format

const headerSchema = z.object({
  format: z.literal(JOURNAL_FORMAT),
  version: z.number().int(),
  /** A shipped fixture's name, or the absolute path of a fixture file. */
  fixture: z.string(),
});
type Header = z.infer<typeof headerSchema>;

// Changes are checked again where they are applied (renderBatchLine, the kernel model).
const changes = z
  .array(z.looseObject({ kind: z.enum(['vf', 'link']) }))
  .transform((c) => c as unknown as NetlinkChange[]);
const rates = z.object({
  rxBytesPerSec: z.number(),
  txBytesPerSec: z.number(),
  rxPacketsPerSec: z.number(),
  txPacketsPerSec: z.number(),
  rxDroppedPerSec: z.number(),
  txDroppedPerSec: z.number(),
});

/** Asynchronous kernel work that ran after the call that started it (by its label). */
const kernelCall = z.object({ op: z.literal('deferred'), label: z.string() });
type KernelCall = z.infer<typeof kernelCall>;

const seamCall = z.discriminatedUnion('op', [
  z.object({ op: z.literal('writeFile'), path: z.string(), value: z.string() }),
  z.object({ op: z.literal('linkApply'), changes }),
  z.object({
    op: z.literal('devlinkSetEswitchMode'),
    dev: z.string(),
    mode: z.enum(['legacy', 'switchdev']),
  }),
  z.object({
    op: z.literal('writeConfigFile'),
    path: z.string(),
    content: z.string(),
    mode: z.number().int().optional(),
  }),
  z.object({ op: z.literal('removeConfigFile'), path: z.string() }),
]);
const controlCall = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('setTraffic'),
    pf: z.string(),
    vf: z.number(),
    rates: rates.nullable(),
  }),
  z.object({ op: z.literal('setCarrier'), pf: z.string(), up: z.boolean() }),
  z.object({
    op: z.literal('setVfAssigned'),
    pf: z.string(),
    vf: z.number(),
    assigned: z.boolean(),
  }),
  z.object({ op: z.literal('outOfBand'), changes }),
]);
type SeamCall = z.infer<typeof seamCall>;
type ControlCall = z.infer<typeof controlCall>;
type Call = SeamCall | ControlCall | KernelCall;

/** What a call answered. Errors keep their message for a human reading the file. */
const outcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown().optional() }),
  z.object({
    ok: z.literal(false),
    error: z.string(),
    errno: z.string().optional(),
    message: z.string(),
  }),
]);
type Outcome = z.infer<typeof outcomeSchema>;

const entrySchema = z.object({
  /** Clock reading when the call ran; replay runs it at the same simulated time. */
  at: z.number(),
  call: z.union([seamCall, controlCall, kernelCall]),
  /**
   * Present when an injected fault fired: the errno (or null) each fault check answered, in order,
   * so replay fails exactly the same steps without the rules that caused it.
   */
  faults: z.array(z.string().nullable()).optional(),
  /**
   * Present when a transient window was open during the call: whether each window check found it
   * open, in order, so replay answers as the call did whatever the clock says now.
   */
  windows: z.array(z.boolean()).optional(),
  /** The asynchronous work the call started that ran later (its own `deferred` entries). */
  deferred: z.array(z.string()).optional(),
  result: outcomeSchema,
});
type EntryLine = z.infer<typeof entrySchema>;

const CONTROL_OPS: ReadonlySet<string> = new Set(controlCall.options.map((o) => o.shape.op.value));
function isControl(call: Call): call is ControlCall {
  return CONTROL_OPS.has(call.op);
}

function isKernel(call: Call): call is KernelCall {
  return call.op === 'deferred';
}

function outcomeOf(r: { ok: true; value: unknown } | { ok: false; error: unknown }): Outcome {
  if (r.ok)
    return r.value === undefined
      ? { ok: true }
      : // As it will read back from the file (undefined fields dropped).
        { ok: true, value: JSON.parse(JSON.stringify(r.value)) as unknown };
  const e = r.error;
  return {
    ok: false,
    error: e instanceof Error ? e.name : 'Error',
    ...(e instanceof KernelError ? { errno: e.errno } : {}),
    message: e instanceof Error ? e.message : String(e),
  };
}

/** Two outcomes are the same answer when value, error class and errno agree (not the wording). */
function sameAnswer(a: Outcome, b: Outcome): boolean {
  const key = (o: Outcome) =>
    JSON.stringify(o.ok ? ['ok', o.value] : ['error', o.error, o.errno ?? null]);
  return key(a) === key(b);
}

function summary(o: Outcome): string {
  if (o.ok) return o.value === undefined ? 'ok' : `ok ${JSON.stringify(o.value)}`;
  return o.errno ?? `${o.error}: ${o.message}`;
}

/** How the header names a fixture: shipped ones by name, others by absolute path. */
function fixtureIdentity(nameOrPath: string): string {
  const path = resolveFixturePath(nameOrPath);
  return dirname(path) === FIXTURES_DIR ? basename(path, '.yaml') : path;
}

interface Journal {
  header: Header | null;
  entries: { line: number; entry: EntryLine }[];
  /** Bytes of complete lines: what the file is cut back to before appending. */
  keep: number;
}

/** Reads a state file; a missing or empty file is a new machine. */
function readJournal(file: string, warn: (m: string) => void): Journal {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { header: null, entries: [], keep: 0 };
    throw e;
  }
  const keep = buf.lastIndexOf(0x0a) + 1;
  const lines = buf.subarray(0, keep).toString('utf8').split('\n').slice(0, -1);
  if (keep < buf.length) {
    // appendFileSync + fsync run after the call; a kill between them leaves half a line whose call
    // never returned to its caller, so dropping it loses nothing anyone was told had happened.
    warn(
      `${file}:${lines.length + 1}: ignoring an incomplete last line (${buf.length - keep} bytes): ` +
        'the process was killed while recording a call',
    );
  }
  if (lines.length === 0) return { header: null, entries: [], keep: 0 };

  const parse = (n: number, schema: z.ZodType, expected: string): unknown => {
    const text = lines[n - 1]!;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MalformedHostError(`${file}:${n}`, expected, JSON.stringify(text.slice(0, 80)));
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw new MalformedHostError(`${file}:${n}`, expected, `${issue.message}${where}`);
    }
    return r.data;
  };
  const header = parse(
    1,
    headerSchema,
    `a ${JOURNAL_FORMAT} header ({"format":"${JOURNAL_FORMAT}","version":${JOURNAL_VERSION},"fixture":...})`,
  ) as Header;
  if (header.version !== JOURNAL_VERSION)
    throw new MalformedHostError(
      `${file}:1`,
      `state format version ${JOURNAL_VERSION}`,
      `version ${header.version}`,
    );
  const entries = lines.slice(1).map((_, i) => ({
    line: i + 2,
    entry: parse(
      i + 2,
      entrySchema,
      'a journal entry ({"at":...,"call":...,"result":...})',
    ) as EntryLine,
  }));
  return { header, entries, keep };
}

// ---------------------------------------------------------------- the host

/**
 * Fault checks that can be logged (a live call) or scripted (replay): replay must fail the same
 * steps as the original call even though the rules that failed them belonged to another process.
 */
class ReplayableFaults extends FaultInjector {
  log: (string | null)[] = [];
  script: (string | null)[] | null = null;

  override check(op: FaultOp, target: string): FaultAction {
    if (this.script) {
      const errno = this.script.shift() ?? null;
      return errno ? { kind: 'fail', errno: errno as KernelError['errno'] } : { kind: 'none' };
    }
    const action = super.check(op, target);
    this.log.push(action.kind === 'fail' ? action.errno : null);
    return action;
  }
}

/** The time-dependent decisions of one journaled call. */
interface TimeLog {
  windows: boolean[];
  deferred: string[];
}

const noDecisions = (): TimeLog => ({ windows: [], deferred: [] });

/**
 * Timing that records what it decided (live) or answers from the journal (replay). Live, it is
 * the requested Timing, and deferred work, when its delay is over, is handed to `onFire` (the host
 * journals it). Replaying, nothing sleeps, a window is open exactly when the recorded call found
 * it open, and work the recorded call deferred is held until its own entry comes.
 */
class JournalTiming extends Timing {
  log: TimeLog = noDecisions();
  /** Set while an entry is replayed: its recorded decisions, consumed in order. */
  script: TimeLog | null = null;
  /** Replay: deferred work waiting for its entry. */
  readonly held: { label: string; work: () => void }[] = [];
  onFire: (label: string, work: () => void) => void = (_label, work) => work();

  override sleep(ms: number): Promise<void> {
    return this.script ? Promise.resolve() : super.sleep(ms);
  }

  override within(until: number, now: number): boolean {
    if (this.script) return this.script.windows.shift() ?? false;
    const open = super.within(until, now);
    this.log.windows.push(open);
    return open;
  }

  override defer(ms: number, label: string, work: () => void): void {
    if (this.script) {
      if (this.script.deferred[0] !== label) return work();
      this.script.deferred.shift();
      this.held.push({ label, work });
      return;
    }
    if (this.scaled(ms) > 0) this.log.deferred.push(label);
    super.defer(ms, label, work);
  }

  protected override fire(label: string, work: () => void): void {
    this.onFire(label, work);
  }

  /** Starts a new record of decisions and returns the one it replaces. */
  swapLog(next: TimeLog = noDecisions()): TimeLog {
    const prev = this.log;
    this.log = next;
    return prev;
  }
}

/** A journal entry's record of the decisions that depended on time (absent when there were none). */
function timeFields(log: TimeLog): Pick<EntryLine, 'windows' | 'deferred'> {
  return {
    ...(log.windows.some((w) => w) ? { windows: log.windows } : {}),
    ...(log.deferred.length > 0 ? { deferred: log.deferred } : {}),
  };
}

function timingOf(t: PersistentSimOptions['timing']): number {
  if (t === undefined || t === 'off') return 0;
  if (t === 'realistic') return 1;
  if (typeof t === 'number' && Number.isFinite(t) && t >= 0) return t;
  throw new UnsafeInputError(
    'timing',
    String(t as unknown),
    "'off', 'realistic' or a scale of 0 or more",
  );
}

/** A clock that reads the recorded time while a call is replayed. */
class ReplayClock {
  replayingAt: number | null = null;
  constructor(private readonly base: () => number) {}
  readonly now = (): number => this.replayingAt ?? this.base();
}

/**
 * A SimHost that journals every change to its state file. Seam changes run one at a time so the
 * order in the file is the order they ran in; the test controls are synchronous and are recorded
 * when called. The in-memory journal and fault rules belong to this process and start empty.
 */
export class PersistentSimHost extends SimHost {
  override readonly faults = new ReplayableFaults();
  private readonly timing: JournalTiming;
  private fd: number | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private lock: StateLock | null = null;
  private recordTraffic = true;
  /** Set when another process holds the state: this host is a snapshot and refuses every change. */
  readOnlyBecause: SimStateBusyError | null = null;

  private constructor(
    kernel: SimKernel,
    description: HostDescription,
    routes: DefaultRoute[],
    /** The journal file (absolute path). */
    readonly stateFile: string,
    private readonly clock: ReplayClock,
  ) {
    super(kernel, description, routes);
    this.timing = kernel.config.timing as JournalTiming;
    this.timing.onFire = (label, work) => this.runDeferred(label, work);
  }

  /** See openPersistentSimHost. */
  static async open(
    fixture: string,
    stateFile: string,
    opts: PersistentSimOptions = {},
  ): Promise<PersistentSimHost> {
    const timing = new JournalTiming(timingOf(opts.timing));
    const file = safeAbsPath(stateFile, 'stateFile');
    const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, 'SimStateWarning'));
    const identity = fixtureIdentity(fixture);
    // Locked before reading, so no other process appends between the read and our first append.
    let lock: StateLock | null = null;
    let busy: SimStateBusyError | null = null;
    if (opts.lock !== undefined) {
      try {
        lock = lockState(file, opts.command ?? 'sriovctl');
      } catch (e) {
        if (!(e instanceof SimStateBusyError) || opts.lock === 'refuse') throw e;
        busy = e;
      }
    }
    try {
      return await PersistentSimHost.boot(fixture, file, identity, opts, timing, warn, lock, busy);
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  private static async boot(
    fixture: string,
    file: string,
    identity: string,
    opts: PersistentSimOptions,
    timing: JournalTiming,
    warn: (m: string) => void,
    lock: StateLock | null,
    busy: SimStateBusyError | null,
  ): Promise<PersistentSimHost> {
    const journal = readJournal(file, warn);
    if (journal.header && journal.header.fixture !== identity)
      throw new MalformedHostError(
        file,
        `a state file recorded for fixture ${identity}`,
        `one recorded for fixture ${journal.header.fixture}`,
      );

    const { fixture: fx } = loadFixture(fixture);
    const clock = new ReplayClock(opts.clock ?? Date.now);
    const { kernel, routes } = await bootFixture(fx, { timing, clock: clock.now });
    // Described as loadSimHost describes it: the fixture as the user named it.
    const description: HostDescription = { kind: 'sim', name: fx.name, fixture };
    const host = new PersistentSimHost(kernel, description, routes, file, clock);
    host.recordTraffic = opts.recordTraffic ?? true;
    await host.replay(journal.entries);
    if (busy) {
      host.readOnlyBecause = busy;
      // Deferred work is the writer's to run and record; a snapshot shows what is recorded.
      timing.held.length = 0;
      return host;
    }
    host.lock = lock;
    const header: Header = { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, fixture: identity };
    host.attach(journal.keep, journal.header ? null : header);
    // Work the kernel had not finished when the last process stopped: its time has long come.
    for (const h of timing.held.splice(0)) host.runDeferred(h.label, h.work);
    return host;
  }

  // ------------------------------------------------ the seam's changes

  override writeFile(path: string, value: string, opts?: WriteOptions): Promise<void> {
    return this.seam({ op: 'writeFile', path, value }, `write ${path}`, opts) as Promise<void>;
  }

  override writeConfigFile(path: string, content: string, opts?: ConfigFileOptions): Promise<void> {
    const call = { op: 'writeConfigFile' as const, path, content };
    const full = opts?.mode === undefined ? call : { ...call, mode: opts.mode };
    return this.seam(full, `write ${path}`) as Promise<void>;
  }

  override removeConfigFile(path: string): Promise<boolean> {
    return this.seam({ op: 'removeConfigFile', path }, `remove ${path}`) as Promise<boolean>;
  }

  override linkApply(
    changes: readonly NetlinkChange[],
    opts?: WriteOptions,
  ): Promise<NetlinkResult[]> {
    const call = { op: 'linkApply' as const, changes: [...changes] };
    return this.seam(call, 'ip -batch', opts) as Promise<NetlinkResult[]>;
  }

  override devlinkSetEswitchMode(
    ref: PciAddress | DevlinkHandle,
    mode: EswitchMode,
    opts?: WriteOptions,
  ): Promise<void> {
    const dev = devlinkHandleOf(ref);
    return this.seam(
      { op: 'devlinkSetEswitchMode', dev, mode },
      `devlink ${dev}`,
      opts,
    ) as Promise<void>;
  }

  // ------------------------------------------------ test controls

  override setTraffic(pfRef: string, vf: number, rates: TrafficRates | null): void {
    if (!this.recordTraffic) return super.setTraffic(pfRef, vf, rates);
    this.control({ op: 'setTraffic', pf: pfRef, vf, rates });
  }

  override setCarrier(pfRef: string, up: boolean): void {
    this.control({ op: 'setCarrier', pf: pfRef, up });
  }

  override setVfAssigned(pfRef: string, vf: number, assigned: boolean): void {
    this.control({ op: 'setVfAssigned', pf: pfRef, vf, assigned });
  }

  override outOfBand(changes: NetlinkChange[]): NetlinkResult[] {
    return this.control({ op: 'outOfBand', changes: [...changes] }) as NetlinkResult[];
  }

  /** Stops timers and closes the state file (dropping the object without this is a crash). */
  override close(): void {
    super.close();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.lock?.release();
    this.lock = null;
  }

  // ------------------------------------------------ running, recording, replaying

  /** The SimHost behaviour behind each call. */
  private invokeSeam(call: SeamCall): Promise<unknown> {
    switch (call.op) {
      case 'writeFile':
        return super.writeFile(call.path, call.value);
      case 'linkApply':
        return super.linkApply(call.changes);
      case 'devlinkSetEswitchMode':
        return super.devlinkSetEswitchMode(call.dev as DevlinkHandle, call.mode);
      case 'writeConfigFile':
        return super.writeConfigFile(
          call.path,
          call.content,
          call.mode === undefined ? {} : { mode: call.mode },
        );
      case 'removeConfigFile':
        return super.removeConfigFile(call.path);
    }
  }

  private invokeControl(call: ControlCall): unknown {
    switch (call.op) {
      case 'setTraffic':
        return super.setTraffic(call.pf, call.vf, call.rates);
      case 'setCarrier':
        return super.setCarrier(call.pf, call.up);
      case 'setVfAssigned':
        return super.setVfAssigned(call.pf, call.vf, call.assigned);
      case 'outOfBand':
        return super.outOfBand(call.changes);
    }
  }

  /**
   * A seam change: queued behind the previous one, and timed out here rather than in SimHost, so
   * that a call that outlives its caller's deadline is still recorded when it really runs.
   */
  private seam(call: SeamCall, label: string, opts?: WriteOptions): Promise<unknown> {
    if (this.readOnlyBecause) return Promise.reject(this.readOnlyBecause);
    const run = this.tail.then(async () => {
      const at = this.clock.now();
      this.faults.log = [];
      this.timing.swapLog();
      let result: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        result = { ok: true, value: await this.invokeSeam(call) };
      } catch (error) {
        result = { ok: false, error };
      }
      const fired = this.faults.log.some((e) => e !== null) ? this.faults.log : undefined;
      return this.commit(call, at, result, fired, this.timing.swapLog());
    });
    this.tail = run.catch(() => undefined);
    const ms = opts?.timeoutMs;
    return withTimeout(run, ms, (settled) => new HostTimeoutError(label, ms ?? 0, settled));
  }

  private control(call: ControlCall): unknown {
    if (this.readOnlyBecause) throw this.readOnlyBecause;
    const at = this.clock.now();
    // A control runs at once, maybe while a seam change awaits: it keeps its decisions apart.
    const outer = this.timing.swapLog();
    let result: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      result = { ok: true, value: this.invokeControl(call) };
    } catch (error) {
      result = { ok: false, error };
    }
    return this.commit(call, at, result, undefined, this.timing.swapLog(outer));
  }

  /**
   * Deferred kernel work whose delay is over: run between seam changes (never inside one, so the
   * journal's order is the order things happened in) and journaled as its own entry.
   */
  private runDeferred(label: string, work: () => void): void {
    const run = this.tail.then(() => {
      if (this.fd === null) return; // closed: this machine is off
      const at = this.clock.now();
      this.timing.swapLog();
      let result: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        work();
        result = { ok: true, value: undefined };
      } catch (error) {
        result = { ok: false, error };
      }
      this.commit({ op: 'deferred', label }, at, result, undefined, this.timing.swapLog());
    });
    // A failure of the work is in the journal; nobody waits for it.
    this.tail = run.catch(() => undefined);
  }

  /** Appends the call and its answer, durably, then gives the caller that answer. */
  private commit(
    call: Call,
    at: number,
    result: { ok: true; value: unknown } | { ok: false; error: unknown },
    faults?: (string | null)[],
    time: TimeLog = noDecisions(),
  ): unknown {
    // Refused before reaching the kernel: nothing changed, so there is nothing to replay.
    if (!result.ok && result.error instanceof UnsafeInputError) throw result.error;
    const entry: EntryLine = {
      at,
      call,
      ...(faults ? { faults } : {}),
      ...timeFields(time),
      result: outcomeOf(result),
    };
    this.append(JSON.stringify(entry));
    if (!result.ok) throw result.error;
    return result.value;
  }

  private append(line: string): void {
    if (this.fd === null) throw new Error(`sim: state file ${this.stateFile} is closed`);
    appendFileSync(this.fd, line + '\n');
    fsyncSync(this.fd);
  }

  /**
   * Re-runs recorded calls at their recorded times, with the time-dependent decisions they were
   * recorded with; each must answer as it did and decide the same things.
   */
  private async replay(entries: Journal['entries']): Promise<void> {
    const changed = 'the fixture or the simulator changed since this state was recorded';
    for (const { line, entry } of entries) {
      const where = `${this.stateFile}:${line}`;
      this.clock.replayingAt = entry.at;
      this.faults.script = [...(entry.faults ?? [])];
      const script = { windows: [...(entry.windows ?? [])], deferred: [...(entry.deferred ?? [])] };
      this.timing.script = script;
      const { call } = entry;
      const held = isKernel(call) ? this.takeHeld(call.label, where) : null;
      let got: Outcome;
      try {
        const value = isKernel(call)
          ? held!()
          : isControl(call)
            ? this.invokeControl(call)
            : await this.invokeSeam(call);
        got = outcomeOf({ ok: true, value });
      } catch (error) {
        got = outcomeOf({ ok: false, error });
      } finally {
        this.clock.replayingAt = null;
        this.faults.script = null;
        this.timing.script = null;
      }
      if (!sameAnswer(entry.result, got))
        throw new MalformedHostError(
          where,
          `${entry.call.op} to answer ${summary(entry.result)} again on replay (as recorded)`,
          `${summary(got)}; ${changed}`,
        );
      if (script.deferred.length > 0 || script.windows.length > 0)
        throw new MalformedHostError(
          where,
          `${entry.call.op} to make the time-dependent decisions it was recorded with`,
          `${script.deferred.length > 0 ? `no deferred ${script.deferred.map((l) => JSON.stringify(l)).join(', ')}` : `${script.windows.length} fewer window checks`}; ${changed}`,
        );
    }
    // The journal of calls and the fault log describe this process, which has made none yet.
    this.journal.length = 0;
    this.faults.fired.length = 0;
  }

  /** The deferred work a `deferred` entry runs, held since the call that started it. */
  private takeHeld(label: string, where: string): () => void {
    const i = this.timing.held.findIndex((h) => h.label === label);
    if (i < 0)
      throw new MalformedHostError(
        where,
        `deferred kernel work "${label}" started by an earlier call`,
        'none pending; the fixture or the simulator changed since this state was recorded',
      );
    return this.timing.held.splice(i, 1)[0]!.work;
  }

  /** Opens the file for appending, cut back to its last complete line; writes `header` if new. */
  private attach(keep: number, header: Header | null): void {
    this.fd = openSync(this.stateFile, 'a');
    ftruncateSync(this.fd, keep);
    if (header) {
      this.append(JSON.stringify(header));
      // Make the new file's directory entry durable too.
      const dir = openSync(dirname(this.stateFile), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
  }
}

/**
 * Opens the simulated machine recorded in `stateFile` (absolute path), booting `fixture` (a shipped
 * name or a YAML path, as loadSimHost) and replaying every recorded change; a missing or empty file
 * starts a fresh machine. Every change made through the returned host is on disk before its call
 * returns, so a process killed with SIGKILL loses none it was told had happened.
 * @throws UnsafeInputError for a relative stateFile or a timing that is not 'off', 'realistic' or
 *   a scale of 0 or more
 * @throws MalformedHostError for a state file of another fixture, a damaged line (other than a
 *   truncated last one) or a replay that no longer answers as recorded
 */
export function openPersistentSimHost(
  fixture: string,
  stateFile: string,
  opts: PersistentSimOptions = {},
): Promise<PersistentSimHost> {
  return PersistentSimHost.open(fixture, stateFile, opts);
}
