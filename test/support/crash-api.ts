/** A minimal REST client for the crash test: every call resolves, a dead daemon as `lost`. */

export type Answer = { status: number; body: unknown } | { lost: string };

export function answered(a: Answer): a is { status: number; body: unknown } {
  return !('lost' in a);
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the daemon at `base` with the bearer token; a reset connection is `lost`, never a throw. */
export function apiClient(base: string, token: string) {
  return async (method: string, path: string, opts: CallOptions = {}): Promise<Answer> => {
    try {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      // Only a whole body counts as an answer: a response cut off by the kill is lost.
      const text = await res.text();
      return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
    } catch (err) {
      return { lost: err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : '?' };
    }
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** A call that must answer with `status`; returns the body. */
export async function expectStatus<T>(
  call: Promise<Answer>,
  status: number,
  what: string,
): Promise<T> {
  const a = await call;
  if (!answered(a)) throw new Error(`${what}: no answer (${a.lost})`);
  if (a.status !== status)
    throw new Error(`${what}: HTTP ${a.status}, wanted ${status}: ${JSON.stringify(a.body)}`);
  return a.body as T;
}
