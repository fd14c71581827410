/**
 * The CLI's client for the daemon's REST API: the root unix socket by default, or a TCP address
 * with a bearer token. Answers come back as parsed JSON; problem+json answers become an
 * ApiProblemError, and a daemon that cannot be reached becomes an ApiUnavailableError whose
 * message says what to start.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import http from 'node:http';
import https from 'node:https';
import {
  API_PREFIX,
  ApiCore,
  type HttpRequest,
  type HttpResponse,
  type Problem,
  type RequestOptions,
} from '../contract/index.js';
import { SriovctlError } from '../host/errors.js';
import { API_SOCKET, DAEMON_UNIT } from '../boot/locations.js';
import { UsageError } from './exit-codes.js';

/** The daemon's API socket on a real host (where `sriovctl serve` listens by default). */
export const DEFAULT_API_SOCKET = API_SOCKET;

export type Endpoint = { kind: 'unix'; path: string } | { kind: 'http'; url: URL };

/**
 * `unix:/path`, a bare absolute socket path, or `http(s)://host:port`. The path of an http URL
 * must be empty: the client adds /api/v1 itself.
 */
export function parseEndpoint(text: string): Endpoint {
  const bad = (why: string) =>
    new UsageError(
      `--api ${JSON.stringify(text)}: ${why}`,
      'e.g. --api unix:/run/sriovctl/api.sock or --api http://127.0.0.1:8080',
    );
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw bad('no socket path after "unix:"');
    return { kind: 'unix', path };
  }
  if (text.startsWith('/')) return { kind: 'unix', path: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('expected unix:/PATH or http://HOST:PORT');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`unsupported scheme ${url.protocol.replace(/:$/, '')}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw bad('give the daemon address only (the client adds /api/v1)');
  return { kind: 'http', url };
}

export function describeEndpoint(e: Endpoint): string {
  return e.kind === 'unix' ? `unix:${e.path}` : e.url.origin;
}

/** The daemon answered with an error. */
export class ApiProblemError extends SriovctlError {
  override name = 'ApiProblemError';
  constructor(readonly problem: Problem) {
    super(problem.detail, problem.fix);
  }
}

/** The daemon could not be reached (or did not answer in time). */
export class ApiUnavailableError extends SriovctlError {
  override name = 'ApiUnavailableError';
  constructor(
    message: string,
    hint: string,
    /** EACCES on the socket is a permission problem, not a missing daemon. */
    readonly permission = false,
    /**
     * The error code behind it: ENOENT or ECONNREFUSED (nothing listens), ETIMEDOUT (something
     * accepted the connection but did not answer in time), ...; null when unknown.
     */
    readonly code: string | null = null,
  ) {
    super(message, hint);
  }
}

function unavailable(err: NodeJS.ErrnoException, e: Endpoint): ApiUnavailableError {
  const where = describeEndpoint(e);
  const code = err.code ?? 'error';
  if (e.kind === 'unix' && (code === 'EACCES' || code === 'EPERM'))
    return new ApiUnavailableError(
      `permission denied on the API socket ${e.path} (${code})`,
      'the socket is for root: run as root, or use --api http://HOST:PORT with --token',
      true,
      err.code ?? null,
    );
  if (code === 'ECONNREFUSED' || code === 'ENOENT')
    return new ApiUnavailableError(
      e.kind === 'unix'
        ? `cannot reach the sriovctl daemon: is \`sriovctl serve\` running? (socket ${e.path}: ${code === 'ENOENT' ? 'no such socket' : 'connection refused'})`
        : `cannot reach the sriovctl daemon at ${where}: is \`sriovctl serve --listen\` running? (connection refused)`,
      e.kind === 'unix'
        ? `start it (systemctl start ${DAEMON_UNIT}, or sriovctl serve), or point --api (env SRIOVCTL_API) at a daemon's http://HOST:PORT`
        : 'check the address, or start the daemon with `sriovctl serve --listen HOST:PORT`',
      false,
      err.code ?? null,
    );
  return new ApiUnavailableError(
    `cannot reach the sriovctl daemon at ${where}: ${err.message}`,
    'check --api (env SRIOVCTL_API) and that the daemon is running',
    false,
    err.code ?? null,
  );
}

export type { Problem, RequestOptions } from '../contract/index.js';

export class ApiClient {
  private readonly core: ApiCore;

  constructor(
    readonly endpoint: Endpoint,
    private readonly token: string | undefined,
    /** Attach configures the kernel before answering; a slow driver can take seconds. */
    private readonly timeoutMs = 120_000,
  ) {
    this.core = new ApiCore({
      transport: (r) => this.send(r),
      error: (p) => new ApiProblemError(p),
      notAProblem: (a, { method, path }) => ({
        type: 'about:blank',
        title: a.statusText || `HTTP ${a.status}`,
        status: a.status,
        detail: `${this.where} answered ${method} ${path} with HTTP ${a.status}${a.statusText ? ` ${a.statusText}` : ''}`,
      }),
      notJson: (_a, { method, path }) =>
        new SriovctlError(
          `${this.where} answered ${method} ${path} with something that is not JSON`,
          'is --api pointing at a sriovctl daemon?',
        ),
    });
  }

  /** Where the client talks to, for messages. */
  get where(): string {
    return describeEndpoint(this.endpoint);
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.core.get<T>(path, query);
  }

  /** Sends one request to /api/v1`path`; resolves to the parsed body (undefined for 204). */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.core.request<T>(method, path, opts);
  }

  /** Where and how to send a request: the socket or host, with the token over TCP. */
  private target(
    method: string,
    path: string,
    headers: Record<string, string>,
  ): { target: http.RequestOptions; mod: typeof http | typeof https } {
    const e = this.endpoint;
    // The socket's file mode already says who the caller is; a token goes over TCP only.
    if (e.kind === 'http' && this.token) headers['authorization'] = `Bearer ${this.token}`;
    const target: http.RequestOptions =
      e.kind === 'unix'
        ? { socketPath: e.path, path, method, headers }
        : {
            protocol: e.url.protocol,
            hostname: e.url.hostname.replace(/^\[|\]$/g, ''),
            port: e.url.port || undefined,
            path,
            method,
            headers,
          };
    return { target, mod: e.kind === 'http' && e.url.protocol === 'https:' ? https : http };
  }

  /**
   * Follows the daemon's event stream (GET /api/v1/events, server-sent events) from after event
   * `since`, handing each event to `onEvent` until it returns true (done) or the stream ends.
   * Resolves true when `onEvent` said done, false when the stream ended first.
   */
  followEvents(since: number, onEvent: (e: EventSourceMessage) => boolean): Promise<boolean> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'last-event-id': String(since),
    };
    const { target, mod } = this.target('GET', `${API_PREFIX}/events`, headers);
    return new Promise<boolean>((resolve, reject) => {
      let done = false;
      const req = mod.request(target, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          return reject(
            new ApiProblemError({
              type: 'about:blank',
              title: res.statusMessage || `HTTP ${status}`,
              status,
              detail: `${this.where} refused the event stream with HTTP ${status}`,
            }),
          );
        }
        const parser = createParser({
          onEvent: (m) => {
            if (done) return;
            if (onEvent(m)) {
              done = true;
              req.destroy();
              resolve(true);
            }
          },
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('end', () => done || resolve(false));
        res.on('error', () => done || resolve(false));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!done) reject(unavailable(err, this.endpoint));
      });
      req.end();
    });
  }

  /** The transport: one exchange over the socket or TCP; no answer is an ApiUnavailableError. */
  private send(r: HttpRequest): Promise<HttpResponse> {
    const headers = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    const e = this.endpoint;
    const { target, mod } = this.target(r.method, r.path, headers);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = mod.request(target, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(unavailable(err, e)));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.timeoutMs / 1000} s`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(unavailable(err, e)));
      req.end(r.body);
    });
  }
}
