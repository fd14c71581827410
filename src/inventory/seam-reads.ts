/**
 * Reads through the host seam that never throw: discovery must survive any single file, link or
 * command failing, so every read returns either the value or the errno and message of the failure.
 */
import { KernelError, SriovctlError } from '../host/errors.js';
import type { HostReader } from '../host/host.js';

export type Outcome<T> =
  { ok: true; value: T } | { ok: false; errno: string | null; message: string };

/** The errno name of a failure from any Host implementation (KernelError, or a raw Node error). */
export function errnoOf(err: unknown): string | null {
  if (err instanceof KernelError) return err.errno;
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return null;
}

/** A one-line description of a failure, for an issue message. */
export function describeError(err: unknown): string {
  if (err instanceof SriovctlError || err instanceof Error) return err.message;
  return String(err);
}

function failed<T>(err: unknown): Outcome<T> {
  return { ok: false, errno: errnoOf(err), message: describeError(err) };
}

/** `cat PATH`, as an outcome. */
export async function tryReadFile(host: HostReader, path: string): Promise<Outcome<string>> {
  try {
    return { ok: true, value: await host.readFile(path) };
  } catch (err) {
    return failed(err);
  }
}

/** `readlink PATH`, as an outcome. */
export async function tryReadLink(host: HostReader, path: string): Promise<Outcome<string>> {
  try {
    return { ok: true, value: await host.readLink(path) };
  } catch (err) {
    return failed(err);
  }
}

/** `ls PATH`, as an outcome. */
export async function tryReadDir(host: HostReader, path: string): Promise<Outcome<string[]>> {
  try {
    return { ok: true, value: await host.readDir(path) };
  } catch (err) {
    return failed(err);
  }
}

/** Runs any seam call (netlink, devlink, ethtool) as an outcome. */
export async function tryCall<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    return failed(err);
  }
}

/** True when the failure means "nothing there" rather than "something broke". */
export function isAbsent(o: Outcome<unknown>): boolean {
  return !o.ok && (o.errno === 'ENOENT' || o.errno === 'ENOTDIR');
}
