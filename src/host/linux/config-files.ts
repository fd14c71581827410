/**
 * sriovctl's own configuration and state files on a real machine (policies, applied state, systemd
 * units). Unlike sysfs stores these are ordinary files, so every write is atomic: a crash or power
 * loss during `sriovctl install` or a boot-time apply leaves either the old file or the new one,
 * never a truncated unit or half a JSON document that the next boot would trip over.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { randomBytes } from 'node:crypto';
import { configFilePath } from '../config-paths.js';
import type { ConfigFileOptions } from '../host.js';
import { fsError } from './fs-errors.js';

/** The config-file half of the Linux host seam, rooted at `rootDir` (`/` on a real host). */
export class ConfigFiles {
  constructor(private readonly rootDir: string) {}

  private real(path: string, access: 'write' | 'remove'): { clean: string; real: string } {
    const clean = configFilePath(path, access);
    return { clean, real: nodePath.join(this.rootDir, clean) };
  }

  /** Temp file in the same directory, fsync, rename over the target, fsync the directory. */
  async write(path: string, content: string, opts?: ConfigFileOptions): Promise<void> {
    const { clean, real } = this.real(path, 'write');
    const dir = nodePath.dirname(real);
    const mode = opts?.mode ?? 0o644;
    // Same directory as the target: rename(2) is only atomic within one filesystem.
    const tmp = nodePath.join(
      dir,
      `.${nodePath.basename(real)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    try {
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o755 });
      const fh = await fs.promises.open(tmp, 'wx', mode);
      try {
        await fh.writeFile(content, 'utf8');
        // open(2)'s mode is filtered by the umask; the caller's mode is what the file must have.
        await fh.chmod(mode);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, real);
      await syncDir(dir);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw fsError(err, 'write', clean);
    }
  }

  /** unlink(2) a file or rmdir(2) an empty directory; false when nothing was there. */
  async remove(path: string): Promise<boolean> {
    const { clean, real } = this.real(path, 'remove');
    try {
      const st = await fs.promises.lstat(real);
      if (st.isDirectory()) await fs.promises.rmdir(real);
      else await fs.promises.unlink(real);
      await syncDir(nodePath.dirname(real));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fsError(err, 'write', clean);
    }
  }
}

/** Makes a rename or unlink durable: the directory entry lives in the directory's own blocks. */
async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
