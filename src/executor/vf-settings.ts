/**
 * Applying VF settings through the PF (rtnetlink via one `ip -batch`), then reading them back with
 * one dump. One call may cover several PFs and several items per VF (the MAC step and the settings
 * step of a plan, coalesced): every item becomes one line of the same batch, in order, and gets a
 * result of its own. A rate never goes out with one side left for iproute2 to fill: it would look
 * the other side up in a dump and exit the whole batch when the VF is not in it (PFs with more than
 * ~220 VFs). A maximum alone goes as the legacy IFLA_VF_TX_RATE, for which the kernel keeps the VF's
 * current minimum itself (nothing needs reading); a minimum alone is completed with the current
 * maximum read from a dump, and refused for a VF the dump leaves out (the planner refuses that up
 * front). Transient refusals right after VF creation (EAGAIN while an i40e VF resets) are retried
 * with bounded backoff. Read-back compares with diffVfSettings, the one comparison of VF settings.
 */
import type { ErrnoName } from '../host/errors.js';
import type { Host, LinkDump, LinkInfo, VfChange, VfInfo } from '../host/host.js';
import type { IfName } from '../host/names.js';
import {
  diffVfSettings,
  kernelVfSettings,
  type VfSettingField,
  type VfSettings,
} from '../host/vf-settings.js';
import { OperationError } from './errors.js';
import { explain } from './explain.js';

export type { VfSettings } from '../host/vf-settings.js';

/** What reading a VF back after applying found. */
export type VfReadBack =
  | { state: 'verified' }
  | { state: 'mismatch'; fields: { field: VfSettingField; wanted: unknown; found: unknown }[] }
  /**
   * Nothing differs, but not everything could be read: without `fields`, the VF is not in the
   * kernel's netlink VF list (truncated before it); with `fields`, the driver does not report them.
   */
  | { state: 'unreadable'; fields?: VfSettingField[] };

export interface VfApplyResult {
  vf: number;
  ok: boolean;
  errno?: ErrnoName;
  message?: string;
  error?: OperationError;
  attempts: number;
  readBack?: VfReadBack;
}

export interface ApplyOptions {
  timeoutMs?: number;
  /** Retries for EAGAIN; default 4, with delays of retryDelayMs × 2^n. */
  retries?: number;
  retryDelayMs?: number;
  /** The PF driver, for explanations. */
  driver?: string | null;
}

/** One line of a batch: settings for one VF of one PF. */
export interface VfBatchItem {
  pf: IfName;
  vf: number;
  settings: VfSettings;
  /** The PF driver, for explanations (default: ApplyOptions.driver). */
  driver?: string | null;
}

const RETRYABLE = new Set<ErrnoName>(['EAGAIN', 'EBUSY']);

function findVf(dump: LinkDump, pf: IfName, vf: number): VfInfo | undefined {
  return dump.links.find((l: LinkInfo) => l.ifname === pf)?.vfs?.find((v) => v.vf === vf);
}

/** Whether a VF's settings give a minimum rate without a maximum (the current one must be read). */
function minOnly(s: VfSettings): boolean {
  return s.minTxRate !== undefined && s.maxTxRate === undefined;
}

/** The change for one VF; see the module comment for how one-sided rates go out. */
function toChange(
  pf: IfName,
  vf: number,
  s: VfSettings,
  current: VfInfo | undefined,
): VfChange | OperationError {
  const change: VfChange = { kind: 'vf', pf, vf };
  if (s.mac !== undefined) change.mac = s.mac;
  if (s.vlan !== undefined) change.vlan = s.vlan;
  if (s.minTxRate !== undefined && s.maxTxRate !== undefined) {
    change.rate = { minTxRate: s.minTxRate, maxTxRate: s.maxTxRate };
  } else if (s.maxTxRate !== undefined) {
    change.txRate = s.maxTxRate;
  } else if (s.minTxRate !== undefined) {
    if (current === undefined) {
      return new OperationError(
        { kind: 'vfSetting', pf, vf, setting: 'rate' },
        `set minTxRate on VF ${vf} of ${pf}`,
        null,
        `the kernel sets a minimum rate only together with a maximum, and the current maximum of VF ${vf} cannot be read (the kernel's netlink VF list of ${pf} does not include it), so it cannot be kept`,
        'give both minTxRate and maxTxRate for this VF (maxTxRate 0 = no limit)',
      );
    }
    change.rate = { minTxRate: s.minTxRate, maxTxRate: current.maxTxRate };
  }
  if (s.spoofchk !== undefined) change.spoofchk = s.spoofchk;
  if (s.trust !== undefined) change.trust = s.trust;
  if (s.linkState !== undefined) change.linkState = s.linkState;
  return change;
}

/** Compares what was asked with what the PF reports now (through diffVfSettings). */
export function compareVf(s: VfSettings, found: VfInfo | undefined): VfReadBack {
  if (!found) return { state: 'unreadable' };
  const d = diffVfSettings(s, kernelVfSettings(found));
  if (d.differs.length)
    return {
      state: 'mismatch',
      fields: d.differs.map((f) => ({ field: f.field, wanted: f.wanted, found: f.found })),
    };
  if (d.unknown.length) return { state: 'unreadable', fields: d.unknown.map((f) => f.field) };
  return { state: 'verified' };
}

function settingName(s: VfSettings): string {
  return Object.keys(s).join(', ') || 'nothing';
}

/**
 * The dump that covers `items`: of the one PF they are on (only their VFs), or of every link when
 * they span several PFs (one dump instead of one per PF).
 */
function dumpFor(host: Host, items: readonly VfBatchItem[]): Promise<LinkDump> {
  const pfs = new Set(items.map((i) => i.pf));
  const vfs = [...new Set(items.map((i) => i.vf))];
  const [only] = pfs;
  return host.linkDump(pfs.size === 1 && only !== undefined ? { ifname: only, vfs } : { vfs });
}

/**
 * Applies settings to VFs of one PF in one batch, retries transient refusals, and reads every VF
 * back. Never throws for a per-VF refusal: each VF gets its own result.
 */
export function applyVfSettings(
  host: Host,
  pf: IfName,
  items: readonly { vf: number; settings: VfSettings }[],
  opts: ApplyOptions = {},
): Promise<VfApplyResult[]> {
  return applyVfBatch(
    host,
    items.map((i) => ({ pf, vf: i.vf, settings: i.settings })),
    opts,
  );
}

/**
 * Applies items (any PFs, any number per VF) in one batch, retries transient refusals, and reads
 * everything back with one dump. Returns one result per item, in order; never throws for a per-VF
 * refusal.
 */
export async function applyVfBatch(
  host: Host,
  items: readonly VfBatchItem[],
  opts: ApplyOptions = {},
): Promise<VfApplyResult[]> {
  const retries = opts.retries ?? 4;
  const delay = opts.retryDelayMs ?? 100;
  const results: (VfApplyResult | undefined)[] = items.map(() => undefined);
  let pending = items.map((_, i) => i);
  // The current state is needed only to complete a minimum rate given without a maximum.
  let dump: LinkDump = items.some((i) => minOnly(i.settings))
    ? await dumpFor(host, items)
    : { links: [], warnings: [] };
  for (let attempt = 1; pending.length > 0; attempt++) {
    const changes: VfChange[] = [];
    const sent: number[] = [];
    for (const n of pending) {
      const item = items[n]!;
      const c = toChange(item.pf, item.vf, item.settings, findVf(dump, item.pf, item.vf));
      if (c instanceof OperationError) {
        results[n] = { vf: item.vf, ok: false, message: c.message, error: c, attempts: attempt };
      } else if (Object.values(item.settings).every((v) => v === undefined)) {
        // Nothing to set: iproute2 would reject a bare `vf N` and end the batch.
        results[n] = { vf: item.vf, ok: true, attempts: 0 };
      } else {
        changes.push(c);
        sent.push(n);
      }
    }
    const answers = changes.length
      ? await host.linkApply(
          changes,
          opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
        )
      : [];
    const retry: number[] = [];
    sent.forEach((n, i) => {
      const item = items[n]!;
      const a = answers[i]!;
      if (a.ok) {
        results[n] = { vf: item.vf, ok: true, attempts: attempt };
        return;
      }
      if (a.errno && RETRYABLE.has(a.errno) && attempt <= retries) {
        retry.push(n);
        return;
      }
      const r: VfApplyResult = { vf: item.vf, ok: false, message: a.message, attempts: attempt };
      if (a.errno) {
        r.errno = a.errno;
        const op = {
          kind: 'vfSetting' as const,
          pf: item.pf,
          vf: item.vf,
          setting: settingName(item.settings),
          driver: item.driver ?? opts.driver ?? null,
        };
        const e = explain(op, a.errno);
        r.error = new OperationError(
          op,
          `set ${settingName(item.settings)} on VF ${item.vf} of ${item.pf}`,
          a.errno,
          e.explanation,
          e.fix,
        );
      }
      results[n] = r;
    });
    pending = retry;
    if (pending.length) await new Promise((r) => setTimeout(r, delay * 2 ** (attempt - 1)));
    dump = await dumpFor(host, items);
  }
  return items.map((item, n) => {
    const r = results[n]!;
    if (r.ok) r.readBack = compareVf(item.settings, findVf(dump, item.pf, item.vf));
    return r;
  });
}
