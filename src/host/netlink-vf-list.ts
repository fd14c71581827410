/**
 * The kernel's netlink VF list limit (Linux 6.1, measured: kernel-lab-facts.md): a PF's VFs arrive
 * in one nested IFLA_VFINFO_LIST attribute whose length is a u16. Each IFLA_VF_INFO costs 296 bytes
 * with IFLA_VF_STATS (what `ip link` always asks for) and 196 without (RTEXT_FILTER_SKIP_STATS).
 * Past 64 KiB the length wraps modulo 65,536 and user space parses only what the wrapped length
 * covers: all 220 at 220 VFs, none at 222, 3 at 225, 34 at 256. Pure arithmetic: the simulator
 * truncates with it and the doctor derives its advice from it.
 */

/** Bytes of one IFLA_VF_INFO in a dump with per-VF stats (rtnl_fill_vfinfo on x86_64). */
export const VF_INFO_BYTES_WITH_STATS = 296;
/** Bytes of one IFLA_VF_INFO when the dump skips stats (RTEXT_FILTER_SKIP_STATS). */
export const VF_INFO_BYTES_WITHOUT_STATS = 196;
/** The nest's own header (struct nlattr). */
const NEST_HEADER = 4;
/** nla_len is a u16. */
const NLA_LEN_MAX = 0xffff;

export interface VfListOptions {
  /** Whether the dump carries per-VF stats (default true: iproute2 never sets SKIP_STATS). */
  stats?: boolean;
}

function entryBytes(o: VfListOptions): number {
  return o.stats === false ? VF_INFO_BYTES_WITHOUT_STATS : VF_INFO_BYTES_WITH_STATS;
}

/**
 * How many VF entries user space can parse from a PF with `numVfs` VFs: every one while the nest
 * fits in its u16 length, afterwards only those the wrapped length still covers.
 */
export function parsedVfCount(numVfs: number, o: VfListOptions = {}): number {
  const bytes = entryBytes(o);
  const len = NEST_HEADER + bytes * numVfs;
  if (len <= NLA_LEN_MAX) return numVfs;
  const wrapped = len % 0x10000;
  return Math.max(0, Math.floor((wrapped - NEST_HEADER) / bytes));
}

/** The most VFs a PF can have with every one in its netlink VF list (221 with stats, 334 without). */
export function maxVfsInFullList(o: VfListOptions = {}): number {
  return Math.floor((NLA_LEN_MAX - NEST_HEADER) / entryBytes(o));
}
