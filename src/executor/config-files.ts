/**
 * sriovctl's own files on the host (installed policies, systemd units, the modules-load.d file, the
 * applied state): written and removed here, through the seam's writeConfigFile, which is atomic and
 * refuses any path outside sriovctl's own. What to write is decided elsewhere (src/boot/).
 */
import type { Host, HostWriter } from '../host/host.js';

/** One file to write: where, what, and its permission bits. */
export interface ConfigWrite {
  path: string;
  content: string;
  /** Default 0o644. */
  mode?: number;
}

/** One file (or, with `dir`, empty directory) to remove. */
export interface ConfigRemoval {
  path: string;
  /** A directory: removed only when empty. */
  dir?: boolean;
}

/** Writes each file, in order (each atomically). */
export async function writeConfigFiles(
  host: HostWriter,
  writes: readonly ConfigWrite[],
): Promise<void> {
  for (const w of writes)
    await host.writeConfigFile(w.path, w.content, w.mode === undefined ? {} : { mode: w.mode });
}

/**
 * Removes what is there, in order; directories only when empty (an operator's own files in
 * /etc/sriovctl stay). Returns what was actually removed and what was kept.
 */
export async function removeConfigFiles<R extends ConfigRemoval>(
  host: Host,
  removals: readonly R[],
): Promise<{ removed: R[]; kept: R[] }> {
  const removed: R[] = [];
  const kept: R[] = [];
  for (const r of removals) {
    if (r.dir) {
      if ((await host.entryKind(r.path)) !== 'dir') continue;
      if ((await host.readDir(r.path)).length > 0) {
        kept.push(r);
        continue;
      }
    }
    if (await host.removeConfigFile(r.path)) removed.push(r);
  }
  return { removed, kept };
}
