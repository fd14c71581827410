/** What a seam call answered: 'ok', or the kernel's errno name (anything else is rethrown). */
import { KernelError } from '../../src/host/errors.js';

export async function errnoOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => {
      if (e instanceof KernelError) return e.errno;
      throw e;
    },
  );
}
