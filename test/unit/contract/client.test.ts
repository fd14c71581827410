// The clients' shared core (src/contract/client.ts) and problem reading (src/contract/problem.ts),
// with the transport injected: what a request looks like on the wire, and what each kind of
// answer becomes. The CLI (node:http over the unix socket or TCP) and the console (fetch) only
// move bytes.
import { describe, expect, it } from 'vitest';
import {
  ApiCore,
  problemDetails,
  problemKind,
  problemOf,
  PROBLEM_BASE,
  PROBLEMS,
  ProblemError,
  readProblem,
  type HttpRequest,
  type HttpResponse,
  type Problem,
} from '../../../src/contract/index.js';

/** A core whose transport records the request and answers `answer`. */
function core(answer: HttpResponse, opts: { notJson?: boolean } = {}) {
  const sent: HttpRequest[] = [];
  const api = new ApiCore({
    transport: async (r) => {
      sent.push(r);
      return answer;
    },
    headers: { authorization: 'Bearer t' },
    notAProblem: (a, asked) => ({
      type: 'about:blank',
      title: `HTTP ${a.status}`,
      status: a.status,
      detail: `${asked.method} ${asked.path}: ${a.text}`,
    }),
    ...(opts.notJson ? { notJson: () => new Error('not JSON') } : {}),
  });
  return { api, sent };
}

const ok = (status: number, text: string): HttpResponse => ({ status, statusText: '', text });

describe('the client core', () => {
  it('sends JSON to /api/v1 with the query, its headers and the caller’s', async () => {
    const { api, sent } = core(ok(201, '{"id":"a"}'));
    const r = await api.request<{ id: string }>('POST', '/attachments', {
      query: { dryRun: 1, skip: undefined },
      body: { tenant: 'team-a' },
      headers: { 'idempotency-key': 'k-12345678' },
    });
    expect(r).toEqual({ id: 'a' });
    expect(sent).toEqual([
      {
        method: 'POST',
        path: '/api/v1/attachments?dryRun=1',
        headers: {
          accept: 'application/json, application/problem+json',
          authorization: 'Bearer t',
          'idempotency-key': 'k-12345678',
          'content-type': 'application/json',
        },
        body: '{"tenant":"team-a"}',
      },
    ]);
  });

  it('answers undefined for 204 and an empty body; a body that is not JSON is the surface’s call', async () => {
    await expect(core(ok(204, '')).api.get('/x')).resolves.toBeUndefined();
    await expect(core(ok(200, '')).api.get('/x')).resolves.toBeUndefined();
    await expect(core(ok(200, '<html>')).api.get('/x')).resolves.toBeUndefined();
    await expect(core(ok(200, '<html>'), { notJson: true }).api.get('/x')).rejects.toThrow(
      'not JSON',
    );
  });

  it('throws the problem an error answer carries, extensions and all', async () => {
    const p = problemOf('refused', 'VLAN 300 is not allowed', {
      field: 'vlan',
      fix: 'use 100-199',
      code: 'vlan-not-allowed',
    });
    const err = await core({ status: 422, statusText: '', text: JSON.stringify(p) })
      .api.get('/x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).problem).toEqual(p);
    expect((err as ProblemError).status).toBe(422);
    expect((err as ProblemError).message).toBe('VLAN 300 is not allowed');
  });

  it('says what came back when an error answer is not a problem', async () => {
    const err = await core({ status: 502, statusText: 'Bad Gateway', text: '<html>proxy</html>' })
      .api.get('/tenants')
      .catch((e: unknown) => e);
    expect((err as ProblemError).problem).toEqual({
      type: 'about:blank',
      title: 'HTTP 502',
      status: 502,
      detail: 'GET /tenants: <html>proxy</html>',
    });
  });

  it('lets a transport’s own failure through (no answer is the surface’s to say)', async () => {
    const api = new ApiCore({
      transport: () => Promise.reject(new Error('ECONNREFUSED')),
      notAProblem: () => problemOf('internal', 'unused'),
    });
    await expect(api.get('/x')).rejects.toThrow('ECONNREFUSED');
  });
});

describe('problems', () => {
  it('are built from the catalogue, and read back as the same kind', () => {
    const p = problemOf('host-busy', 'a policy apply holds the host', { retryAfterS: 5 });
    expect(p).toEqual({
      type: `${PROBLEM_BASE}host-busy`,
      title: 'The host is busy',
      status: 503,
      detail: 'a policy apply holds the host',
      retryAfterS: 5,
    });
    expect(problemKind(p)).toBe('host-busy');
    expect(problemKind({ type: 'about:blank' })).toBeNull();
    expect(problemKind({ type: `${PROBLEM_BASE}toString` })).toBeNull();
    for (const kind of Object.keys(PROBLEMS) as (keyof typeof PROBLEMS)[])
      expect(problemDetails.safeParse(problemOf(kind, 'x')).success).toBe(true);
  });

  it('are read from bodies that are problems, with RFC 9457’s defaults', () => {
    expect(readProblem(404, { title: 'Not found' })).toEqual({
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: '',
    });
    expect(readProblem(409, { status: 409, detail: 'pool e810 already exists' })).toEqual({
      type: 'about:blank',
      title: 'HTTP 409',
      status: 409,
      detail: 'pool e810 already exists',
    });
  });

  it('drop members of the wrong type and tidy field errors', () => {
    const p = readProblem(400, {
      title: 'Invalid request',
      detail: 'bad',
      field: 7,
      fix: null,
      errors: [{ field: 'body.vlan', message: 'too big' }, 'junk', { field: 'body.qos' }],
    }) as Problem;
    expect(p.field).toBeUndefined();
    expect(p.fix).toBeUndefined();
    expect(p.errors).toEqual([
      { field: 'body.vlan', message: 'too big' },
      { field: 'body.qos', message: '' },
    ]);
    expect(readProblem(400, { title: 'x', errors: 'nope' })?.errors).toBeUndefined();
  });

  it('are not read from anything else', () => {
    for (const body of [undefined, null, 'text', [], {}, { status: 500 }, { detail: 'd' }])
      expect(readProblem(500, body)).toBeNull();
  });
});
