import { spawn } from 'node:child_process';
/** The rtnetlink half of the Linux host, through iproute2's `ip` (JSON dumps, `-batch` for changes). */
import { UnsafeInputError } from '../errors.js';
import type {
  DefaultRoute,
  LinkDump,
  LinkDumpOptions,
  NetlinkChange,
  NetlinkResult,
  WriteOptions,
} from '../host.js';
import {
  buildBatchScript,
  parseBatchResults,
  parseSparseBatch,
  type BatchFraming,
} from './batch-results.js';
import { commandFailed, runCommand, type RunResult } from './exec.js';
import { parseIpLinkJson } from './parse-ip-link.js';
import { parseIpRouteJson } from './parse-ip-route.js';
import { renderBatchLine } from '../batch-line.js';
import { ifName } from '../names.js';

export const IPROUTE2_HINT = 'install iproute2 (apt-get install iproute2)';

// Names under /run/netns; a leading '-' would read as an option to ip, and '/' or '..' as a path.
const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** Validates a network namespace name before it reaches `ip -n`. */
export function netnsName(value: string): string {
  if (!NETNS_RE.test(value) || value.includes('..')) {
    throw new UnsafeInputError(
      'netns',
      value,
      'a network namespace name like blue or sriovctl-test-1',
    );
  }
  return value;
}

/** Runs `ip` in one network namespace (or the caller's own). */
export class Iproute2 {
  private readonly prefix: readonly string[];

  constructor(
    readonly ipPath: string,
    netns?: string,
  ) {
    this.prefix = netns === undefined ? [ipPath] : [ipPath, '-n', netnsName(netns)];
  }

  /** The full argv for `ip [-n NS] ARGS...`. */
  argv(...args: string[]): string[] {
    return [...this.prefix, ...args];
  }

  /** `ip monitor link`: one callback per announced change; the returned function stops it. */
  monitorLinks(onChange: () => void): () => void {
    const [cmd, ...args] = this.argv('monitor', 'link');
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8');
    // Each event is one or more lines; the caller re-reads state, so any output means "changed".
    child.stdout.on('data', () => onChange());
    child.on('error', () => undefined);
    child.unref();
    return () => {
      child.kill();
    };
  }

  /** `ip -j -d -s link show [dev IFNAME]`. */
  async linkDump(opts?: LinkDumpOptions): Promise<LinkDump> {
    const dev = opts?.ifname !== undefined ? ['dev', ifName(opts.ifname)] : [];
    const argv = this.argv('-j', '-d', '-s', 'link', 'show', ...dev);
    const r = await runCommand(argv, { missingHint: IPROUTE2_HINT });
    if (r.code !== 0) throw commandFailed(argv, r);
    const dump = parseIpLinkJson(r.stdout, r.stderr);
    const wanted = opts?.vfs;
    if (wanted) {
      const keep = new Set(wanted);
      for (const l of dump.links) if (l.vfs) l.vfs = l.vfs.filter((v) => keep.has(v.vf));
    }
    return dump;
  }

  /** `ip -force -batch -` with one rendered line per change (see batch-results.ts for the framing). */
  async linkApply(
    changes: readonly NetlinkChange[],
    opts?: WriteOptions,
  ): Promise<NetlinkResult[]> {
    // Render everything first: one unsafe value refuses the whole batch before anything is applied.
    const lines = changes.map(renderBatchLine);
    if (lines.length === 0) return [];
    const deadline = opts?.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
    const first = await this.batch(lines, 'sparse', deadline);
    const sparse = parseSparseBatch(first.stderr, lines.length);
    if (!sparse) throw commandFailed(first.argv, first);
    if (sparse.complete) return sparse.results;
    // iproute2 exited on a line that left no marker. The rest runs again with a sentinel after
    // every line to learn which one: VF and link settings are idempotent, so the lines before the
    // stop are applied again unchanged, and the one that stopped it stops it again.
    const done = sparse.results.length;
    const rest = lines.slice(done);
    const second = await this.batch(rest, 'dense', deadline);
    const dense = parseBatchResults(second.stderr, rest.length, done, lines.length);
    if (!dense) throw commandFailed(second.argv, second);
    return [...sparse.results, ...dense];
  }

  private async batch(
    lines: readonly string[],
    framing: BatchFraming,
    deadline: number | undefined,
  ): Promise<RunResult & { argv: string[] }> {
    const argv = this.argv('-force', '-batch', '-');
    const r = await runCommand(argv, {
      input: buildBatchScript(lines, framing),
      missingHint: IPROUTE2_HINT,
      target: `ip -batch (${lines.length} changes; some may have been applied)`,
      ...(deadline !== undefined ? { timeoutMs: Math.max(1, deadline - Date.now()) } : {}),
    });
    return { ...r, argv };
  }

  /** `ip -j route show default` and `ip -j -6 route show default`. */
  async defaultRoutes(): Promise<DefaultRoute[]> {
    const v4 = this.argv('-j', 'route', 'show', 'default');
    const v6 = this.argv('-j', '-6', 'route', 'show', 'default');
    const [r4, r6] = await Promise.all([
      runCommand(v4, { missingHint: IPROUTE2_HINT }),
      runCommand(v6, { missingHint: IPROUTE2_HINT }),
    ]);
    if (r4.code !== 0) throw commandFailed(v4, r4);
    // A kernel booted with ipv6.disable=1 has no IPv6 routing table: that is "no IPv6 default route".
    const noIpv6 = r6.code !== 0 && /Address family not supported/.test(r6.stderr);
    if (r6.code !== 0 && !noIpv6) throw commandFailed(v6, r6);
    return [
      ...parseIpRouteJson(r4.stdout, 'inet'),
      ...(noIpv6 ? [] : parseIpRouteJson(r6.stdout, 'inet6')),
    ];
  }
}
