/** The kernel's string-to-number and string-to-bool parsers, with their exact acceptance rules. */

export type ParseResult = { ok: true; value: number } | { ok: false; errno: 'EINVAL' | 'ERANGE' };

/**
 * kstrtoull(s, base 0) bounded by `max`, as kstrtou16/kstrtouint: optional '+', 0x hex, leading-0
 * octal, one trailing newline. Values above `max` give ERANGE (callers fold it as the kernel does).
 * With `radix` 10 (kstrtouint(s, 10, ...)) only decimal digits are accepted.
 */
export function kstrtoul(buf: string, max: number, radix: 0 | 10 = 0): ParseResult {
  let s = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  if (s.startsWith('+')) s = s.slice(1);
  let base = 10;
  if (radix === 10) {
    // Fixed base: leading zeros are just zeros, "0x" is not a number.
  } else if (/^0[xX]/.test(s)) {
    base = 16;
    s = s.slice(2);
  } else if (s.length > 1 && s.startsWith('0')) {
    base = 8;
    s = s.slice(1);
  }
  const digits = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(s)) return { ok: false, errno: 'EINVAL' };
  const value = parseInt(s, base);
  if (!Number.isSafeInteger(value) || value > max) return { ok: false, errno: 'ERANGE' };
  return { ok: true, value };
}

/** kstrtoint(s, 10): optional sign, decimal, one trailing newline. */
export function kstrtoint(buf: string): ParseResult {
  const s = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  if (!/^[+-]?[0-9]+$/.test(s)) return { ok: false, errno: 'EINVAL' };
  const value = parseInt(s, 10);
  if (value > 2 ** 31 - 1 || value < -(2 ** 31)) return { ok: false, errno: 'ERANGE' };
  return { ok: true, value };
}

/** kstrtobool: only the first one or two characters matter (`yes` is 1, `off` is 0). */
export function kstrtobool(buf: string): boolean | null {
  const c0 = buf[0];
  const c1 = buf[1];
  if (c0 === undefined) return null;
  if ('yYtT1'.includes(c0)) return true;
  if ('nNfF0'.includes(c0)) return false;
  if (c0 === 'o' || c0 === 'O') {
    if (c1 === 'n' || c1 === 'N') return true;
    if (c1 === 'f' || c1 === 'F') return false;
  }
  return null;
}

/** sysfs_streq: equal ignoring one trailing newline on either side. */
export function sysfsStreq(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith('\n') ? s.slice(0, -1) : s);
  return strip(a) === strip(b);
}
