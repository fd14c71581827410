/** What every host-reading command does first: pick and open the host, announce a simulator, discover. */
import type { Host } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import type { Inventory } from '../inventory/types.js';
import { styleFor } from './format.js';
import { println, type CliIo } from './io.js';
import { openHost, selectHost, type HostFlags } from './open-host.js';

/** Opens the selected host, announcing a simulator on stderr. */
export async function openSession(
  io: CliIo,
  flags: HostFlags,
  fallback: 'linux' | 'sim',
): Promise<Host> {
  const opened = await openHost(selectHost(flags, io.env, fallback));
  const err = styleFor(io.stderr, io.env);
  // Always on stderr (never stdout), so `--json` output stays parseable while the banner stays visible.
  if (opened.banner) println(io.stderr, err.c.yellow(opened.banner));
  return opened.host;
}

/** Opens the selected host (announcing a simulator on stderr) and takes an inventory snapshot. */
export async function loadInventory(
  io: CliIo,
  flags: HostFlags,
  fallback: 'linux' | 'sim',
): Promise<Inventory> {
  return discover(await openSession(io, flags, fallback));
}

/** Discovery issues as warnings on stderr (after filtering, so --pf shows only that PF's). */
export function printIssues(io: CliIo, inv: Inventory): void {
  const err = styleFor(io.stderr, io.env);
  for (const issue of inv.issues) {
    println(io.stderr, err.c.yellow(`sriovctl: warning: ${issue.path}: ${issue.message}`));
  }
}

/** Stable JSON for stdout: two-space indented, trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
