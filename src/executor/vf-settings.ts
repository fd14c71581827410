/**
 * Applying VF settings through the PF (rtnetlink via one `ip -batch`), then reading them back.
 * A rate never goes out with one side left for iproute2 to fill: it would look the other side up in
 * a dump and exit the whole batch when the VF is not in it (PFs with more than ~220 VFs). A maximum
 * alone goes as the legacy IFLA_VF_TX_RATE, for which the kernel keeps the VF's current minimum
 * itself (nothing needs reading); a minimum alone is completed with the current maximum read from a
 * dump, and refused for a VF the dump leaves out (the planner refuses that up front). Transient
 * refusals right after VF creation (EAGAIN while an i40e VF resets) are retried with bounded backoff.
 */
import type { ErrnoName } from '../host/errors.js';
import type {
  Host,
  LinkDump,
  LinkInfo,
  VfChange,
  VfInfo,
  VfLinkState,
  VlanProto,
} from '../host/host.js';
import type { IfName, MacAddress } from '../host/names.js';
import { OperationError } from './errors.js';
import { explain } from './explain.js';

/** The settings sriovctl manages on a VF; absent fields are left as they are. */
export interface VfSettings {
  mac?: MacAddress;
  vlan?: { vlan: number; qos: number; proto: VlanProto };
  minTxRate?: number;
  maxTxRate?: number;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
}

export type VfReadBack =
  | { state: 'verified' }
  | { state: 'mismatch'; fields: { field: string; wanted: unknown; found: unknown }[] }
  /** The kernel's VF list was truncated before this VF: its settings cannot be read back. */
  | { state: 'unreadable' };

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

const RETRYABLE = new Set<ErrnoName>(['EAGAIN', 'EBUSY']);

function findLink(links: LinkInfo[], pf: IfName): LinkInfo | undefined {
  return links.find((l) => l.ifname === pf);
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

/** Compares what was asked with what the PF reports now. */
export function compareVf(s: VfSettings, found: VfInfo | undefined): VfReadBack {
  if (!found) return { state: 'unreadable' };
  const fields: { field: string; wanted: unknown; found: unknown }[] = [];
  const check = (field: string, wanted: unknown, got: unknown) => {
    if (wanted !== undefined && wanted !== got) fields.push({ field, wanted, found: got });
  };
  check('mac', s.mac, found.mac);
  if (s.vlan) {
    check('vlan', s.vlan.vlan, found.vlan);
    check('qos', s.vlan.qos, found.qos);
    // With VLAN 0 and QoS 0 there is no tag, and the protocol is not reported.
    if (s.vlan.vlan !== 0 || s.vlan.qos !== 0) check('vlanProto', s.vlan.proto, found.vlanProto);
  }
  check('minTxRate', s.minTxRate, found.minTxRate);
  check('maxTxRate', s.maxTxRate, found.maxTxRate);
  check('spoofchk', s.spoofchk, found.spoofchk);
  check('trust', s.trust, found.trust);
  check('linkState', s.linkState, found.linkState);
  return fields.length ? { state: 'mismatch', fields } : { state: 'verified' };
}

function settingName(s: VfSettings): string {
  return Object.keys(s).join(', ') || 'nothing';
}

/**
 * Applies settings to VFs of one PF in one batch, retries transient refusals, and reads every VF
 * back. Never throws for a per-VF refusal: each VF gets its own result.
 */
export async function applyVfSettings(
  host: Host,
  pf: IfName,
  items: readonly { vf: number; settings: VfSettings }[],
  opts: ApplyOptions = {},
): Promise<VfApplyResult[]> {
  const retries = opts.retries ?? 4;
  const delay = opts.retryDelayMs ?? 100;
  const results = new Map<number, VfApplyResult>();
  let pending = [...items];
  // The current state is needed only to complete a minimum rate given without a maximum.
  const oneSided = items.some((i) => minOnly(i.settings));
  const vfs = items.map((i) => i.vf);
  let dump: LinkDump = oneSided
    ? await host.linkDump({ ifname: pf, vfs })
    : { links: [], warnings: [] };
  for (let attempt = 1; pending.length > 0; attempt++) {
    const link = findLink(dump.links, pf);
    const changes: VfChange[] = [];
    const sent: { vf: number; settings: VfSettings }[] = [];
    for (const item of pending) {
      const c = toChange(
        pf,
        item.vf,
        item.settings,
        link?.vfs?.find((v) => v.vf === item.vf),
      );
      if (c instanceof OperationError) {
        results.set(item.vf, {
          vf: item.vf,
          ok: false,
          message: c.message,
          error: c,
          attempts: attempt,
        });
      } else if (Object.values(item.settings).every((v) => v === undefined)) {
        // Nothing to set: iproute2 would reject a bare `vf N` and end the batch.
        results.set(item.vf, { vf: item.vf, ok: true, attempts: 0 });
      } else {
        changes.push(c);
        sent.push(item);
      }
    }
    const answers = changes.length
      ? await host.linkApply(
          changes,
          opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
        )
      : [];
    const retry: typeof pending = [];
    sent.forEach((item, i) => {
      const a = answers[i]!;
      if (a.ok) {
        results.set(item.vf, { vf: item.vf, ok: true, attempts: attempt });
        return;
      }
      if (a.errno && RETRYABLE.has(a.errno) && attempt <= retries) {
        retry.push(item);
        return;
      }
      const r: VfApplyResult = { vf: item.vf, ok: false, message: a.message, attempts: attempt };
      if (a.errno) {
        r.errno = a.errno;
        const op = {
          kind: 'vfSetting' as const,
          pf,
          vf: item.vf,
          setting: settingName(item.settings),
          driver: opts.driver ?? null,
        };
        const e = explain(op, a.errno);
        r.error = new OperationError(
          op,
          `set ${settingName(item.settings)} on VF ${item.vf} of ${pf}`,
          a.errno,
          e.explanation,
          e.fix,
        );
      }
      results.set(item.vf, r);
    });
    pending = retry;
    if (pending.length) await new Promise((r) => setTimeout(r, delay * 2 ** (attempt - 1)));
    dump = await host.linkDump({ ifname: pf, vfs });
  }
  const link = findLink(dump.links, pf);
  return items.map((item) => {
    const r = results.get(item.vf)!;
    if (r.ok)
      r.readBack = compareVf(
        item.settings,
        link?.vfs?.find((v) => v.vf === item.vf),
      );
    return r;
  });
}
