/** Loads a sample file from ./samples. */
import fs from 'node:fs';

export function sample(name: string): string {
  return fs.readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
}
