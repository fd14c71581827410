/** The TypeScript sources under a folder, for the lint tests that walk src/. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts and .tsx file under `dir` (declaration files left out). */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
