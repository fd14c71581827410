/**
 * Calls to the REST API with the session's bearer token, over fetch; every failure is an ApiError.
 * Building requests and reading answers is the contract's client core (src/contract/client.ts),
 * shared with the CLI; this is its browser transport.
 */
import { API_PREFIX, ApiCore, type HttpRequest, type HttpResponse } from '../../contract/client.js';
import { ApiError, toProblem } from '../lib/problem.js';

export const API_BASE = API_PREFIX;

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export type Api = <T>(method: string, path: string, opts?: RequestOptions) => Promise<T>;

/** One exchange over fetch; a request that gets no answer is an ApiError that says so. */
async function send(r: HttpRequest): Promise<HttpResponse> {
  const init: RequestInit = { method: r.method, headers: r.headers, cache: 'no-store' };
  if (r.body !== undefined) init.body = r.body;
  if (r.signal) init.signal = r.signal;
  let res: Response;
  try {
    res = await fetch(r.path, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({
      type: 'about:blank',
      title: 'Cannot reach sriovctl',
      status: 0,
      detail: `the request to ${r.path} failed: ${err instanceof Error ? err.message : String(err)}`,
      fix: 'check that `sriovctl serve` is running and that this browser can reach it',
    });
  }
  return { status: res.status, statusText: res.statusText, text: await res.text() };
}

export async function request<T>(
  token: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const core = new ApiCore({
    transport: send,
    headers: { authorization: `Bearer ${token}` },
    error: (p) => new ApiError(p),
    notAProblem: (a) => toProblem(a.status, undefined, a.text),
  });
  return core.request<T>(method, path, opts);
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
