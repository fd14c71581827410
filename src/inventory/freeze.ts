/** Deep freezing, so a snapshot handed to doctor, the planner or the API cannot drift after discovery. */

/**
 * Freezes `value` and everything reachable from it, in place. The type stays `T` so snapshots
 * flow into functions typed with the plain snapshot interfaces; mutation then throws at runtime
 * (ES modules are strict mode).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
