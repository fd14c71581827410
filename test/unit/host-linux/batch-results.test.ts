import { describe, expect, it } from 'vitest';
import {
  buildBatchScript,
  parseBatchResults,
  parseSparseBatch,
} from '../../../src/host/linux/index.js';

const mark = (n: number) =>
  `Object "sriovctl-batch-mark" is unknown, try "ip help".\nCommand failed -:${n}\n`;

describe('buildBatchScript', () => {
  it('sparse: a sentinel before and after the lines', () => {
    expect(buildBatchScript(['link set dev a up', 'link set dev b up'], 'sparse')).toBe(
      'sriovctl-batch-mark\nlink set dev a up\nlink set dev b up\nsriovctl-batch-mark\n',
    );
  });

  it('dense: opens with a sentinel and follows every line with one', () => {
    expect(buildBatchScript(['link set dev a up', 'link set dev b up'], 'dense')).toBe(
      'sriovctl-batch-mark\nlink set dev a up\nsriovctl-batch-mark\nlink set dev b up\nsriovctl-batch-mark\n',
    );
  });
});

describe('parseSparseBatch', () => {
  it('reads success from the closing sentinel and failures from their own markers', () => {
    // changes 1-3 are lines 2-4; change 2 fails; the closing sentinel is line 5.
    const stderr =
      mark(1) + 'RTNETLINK answers: Operation not supported\nCommand failed -:3\n' + mark(5);
    expect(parseSparseBatch(stderr, 3)).toEqual({
      complete: true,
      results: [
        { ok: true },
        { ok: false, errno: 'EOPNOTSUPP', message: 'RTNETLINK answers: Operation not supported' },
        { ok: true },
      ],
    });
  });

  it('without the closing sentinel, keeps only what is known to have run', () => {
    // Change 2 (line 3) failed and marked itself; something after it made ip exit.
    const stderr =
      mark(1) +
      'RTNETLINK answers: Invalid argument\nCommand failed -:3\n' +
      'Cannot find VF 200\n';
    expect(parseSparseBatch(stderr, 4)).toEqual({
      complete: false,
      results: [
        { ok: true },
        { ok: false, errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' },
      ],
    });
    // Nothing marked before the exit: nothing is known.
    expect(parseSparseBatch(mark(1) + 'Device "x" does not exist.\n', 2)).toEqual({
      complete: false,
      results: [],
    });
  });

  it('returns null when ip never reached the batch', () => {
    expect(parseSparseBatch('Cannot open network namespace "nope"\n', 2)).toBeNull();
  });
});

describe('parseBatchResults (dense)', () => {
  it('reads success from sentinels and errnos from "RTNETLINK answers"', () => {
    // change 1 (line 2) ok, change 2 (line 4) EOPNOTSUPP, change 3 (line 6) ok
    const stderr =
      mark(1) +
      mark(3) +
      'RTNETLINK answers: Operation not supported\nCommand failed -:4\n' +
      mark(5) +
      mark(7);
    expect(parseBatchResults(stderr, 3)).toEqual([
      { ok: true },
      { ok: false, errno: 'EOPNOTSUPP', message: 'RTNETLINK answers: Operation not supported' },
      { ok: true },
    ]);
  });

  it('keeps a client-side message without an errno', () => {
    const stderr =
      mark(1) + 'Invalid address length 5 - must be 6 bytes\nCommand failed -:2\n' + mark(3);
    expect(parseBatchResults(stderr, 1)).toEqual([
      { ok: false, message: 'Invalid address length 5 - must be 6 bytes' },
    ]);
  });

  it('finds the change where iproute2 exited and marks the rest not attempted', () => {
    // "Cannot find VF 200" calls exit(1): no "Command failed" for line 4 or anything after it.
    const stderr = mark(1) + mark(3) + 'Cannot find VF 200\n';
    expect(parseBatchResults(stderr, 3)).toEqual([
      { ok: true },
      { ok: false, message: 'Cannot find VF 200' },
      { ok: false, message: 'not attempted: ip -batch stopped at change 2 of 3' },
    ]);
  });

  it('handles an argument error with its trailing blank line', () => {
    const stderr = mark(1) + 'Error: argument "4096" is wrong: Invalid "vlan" value\n\n';
    expect(parseBatchResults(stderr, 1)).toEqual([
      { ok: false, message: 'Error: argument "4096" is wrong: Invalid "vlan" value' },
    ]);
  });

  it('counts "not attempted" in the whole batch when it is the rest of one', () => {
    const stderr = mark(1) + mark(3) + 'Cannot find VF 200\n';
    expect(parseBatchResults(stderr, 3, 5, 8)).toEqual([
      { ok: true },
      { ok: false, message: 'Cannot find VF 200' },
      { ok: false, message: 'not attempted: ip -batch stopped at change 7 of 8' },
    ]);
  });

  it('returns null when ip never reached the batch', () => {
    expect(
      parseBatchResults('Cannot open network namespace "nope": No such file or directory\n', 2),
    ).toBeNull();
  });
});
