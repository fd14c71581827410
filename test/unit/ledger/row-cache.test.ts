// The ledger's in-memory rows change only when SQLite has committed: a unit rolled back to its
// savepoint and a whole group whose COMMIT failed (hard to provoke through SQLite, so driven here
// directly) leave the committed rows as they were, and the running unit sees its own writes.
import { describe, expect, it } from 'vitest';
import { RowCache, type RowView } from '../../../src/ledger/sqlite/row-cache.js';
import { attachment, tenant } from './support.js';

const at = (i: number) =>
  attachment('0000:3b:00.0', i, { id: `a${i}`, createdAt: `2024-05-01T00:00:0${i}.000Z` });

/** The attachments as the running unit sees them. */
function ids(c: RowCache, view: RowView = c.pending): string[] {
  return [...view.allAttachments()].map((a) => a.id);
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
    // Nothing is committed yet: readers outside the unit see none of it.
    expect(ids(c, c.committed)).toEqual(['a1']);
    c.rollbackGroup();
    expect(ids(c)).toEqual(['a1']);
    expect(c.pending.attachment('a1')?.state).toBe('attached');
  });

  it('a committed group is kept; a later unit rolls back alone', () => {
    const c = new RowCache({ tenants: [], pools: [], tokens: [], attachments: [] });
    c.setAttachment(at(1), 'a1');
    c.release();
    expect(ids(c, c.committed)).toEqual([]);
    c.commit();
    expect(ids(c, c.committed)).toEqual(['a1']);
    c.setAttachment(null, 'a1');
    expect(ids(c)).toEqual([]);
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
    c.commit();
    expect(ids(c, c.committed)).toEqual(['a0', 'a1', 'a2']);
    // Deleted and inserted again with another creation time: moved in the order once committed.
    c.setAttachment(null, 'a0');
    c.setAttachment({ ...at(0), createdAt: '2024-05-01T00:00:09.000Z' }, 'a0');
    c.release();
    c.commit();
    expect(ids(c, c.committed)).toEqual(['a1', 'a2', 'a0']);
  });

  it('the running unit sees its writes over the group and the committed rows; others see none', () => {
    // The update time tells the versions of a tenant apart.
    const t = (name: string, v: string) => ({ ...tenant(name), updatedAt: v });
    const c = new RowCache({
      tenants: [t('a', '1'), t('b', '2')],
      pools: [],
      tokens: [],
      attachments: [],
    });
    c.setTenant(t('a', '10'), 'a');
    c.release();
    c.setTenant(null, 'b');
    c.setTenant(t('c', '3'), 'c');
    const names = (v: RowView) =>
      v
        .tenants()
        .map((x) => `${x.name}:${x.updatedAt}`)
        .sort();
    expect(names(c.pending)).toEqual(['a:10', 'c:3']);
    expect(c.pending.tenant('b')).toBeUndefined();
    expect(names(c.committed)).toEqual(['a:1', 'b:2']);
    c.rollbackUnit();
    expect(names(c.pending)).toEqual(['a:10', 'b:2']);
    c.commit();
    expect(names(c.committed)).toEqual(['a:10', 'b:2']);
  });
});
