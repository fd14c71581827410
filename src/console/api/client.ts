/** Calls to the REST API with the session's bearer token; every failure is an ApiError. */
import { ApiError, toProblem } from '../lib/problem.js';

export const API_BASE = '/api/v1';

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export type Api = <T>(method: string, path: string, opts?: RequestOptions) => Promise<T>;

export async function request<T>(
  token: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: `Bearer ${token}`,
    ...opts.headers,
  };
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (opts.signal) init.signal = opts.signal;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({
      type: 'about:blank',
      title: 'Cannot reach sriovctl',
      status: 0,
      detail: `the request to ${API_BASE}${path} failed: ${err instanceof Error ? err.message : String(err)}`,
      fix: 'check that `sriovctl serve` is running and that this browser can reach it',
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: a proxy's error page, say. toProblem shows its text.
  }
  if (!res.ok) throw new ApiError(toProblem(res.status, body, text));
  return body as T;
}

/** A random UUID for Idempotency-Key; randomUUID needs a secure context, getRandomValues does not. */
export function newRequestKey(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
