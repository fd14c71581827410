// The console's small pure helpers: filtering, formatting, chart geometry, problem bodies.
import { describe, expect, it } from 'vitest';
import { areaPath, linePath, niceMax } from '../../../src/console/lib/chart.js';
import { filterRows, haystack } from '../../../src/console/lib/filter.js';
import {
  formatBitRate,
  formatMbps,
  formatRanges,
  formatVlan,
} from '../../../src/console/lib/format.js';
import { fieldErrors, formField, toProblem } from '../../../src/console/lib/problem.js';

describe('filter', () => {
  const rows = [
    { name: 'a', hay: haystack(['ens1f0', 'vf:1', 'vlan:100', 'tenant:team-a', 'attached']) },
    { name: 'b', hay: haystack(['ens1f0', 'vf:2', 'vlan:0', 'free']) },
    { name: 'c', hay: haystack(['ens2f0', 'vf:1', null, undefined, 'free']) },
  ];
  it('keeps rows holding every term, case-insensitively', () => {
    expect(filterRows(rows, (r) => r.hay, 'ENS1F0 free').map((r) => r.name)).toEqual(['b']);
    expect(filterRows(rows, (r) => r.hay, '  vf:1  ').map((r) => r.name)).toEqual(['a', 'c']);
    expect(filterRows(rows, (r) => r.hay, 'tenant:team-b')).toEqual([]);
  });
  it('matches a number after ":" or "#" as a whole word', () => {
    const vfs = [5, 50, 55, 105].map((n) => ({
      n,
      hay: haystack([`ens1f0#${n}`, `vf:${n}`, `vlan:${n * 10}`]),
    }));
    const names = (q: string) => filterRows(vfs, (r) => r.hay, q).map((r) => r.n);
    expect(names('ens1f0#5')).toEqual([5]);
    expect(names('vf:5')).toEqual([5]);
    expect(names('vlan:50')).toEqual([5]);
    expect(names('ens1f0#')).toEqual([5, 50, 55, 105]);
    expect(names('#5')).toEqual([5, 50, 55]);
  });
  it('leaves out the false left by `cond && word` parts', () => {
    expect(haystack(['a', false, null, 'b'])).toBe(' a b ');
  });
  it('answers every row for an empty query', () => {
    expect(filterRows(rows, (r) => r.hay, ' ')).toHaveLength(3);
  });
});

describe('format', () => {
  it('shows byte rates as bit rates', () => {
    expect(formatBitRate(125_000_000)).toBe('1.0 Gbit/s');
    expect(formatBitRate(1500)).toBe('12.0 kbit/s');
    expect(formatBitRate(0)).toBe('0 bit/s');
    expect(formatBitRate(undefined)).toBe('—');
  });
  it('shows kernel rates, VLANs and VF ranges', () => {
    expect(formatMbps(25000)).toBe('25 Gbit/s');
    expect(formatMbps(1500)).toBe('1.5 Gbit/s');
    expect(formatMbps(1550)).toBe('1550 Mbit/s');
    expect(formatMbps(0, 'no cap')).toBe('no cap');
    expect(formatVlan(0)).toBe('untagged');
    expect(formatVlan(100, 5)).toBe('100 (qos 5)');
    expect(formatRanges([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
  });
});

describe('chart', () => {
  const box = { width: 100, height: 10, max: 10, spanMs: 1000, end: 1000 };
  it('puts the latest point on the right edge and the scale top at y=0', () => {
    expect(
      linePath(
        [
          { t: 0, v: 0 },
          { t: 1000, v: 10 },
        ],
        box,
      ),
    ).toBe('M0,10L100,0');
    expect(
      areaPath(
        [
          { t: 500, v: 5 },
          { t: 1000, v: 5 },
        ],
        box,
      ),
    ).toBe('M50,5L100,5L100,10L50,10Z');
    expect(areaPath([], box)).toBe('');
  });
  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax([0])).toBe(1);
    expect(niceMax([3, 7])).toBe(10);
    expect(niceMax([120])).toBe(200);
    expect(niceMax([4500])).toBe(5000);
  });
});

describe('problem', () => {
  it('reads a problem body and maps its errors to form fields', () => {
    const p = toProblem(400, {
      type: 'https://sriovctl.dev/problems/invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'body.vlan: Too big',
      field: 'body.vlan',
      errors: [
        { field: 'body.vlan', message: 'Too big' },
        { field: 'body.consumer.name', message: 'letters, digits' },
      ],
    });
    expect(fieldErrors(p)).toEqual({ vlan: 'Too big', 'consumer.name': 'letters, digits' });
  });
  it('uses the single field of a refusal, with the detail as its message', () => {
    const p = toProblem(422, {
      title: 'Refused',
      status: 422,
      detail: 'VLAN 300 is not allowed',
      field: 'vlan',
      fix: 'use 100-199',
    });
    expect(fieldErrors(p)).toEqual({ vlan: 'VLAN 300 is not allowed' });
    expect(p.fix).toBe('use 100-199');
  });
  it('turns a body that is not a problem into one that says what came back', () => {
    const p = toProblem(502, undefined, '<html>Bad gateway</html>');
    expect(p).toMatchObject({ status: 502, title: 'HTTP 502', detail: '<html>Bad gateway</html>' });
    expect(fieldErrors(p)).toEqual({});
  });
  it('strips the request part from a field name', () => {
    expect(formField('querystring.tenant')).toBe('tenant');
    expect(formField('body')).toBe('');
  });
});
