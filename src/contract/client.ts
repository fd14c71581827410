/**
 * The core of sriovctl's API clients: builds a request to /api/v1, hands it to a transport, and
 * reads the answer — JSON, nothing (204), or a problem. The transport is injected: the console
 * sends with fetch, the CLI with node:http over the daemon's unix socket or TCP. A transport only
 * moves bytes; it throws only when there is no answer (what that means is the surface's to say),
 * and every answer, error or not, is read here. No zod and nothing of Node here: browsers load it.
 */
import { readProblem, type Problem } from './problem.js';

/** Where the API lives on the daemon. */
export const API_PREFIX = '/api/v1';

/** One HTTP exchange, as the core hands it to a transport. */
export interface HttpRequest {
  method: string;
  /** The path with its query string, `/api/v1/attachments?tenant=team-a`. */
  path: string;
  headers: Record<string, string>;
  /** JSON text; absent without a body. */
  body?: string;
  signal?: AbortSignal;
}

/** An answer, whatever its status. */
export interface HttpResponse {
  status: number;
  /** The reason phrase (`Bad Gateway`); may be empty (HTTP/2, fetch). */
  statusText: string;
  text: string;
}

/** Makes one exchange. Throws only when no answer came (the surface's own error, or an abort). */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** What a request may carry besides its method and path. */
export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The API answered with an error: the problem it answered (or one that says what came back). */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

/** The request an answer is about, for the messages that describe it. */
export interface Asked {
  method: string;
  /** The path under /api/v1, as the caller gave it (`/tenants`). */
  path: string;
}

export interface ApiCoreOptions {
  transport: Transport;
  /** Headers on every request (a bearer token). */
  headers?: Record<string, string>;
  /** The problem for an error answer whose body is not a problem (a proxy's page, nothing). */
  notAProblem: (answer: HttpResponse, asked: Asked) => Problem;
  /** The error an error answer becomes; default ProblemError. */
  error?: (problem: Problem) => Error;
  /**
   * A successful answer whose body is not JSON: the error to throw. Absent: the request answers
   * undefined, as for an empty body.
   */
  notJson?: (answer: HttpResponse, asked: Asked) => Error;
}

/** `/api/v1` + path + the query's defined values. */
export function apiPath(path: string, query: RequestOptions['query'] = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  return `${API_PREFIX}${path}${qs.size ? `?${qs.toString()}` : ''}`;
}

/** A client of the REST API over some transport; see the module comment. */
export class ApiCore {
  constructor(private readonly o: ApiCoreOptions) {}

  /** GET `path` (under /api/v1) with an optional query. */
  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  /** Sends one request to /api/v1`path`; resolves to the parsed body (undefined for 204). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...this.o.headers,
      ...opts.headers,
    };
    const req: HttpRequest = { method, path: apiPath(path, opts.query), headers };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      req.body = JSON.stringify(opts.body);
    }
    if (opts.signal) req.signal = opts.signal;
    const answer = await this.o.transport(req);
    return this.read<T>(answer, { method, path });
  }

  /** Reads an answer: the body of a success, or throws the error an error answer means. */
  read<T>(answer: HttpResponse, asked: Asked): T {
    const { status, text } = answer;
    let body: unknown = undefined;
    let json = false;
    if (text !== '') {
      try {
        body = JSON.parse(text);
        json = true;
      } catch {
        // Not JSON: a proxy's error page, say; said below for what it is.
      }
    }
    if (status >= 200 && status < 300) {
      if (status !== 204 && text !== '' && !json && this.o.notJson)
        throw this.o.notJson(answer, asked);
      return body as T;
    }
    const problem = readProblem(status, body) ?? this.o.notAProblem(answer, asked);
    throw this.o.error ? this.o.error(problem) : new ProblemError(problem);
  }
}
