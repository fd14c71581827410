// The host gate: ledger operations run together, a host-wide operation runs alone — new ledger
// operations are refused from the moment it asks, running ones finish first, host-wide operations
// queue, and the holder's own ledger operations go through.
import { describe, expect, it } from 'vitest';
import { HostBusyError, HostDrainTimeoutError, HostGate } from '../../../src/executor/host-gate.js';

/** A promise with its resolve, to hold an operation open. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HostGate', () => {
  it('runs ledger operations concurrently', async () => {
    const g = new HostGate();
    const l = latch();
    const a = g.runShared(() => l.promise.then(() => 'a'));
    const b = g.runShared(() => l.promise.then(() => 'b'));
    await tick();
    expect(g.shared).toBe(2);
    l.open();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(g.shared).toBe(0);
  });

  it('refuses new ledger operations at once, and starts the host-wide one after the running ones', async () => {
    const order: string[] = [];
    const g = new HostGate({ now: () => new Date('2026-12-07T10:00:00Z'), retryAfterS: 7 });
    const running = latch();
    const attach = g.runShared(async () => {
      await running.promise;
      order.push('attach done');
    });
    await tick();
    const apply = g.runExclusive('policy apply op-1', async () => {
      order.push('apply runs');
      return 42;
    });
    await tick();
    // Asked but not running: the attach holds the host still.
    expect(order).toEqual([]);
    expect(g.holder).toEqual({ label: 'policy apply op-1', since: '2026-12-07T10:00:00.000Z' });
    const refused = await g.runShared(async () => 'never').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HostBusyError);
    expect(refused).toMatchObject({
      holder: 'policy apply op-1',
      since: '2026-12-07T10:00:00.000Z',
      retryAfterS: 7,
    });
    expect((refused as Error).message).toContain('policy apply op-1');
    running.open();
    expect(await apply).toBe(42);
    await attach;
    expect(order).toEqual(['attach done', 'apply runs']);
    expect(g.holder).toBeNull();
    expect(await g.runShared(async () => 'after')).toBe('after');
  });

  it('queues host-wide operations and lets each one through its own ledger operations', async () => {
    const g = new HostGate();
    const first = latch();
    const seen: string[] = [];
    const apply = g.runExclusive('policy apply', async (held) => {
      seen.push('apply start');
      await first.promise;
      // The reconcile after an apply: its own, not refused.
      seen.push(await g.runShared(async () => 'reconcile', held));
    });
    const repair = g.runExclusive('drift repair', async (held) => {
      seen.push('repair');
      // A token of an earlier holder does not open the gate for someone else.
      return held;
    });
    await tick();
    expect(seen).toEqual(['apply start']);
    const stale = { label: 'policy apply' };
    await expect(g.runShared(async () => 'x', stale)).rejects.toBeInstanceOf(HostBusyError);
    first.open();
    await apply;
    await repair;
    expect(seen).toEqual(['apply start', 'reconcile', 'repair']);
    expect(g.holder).toBeNull();
  });

  it('releases the host when the host-wide operation fails', async () => {
    const g = new HostGate();
    await expect(
      g.runExclusive('policy apply', async () => {
        throw new Error('ENOMEM');
      }),
    ).rejects.toThrow('ENOMEM');
    expect(g.holder).toBeNull();
    expect(await g.runShared(async () => 'ok')).toBe('ok');
    expect(await g.runExclusive('next', async () => 'ran')).toBe('ran');
  });

  it('gives up waiting for a ledger operation that does not end: the host-wide one never runs, and the gate opens again', async () => {
    const g = new HostGate({ drainTimeoutMs: 20 });
    const hung = latch();
    const attach = g.runShared(() => hung.promise);
    await tick();
    let ran = false;
    const apply = g.runExclusive('policy apply op-9', async () => {
      ran = true;
    });
    await expect(apply).rejects.toBeInstanceOf(HostDrainTimeoutError);
    await expect(apply).rejects.toThrow(
      'policy apply op-9 did not start: 1 attach, detach or reconcile operation was still running after 0.02 s; nothing was changed',
    );
    expect(ran).toBe(false);
    // Attaches are no longer refused, and a later host-wide operation waits for the drain again.
    expect(g.holder).toBeNull();
    expect(await g.runShared(async () => 'attach')).toBe('attach');
    const next = g.runExclusive('policy apply op-10', async () => 'ran');
    hung.open();
    await attach;
    expect(await next).toBe('ran');
  });
});
