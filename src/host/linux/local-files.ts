/**
 * The operator's files on this machine (LocalFileReader): synchronous, as policy loading was, and
 * errors passed through unchanged so callers still see the errno in `code`.
 */
import fs from 'node:fs';
import type { LocalFileReader, LocalFileStat } from '../local-files.js';

/** Reads local files with Node's fs. */
export const localFiles: LocalFileReader = {
  stat(path: string): LocalFileStat {
    const st = fs.statSync(path);
    return { isDirectory: st.isDirectory(), size: st.size };
  },
  readDir(path: string): string[] {
    return fs.readdirSync(path);
  },
  readText(path: string): string {
    return fs.readFileSync(path, 'utf8');
  },
};
