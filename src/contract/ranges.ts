/**
 * The VF range grammar users write wherever they name VFs: `0-7,12` (inclusive bounds,
 * comma-separated parts) in policies, pools (`vfRange`) and tenants (`vlans`), and PF names with a
 * range suffix as the Kubernetes operator writes them: `ens1f0#0-7`.
 */

/** The largest VF index sriovctl accepts in a range: PCIe SR-IOV caps TotalVFs at 65535. */
export const MAX_VF_INDEX = 65534;

export type RangeResult = { ok: true; indexes: number[] } | { ok: false; problem: string };

const PART_RE = /^(\d+)(?:-(\d+))?$/;

/** Parses `0-7,12` into sorted, unique VF indexes; explains the first bad part otherwise. */
export function parseRange(text: string): RangeResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'it is empty' };
  const seen = new Set<number>();
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    const m = PART_RE.exec(part);
    if (!m) {
      return { ok: false, problem: `${JSON.stringify(part)} is not a VF index or an a-b range` };
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > MAX_VF_INDEX || last > MAX_VF_INDEX) {
      return { ok: false, problem: `"${part}" is above the largest VF index ${MAX_VF_INDEX}` };
    }
    if (first > last) {
      return {
        ok: false,
        problem: `"${part}" starts after it ends (write ${last}-${first})`,
      };
    }
    for (let i = first; i <= last; i++) {
      if (seen.has(i)) return { ok: false, problem: `VF ${i} is named twice` };
      seen.add(i);
    }
  }
  return { ok: true, indexes: [...seen].sort((a, b) => a - b) };
}

export type PfNameResult =
  | { ok: true; name: string; range: number[] | null; rangeText: string | null }
  | { ok: false; problem: string };

/** Splits `ens1f0#0-7,12` into the interface name and its VF range (null when no `#`). */
export function parsePfName(entry: string): PfNameResult {
  const hash = entry.indexOf('#');
  const name = hash < 0 ? entry : entry.slice(0, hash);
  if (!/^[A-Za-z0-9_.@+-]{1,15}$/.test(name) || name === '.' || name === '..') {
    // Quoted as JSON: a name with a newline or a quote in it stays on one line of the message.
    return {
      ok: false,
      problem: `has the interface name ${JSON.stringify(name)}, which Linux would not accept`,
    };
  }
  if (hash < 0) return { ok: true, name, range: null, rangeText: null };
  const rangeText = entry.slice(hash + 1);
  const r = parseRange(rangeText);
  if (!r.ok)
    return {
      ok: false,
      problem: `has the VF range ${JSON.stringify(rangeText)}, where ${r.problem}`,
    };
  return { ok: true, name, range: r.indexes, rangeText };
}
