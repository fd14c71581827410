import { describe, expect, it } from 'vitest';
import { parsePfName, parseRange } from '../../../src/contract/ranges.js';
import { formatRange } from '../../../src/policy/ranges.js';

describe('VF ranges', () => {
  it('parses single indexes, a-b ranges and lists of both, sorted', () => {
    expect(parseRange('0-7,12')).toEqual({ ok: true, indexes: [0, 1, 2, 3, 4, 5, 6, 7, 12] });
    expect(parseRange('12, 3')).toEqual({ ok: true, indexes: [3, 12] });
    expect(parseRange('5')).toEqual({ ok: true, indexes: [5] });
    expect(parseRange('4-4')).toEqual({ ok: true, indexes: [4] });
  });

  it('refuses a range that runs backwards, naming the fix', () => {
    expect(parseRange('7-3')).toEqual({
      ok: false,
      problem: '"7-3" starts after it ends (write 3-7)',
    });
  });

  it('refuses words, empty parts, negative numbers and repeats', () => {
    expect(parseRange('a-b')).toEqual({
      ok: false,
      problem: '"a-b" is not a VF index or an a-b range',
    });
    expect(parseRange('')).toEqual({ ok: false, problem: 'it is empty' });
    expect(parseRange('0-3,')).toMatchObject({ ok: false });
    expect(parseRange('-1')).toMatchObject({ ok: false });
    expect(parseRange('0-3,2')).toEqual({ ok: false, problem: 'VF 2 is named twice' });
    expect(parseRange('70000')).toEqual({
      ok: false,
      problem: '"70000" is above the largest VF index 65534',
    });
  });

  it('formats indexes back compactly', () => {
    expect(formatRange([0, 1, 2, 3, 12, 14, 15])).toBe('0-3,12,14-15');
    expect(formatRange([])).toBe('');
    const r = parseRange('0-7,12');
    expect(r.ok && formatRange(r.indexes)).toBe('0-7,12');
  });

  it('splits PF names with the operator range suffix', () => {
    expect(parsePfName('ens1f0#0-7,12')).toMatchObject({
      ok: true,
      name: 'ens1f0',
      rangeText: '0-7,12',
    });
    expect(parsePfName('ens1f0')).toEqual({
      ok: true,
      name: 'ens1f0',
      range: null,
      rangeText: null,
    });
    expect(parsePfName('ens1f0#7-3')).toEqual({
      ok: false,
      problem: 'has the VF range "7-3", where "7-3" starts after it ends (write 3-7)',
    });
    expect(parsePfName('bad name#0')).toMatchObject({ ok: false });
  });
});
