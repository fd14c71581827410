/**
 * Writes a simulated host's filesystem (sysfs, procfs, /etc, /run, /dev, /lib/modules) to a real
 * directory, so the Linux implementation can read the same tree from disk. Attributes whose read
 * fails on the simulator (speed on a down link) are left out, as are write-only ones.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimHost } from '../../src/host/sim/index.js';
import type { DirNode } from '../../src/host/sim/vfs.js';

/** Exports `host`'s tree under `dir`; returns how many files, links and directories it wrote. */
export function exportSimTree(
  host: SimHost,
  dir: string,
): { files: number; links: number; dirs: number } {
  const counts = { files: 0, links: 0, dirs: 0 };
  const walk = (node: DirNode, path: string): void => {
    mkdirSync(path, { recursive: true });
    counts.dirs++;
    for (const [name, child] of node.children) {
      const p = join(path, name);
      if (child.kind === 'dir') walk(child, p);
      else if (child.kind === 'link') {
        symlinkSync(child.target, p);
        counts.links++;
      } else if (child.read) {
        try {
          writeFileSync(p, child.read());
          counts.files++;
        } catch {
          // The kernel refuses this read (EINVAL on a down link's speed); a file cannot say so.
        }
      }
    }
  };
  walk(host.kernel.vfs.root, dir);
  return counts;
}
