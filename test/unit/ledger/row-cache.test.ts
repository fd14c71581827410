// The ledger's in-memory rows undo what SQLite undoes: a unit rolled back to its savepoint, and a
// whole group whose COMMIT failed (hard to provoke through SQLite, so driven here directly).
import { describe, expect, it } from 'vitest';
import { RowCache } from '../../../src/ledger/sqlite/row-cache.js';
import { attachment } from './support.js';

const at = (i: number) =>
  attachment('0000:3b:00.0', i, { id: `a${i}`, createdAt: `2024-05-01T00:00:0${i}.000Z` });

function ids(c: RowCache): string[] {
  return [...c.allAttachments()].map((a) => a.id);
}

describe('RowCache', () => {
  it('a failed group commit undoes every released unit, newest first', () => {
    const c = new RowCache({ tenants: [], pools: [], tokens: [], attachments: [at(1)] });
    c.setAttachment(at(2), 'a2');
    c.release();
    c.setAttachment({ ...at(1), state: 'detaching' }, 'a1');
    c.setAttachment(null, 'a2');
    c.release();
    c.setAttachment(at(3), 'a3');
    expect(ids(c)).toEqual(['a1', 'a3']);
    c.rollbackGroup();
    expect(ids(c)).toEqual(['a1']);
    expect(c.attachment('a1')?.state).toBe('attached');
  });

  it('a committed group is kept; a later unit rolls back alone', () => {
    const c = new RowCache({ tenants: [], pools: [], tokens: [], attachments: [] });
    c.setAttachment(at(1), 'a1');
    c.release();
    c.commit();
    c.setAttachment(null, 'a1');
    c.rollbackUnit();
    c.rollbackGroup();
    expect(ids(c)).toEqual(['a1']);
  });

  it('keeps (createdAt, id) order through out-of-order inserts and undone deletes', () => {
    const c = new RowCache({ tenants: [], pools: [], tokens: [], attachments: [at(1), at(2)] });
    c.setAttachment(at(0), 'a0');
    expect(ids(c)).toEqual(['a0', 'a1', 'a2']);
    c.release();
    c.setAttachment(null, 'a1');
    c.rollbackUnit();
    expect(ids(c)).toEqual(['a0', 'a1', 'a2']);
  });
});
