/** Formatting for numbers the console shows: rates, bandwidth, ids, VLANs. */

const UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];

/** Bytes per second as bits per second, the unit NIC people read (`1.2 Gbit/s`). */
export function formatBitRate(bytesPerS: number | null | undefined): string {
  if (bytesPerS === null || bytesPerS === undefined || !Number.isFinite(bytesPerS)) return '—';
  let v = bytesPerS * 8;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}`;
}

/** A rate in Mbit/s (the kernel's unit for VF rates and link speed). 0 means "no limit". */
export function formatMbps(mbps: number | null | undefined, zero = '—'): string {
  if (mbps === null || mbps === undefined) return '—';
  if (mbps === 0) return zero;
  if (mbps >= 1000 && mbps % 100 === 0) return `${mbps / 1000} Gbit/s`;
  return `${mbps} Mbit/s`;
}

/** The first block of a UUID, enough to tell attachments apart on screen. */
export function shortId(id: string): string {
  return id.split('-')[0] ?? id;
}

export function formatVlan(vlan: number | null | undefined, qos?: number): string {
  if (vlan === null || vlan === undefined) return '—';
  if (vlan === 0) return 'untagged';
  return qos ? `${vlan} (qos ${qos})` : String(vlan);
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Sorted VF indexes as ranges: [0,1,2,5] → "0-2,5". */
export function formatRanges(indexes: readonly number[]): string {
  const s = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}
