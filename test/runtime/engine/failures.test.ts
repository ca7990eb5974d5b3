import { isBlockedAddress, parseRetryAfter } from '../../../src/runtime/engine/http-client';
import { baseSpec, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('failure handling', () => {
  let api: LoopbackApi;
  const counters: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  const hit = (name: string) => {
    counters[name] = (counters[name] ?? 0) + 1;
    (times[name] ??= []).push(Date.now());
    return counters[name];
  };
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/flaky': (_req, res) => (hit('flaky') < 3 ? json(res, 503, { error: 'busy' }) : json(res, 200, { data: [{ ok: 1 }] })),
      '/reset': (req, res) => (hit('reset') < 2 ? req.socket.destroy() : json(res, 200, { data: [{ ok: 1 }] })),
      '/retry-after-seconds': (_req, res) => (hit('ras') < 2
        ? res.writeHead(429, { 'retry-after': '1' }).end()
        : json(res, 200, { data: [{ ok: 1 }] })),
      '/retry-after-date': (_req, res) => (hit('rad') < 2
        ? res.writeHead(503, { 'retry-after': new Date(Date.now() + 1500).toUTCString() }).end()
        : json(res, 200, { data: [{ ok: 1 }] })),
      '/retry-after-long': (_req, res) => { hit('ral'); res.writeHead(429, { 'retry-after': '3600' }).end(); },
      '/bad-request': (_req, res) => { hit('400'); json(res, 400, { error: 'bad parameter' }); },
      '/always-500': (_req, res) => { hit('500'); json(res, 500, { error: 'boom' }); },
      '/slow': (_req, res) => { hit('slow'); setTimeout(() => json(res, 200, { data: [] }), 3000); },
      '/paged': (_req, res, url) => { hit('paged'); const page = Number(url.searchParams.get('page')); json(res, 200, { data: page <= 4 ? [{ page }] : [] }); },
      '/next-elsewhere': (_req, res, url) => json(res, 200, {
        data: [{ host: url.searchParams.get('from') ?? 'first' }],
        next: url.searchParams.get('from') ? null : `${api.url.replace('127.0.0.1', 'localhost')}/next-elsewhere?from=localhost`,
      }),
      '/huge': (_req, res) => json(res, 200, { data: Array.from({ length: 5000 }, (_, i) => ({ i, pad: 'x'.repeat(100) })) }),
      '/redirect-same': (_req, res) => res.writeHead(302, { location: '/flaky-free' }).end(),
      '/flaky-free': (_req, res) => json(res, 200, { data: [{ redirected: true }] }),
      '/redirect-other': (_req, res) => res.writeHead(302, { location: 'http://evil.example.com/steal' }).end(),
    });
  });
  afterAll(() => api.close());

  test('5xx is retried with backoff until it succeeds', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/flaky`));
    expect(summary).toMatchObject({ status: 'succeeded', recordsFetched: 1, requests: 3, retries: 2 });
  });

  test('a dropped connection is retried', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/reset`));
    expect(summary).toMatchObject({ status: 'succeeded', requests: 2 });
  });

  test('429 with Retry-After in seconds is waited exactly, and logged', async () => {
    const { summary, logs } = await runSpec(baseSpec(`${api.url}/retry-after-seconds`));
    expect(summary.status).toBe('succeeded');
    const [first, second] = times.ras;
    expect(second - first).toBeGreaterThanOrEqual(990);
    expect(logs.find((l) => l.message.startsWith('rate limited by the API'))?.fields).toMatchObject({ status: 429, retryAfterMs: 1000 });
  });

  test('503 with Retry-After as an HTTP-date is honoured', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/retry-after-date`));
    expect(summary.status).toBe('succeeded');
    // HTTP-dates have one-second resolution: the wait is between 0.5 and 1.5 s.
    expect(times.rad[1] - times.rad[0]).toBeGreaterThanOrEqual(400);
  });

  test('a Retry-After beyond the run\'s time budget fails at once instead of overrunning', async () => {
    const started = Date.now();
    const { summary } = await runSpec(baseSpec(`${api.url}/retry-after-long`), { deadline: Date.now() + 60_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(summary.failures[0].error).toMatch(/Retry-After of 3600 s, beyond the run's time budget/);
  });

  test('other 4xx are never retried', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/bad-request`));
    expect(summary.status).toBe('failed');
    expect(counters['400']).toBe(1);
    expect(summary.failures[0].error).toMatch(/answered HTTP 400: {"error":"bad parameter"}/);
  });

  test('retries stop at limits.maxRetries', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/always-500`, { limits: { maxRetries: 2 } }));
    expect(summary.status).toBe('failed');
    expect(counters['500']).toBe(3);
  });

  test('a request that takes longer than the timeout fails and is retried', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/slow`, { limits: { requestTimeoutSeconds: 0.2, maxRetries: 1 } }));
    expect(summary.failures[0].error).toMatch(/timed out after 200 ms/);
    expect(counters.slow).toBe(2);
  });

  test('requestsPerSecond spaces requests out', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/paged`, { pagination: { type: 'pageNumber', param: 'page' }, limits: { requestsPerSecond: 10 } }));
    expect(summary.pages).toBe(5);
    const t = times.paged;
    expect(t[t.length - 1] - t[0]).toBeGreaterThanOrEqual(4 * 100 - 20);
  });

  test('a response larger than limits.maxResponseBytes is refused, not retried', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/huge`, { limits: { maxResponseBytes: 100_000 } }));
    expect(summary.failures[0].error).toMatch(/response is larger than limits.maxResponseBytes \(100000 bytes\)/);
    expect(summary.requests).toBe(1);
  });

  test('a redirect within the same host is followed', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/redirect-same`));
    expect(sink.records).toEqual([{ redirected: true }]);
  });

  test('a redirect to another host is refused', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/redirect-other`));
    expect(summary.failures[0].error).toMatch(/redirected to another host \(evil.example.com\)/);
  });

  test('a next-page URL on a host the spec does not name is refused; limits.allowedHosts admits it', async () => {
    const spec = (allowedHosts?: string[]) => baseSpec(`${api.url}/next-elsewhere`, {
      pagination: { type: 'nextUrl', from: { path: 'next' } },
      ...(allowedHosts ? { limits: { allowedHosts } } : {}),
    });
    const refused = await runSpec(spec());
    expect(refused.summary.failures[0].error).toBe(
      'requests to localhost are not allowed: the spec names 127.0.0.1; add it to limits.allowedHosts if it is intended');
    const admitted = await runSpec(spec(['localhost']));
    expect(admitted.sink.records).toEqual([{ host: 'first' }, { host: 'localhost' }]);
  });

  test('link-local and cloud metadata addresses are refused before any connection', async () => {
    const { summary } = await runSpec(baseSpec('http://169.254.169.254/latest/meta-data/iam'));
    expect(summary.failures[0].error).toBe('requests to 169.254.169.254 (link-local or cloud metadata) are not allowed');
    for (const address of ['169.254.169.254', 'fe80::1', 'fd00:ec2::254', '::ffff:169.254.169.254']) {
      expect(isBlockedAddress(address)).toBe(true);
    }
    for (const address of ['127.0.0.1', '10.0.0.1', '8.8.8.8', '::1']) {
      expect(isBlockedAddress(address)).toBe(false);
    }
  });

  test('Retry-After parsing: seconds, HTTP-date, garbage', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
