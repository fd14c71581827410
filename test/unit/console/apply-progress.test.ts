// The Policies page follows an apply from the event stream: apply.start, apply.step and apply.done
// of its own operation fold into one state; another operation's events leave it alone.
import { describe, expect, it } from 'vitest';
import type { DaemonEvent } from '../../../src/contract/index.js';
import {
  readBackLines,
  reduceApplyEvent,
  type ApplyState,
} from '../../../src/console/pages/policies/applyProgress.js';

let id = 0;
function event(kind: string, data: Record<string, unknown>, message = kind): DaemonEvent {
  return { id: ++id, at: '2026-01-01T00:00:00Z', kind, level: 'info', message, tenant: null, data };
}

const start = (): ApplyState => ({ operation: 'op-1', steps: new Map(), total: 0, done: null });

describe('reduceApplyEvent', () => {
  it('ignores the events of another operation', () => {
    const s = start();
    expect(reduceApplyEvent(s, event('apply.start', { operation: 'op-2', total: 5 }))).toBe(s);
    expect(
      reduceApplyEvent(s, event('apply.step', { operation: 'op-2', index: 0, status: 'done' })),
    ).toBe(s);
  });

  it('takes the total from apply.start and keeps each step by index, the latest status winning', () => {
    let s = reduceApplyEvent(start(), event('apply.start', { operation: 'op-1', total: 3 }));
    expect(s.total).toBe(3);
    const step = { operation: 'op-1', index: 1, total: 3, what: 'set VFs of ens1f1: 0 → 4' };
    s = reduceApplyEvent(s, event('apply.step', { ...step, status: 'start' }));
    s = reduceApplyEvent(s, event('apply.step', { ...step, status: 'done' }));
    expect([...s.steps.keys()]).toEqual([1]);
    expect(s.steps.get(1)).toMatchObject({ status: 'done', what: step.what });
    // A step that reports a larger total raises it; a smaller one does not lower it.
    s = reduceApplyEvent(s, event('apply.step', { ...step, index: 4, total: 5, status: 'start' }));
    expect(s.total).toBe(5);
    s = reduceApplyEvent(s, event('apply.step', { ...step, index: 2, total: 2, status: 'done' }));
    expect(s.total).toBe(5);
  });

  it('ignores an apply.step without an index', () => {
    const s = start();
    expect(reduceApplyEvent(s, event('apply.step', { operation: 'op-1', status: 'done' }))).toBe(s);
  });

  it('records apply.done with its message, hint and a positive count of unverified settings', () => {
    const done = reduceApplyEvent(
      start(),
      event(
        'apply.done',
        { operation: 'op-1', ok: true, hint: 'none needed', unverifiedSettings: 2 },
        'applied 3 steps',
      ),
    ).done;
    expect(done).toEqual({
      operation: 'op-1',
      ok: true,
      message: 'applied 3 steps',
      hint: 'none needed',
      unverifiedSettings: 2,
    });
    const clean = reduceApplyEvent(
      start(),
      event('apply.done', { operation: 'op-1', ok: false, error: 'EBUSY', unverifiedSettings: 0 }),
    ).done;
    expect(clean).toEqual({ operation: 'op-1', ok: false, message: 'apply.done', error: 'EBUSY' });
  });
});

describe('readBackLines', () => {
  it('keeps the read-back apply.done carries', () => {
    const readBack = {
      pfs: [],
      vfs: [{ pf: 'p', name: 'ens1f0', vfIndex: 0, result: 'verified' }],
    };
    const s = reduceApplyEvent(
      start(),
      event('apply.done', { operation: 'op-1', ok: true, remaining: 0, readBack }),
    );
    expect(s.done?.readBack).toEqual(readBack);
  });

  it('sums up verified VFs per PF, lists each VF that differs and groups the unreadable by why', () => {
    const lines = readBackLines({
      pfs: [
        { pf: '0000:3b:00.0', name: 'ens1f0', result: 'verified', fields: [] },
        { pf: '0000:3b:00.1', name: 'ens1f1', result: 'differs', fields: ['numVfs'] },
      ],
      vfs: [
        { pf: '0000:3b:00.0', name: 'ens1f0', vfIndex: 0, result: 'verified' },
        { pf: '0000:3b:00.0', name: 'ens1f0', vfIndex: 1, result: 'verified' },
        { pf: '0000:3b:00.0', name: 'ens1f0', vfIndex: 2, result: 'differs', fields: ['vlan'] },
        ...[230, 231, 232, 240].map((vfIndex) => ({
          pf: '0000:3b:00.0',
          name: 'ens1f0',
          vfIndex,
          result: 'unreadable' as const,
          fields: ['mac', 'vlan'],
          why: 'vf-list-truncated' as const,
        })),
      ],
    });
    expect(lines).toEqual([
      { tone: 'danger', text: 'ens1f1: still differs in numVfs' },
      { tone: 'danger', text: 'ens1f0 VF 2: still differs in vlan' },
      {
        tone: 'warning',
        text: "ens1f0 VF 230-232,240: mac, vlan not verified — past the end of the PF's netlink VF list (the kernel truncates it)",
      },
      { tone: 'success', text: 'ens1f0: 2 VFs verified' },
    ]);
  });
});
