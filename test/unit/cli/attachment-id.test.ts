// Attachment IDs people can tell apart: the short form is the random end of a UUIDv7, and a
// command takes the full ID or 8+ of its first or last hex digits.
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  fullAttachmentId,
  isAttachmentIdPart,
  matchAttachmentIds,
  shortAttachmentId,
} from '../../../src/contract/attachment-id.js';

describe('shortAttachmentId', () => {
  it('is the last 8 hex digits', () => {
    expect(shortAttachmentId('01a25336-0709-762f-bb58-9047DC781AE7')).toBe('dc781ae7');
  });

  it('tells apart IDs made within one millisecond, whose first 8 digits are the same', () => {
    // uuid's v7 keeps the timestamp and counts within a millisecond: only the end is random.
    const ms = Date.now();
    const a = v7({ msecs: ms, seq: 1 });
    const b = v7({ msecs: ms, seq: 2 });
    expect(a.slice(0, 8)).toBe(b.slice(0, 8));
    expect(shortAttachmentId(a)).not.toBe(shortAttachmentId(b));
    const many = Array.from({ length: 50 }, () => v7());
    expect(new Set(many.map(shortAttachmentId)).size).toBe(many.length);
  });
});

describe('matching what an operator typed', () => {
  const a = '01a25336-0709-762f-bb58-9047dc781ae7';
  const b = '01a25336-0709-762f-bb58-9773c9e20d5c';
  it('takes a full ID, a suffix or a prefix, with or without dashes, in any case', () => {
    expect(matchAttachmentIds(a, [a, b])).toEqual([a]);
    expect(matchAttachmentIds('DC781AE7', [a, b])).toEqual([a]);
    expect(matchAttachmentIds('9773c9e20d5c', [a, b])).toEqual([b]);
    expect(matchAttachmentIds('bb589773c9e2', [a, b])).toEqual([]);
    expect(matchAttachmentIds('bb58-9773c9e20d5c', [a, b])).toEqual([b]);
    expect(matchAttachmentIds('01a25336', [a, b])).toEqual([a, b]);
    expect(matchAttachmentIds('01a25336-0709-762f-bb58-97', [a, b])).toEqual([b]);
    expect(matchAttachmentIds('00000000', [a, b])).toEqual([]);
  });

  it('needs 8 hex digits for a part, and a UUID for a full ID', () => {
    expect(isAttachmentIdPart('dc781ae7')).toBe(true);
    expect(isAttachmentIdPart('c781ae7')).toBe(false);
    expect(isAttachmentIdPart('web-1')).toBe(false);
    expect(isAttachmentIdPart('../../etc')).toBe(false);
    expect(fullAttachmentId(a.toUpperCase())).toBe(a);
    expect(fullAttachmentId('dc781ae7')).toBeNull();
  });
});
