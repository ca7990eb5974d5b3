import { parseRetryAfter, RequestSpacing } from '../../../src/runtime/engine/http-client';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingDeadLetters, runSpec } from '../../helpers/engine-harness';
import { FakeClock } from '../../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';


describe('failure handling', () => {
  let api: LoopbackApi;
  const counters: Record<string, number> = {};
  const hit = (name: string) => {
    counters[name] = (counters[name] ?? 0) + 1;
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
        ? res.writeHead(503, { 'retry-after': 'Wed, 25 Nov 2026 12:00:30 GMT' }).end()
        : json(res, 200, { data: [{ ok: 1 }] })),
      '/retry-after-long': (_req, res) => { hit('ral'); res.writeHead(429, { 'retry-after': '3600' }).end(); },
      '/bad-request': (_req, res) => { hit('400'); json(res, 400, { error: 'bad parameter' }); },
      '/always-500': (_req, res) => { hit('500'); json(res, 500, { error: 'boom' }); },
      // Never answers (the connection stays open until the server closes): only the timeout ends it.
      '/slow': () => { hit('slow'); },
      '/paged': (_req, res, url) => { hit('paged'); const page = Number(url.searchParams.get('page')); json(res, 200, { data: page <= 4 ? [{ page }] : [] }); },
      '/next-elsewhere': (_req, res, url) => json(res, 200, {
        data: [{ host: url.searchParams.get('from') ?? 'first' }],
        next: url.searchParams.get('from') ? null : `${api.url.replace('127.0.0.1', 'localhost')}/next-elsewhere?from=localhost`,
      }),
      '/huge': (_req, res) => json(res, 200, { data: Array.from({ length: 5000 }, (_, i) => ({ i, pad: 'x'.repeat(100) })) }),
      '/redirect-same': (_req, res) => res.writeHead(302, { location: '/flaky-free' }).end(),
      '/flaky-free': (_req, res) => { hit('flakyFree'); json(res, 200, { data: [{ redirected: true }] }); },
      '/redirect-other': (_req, res) => res.writeHead(302, { location: 'http://evil.example.com/steal' }).end(),
      '/redirect-other-port': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/steal' }).end(),
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
    const clock = new FakeClock();
    const { summary, logs } = await runSpec(baseSpec(`${api.url}/retry-after-seconds`), { clock });
    expect(summary.status).toBe('succeeded');
    expect(clock.sleeps).toEqual([1000]);
    expect(logs.find((l) => l.message.startsWith('rate limited by the API'))?.fields).toMatchObject({ status: 429, retryAfterMs: 1000 });
  });

  test('503 with Retry-After as an HTTP-date waits until that date', async () => {
    const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
    const { summary } = await runSpec(baseSpec(`${api.url}/retry-after-date`), { clock });
    expect(summary.status).toBe('succeeded');
    expect(clock.sleeps).toEqual([30_000]);
  });

  test('a Retry-After beyond the run\'s time budget is not waited out: a dead letter says when the API asked', async () => {
    const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
    const deadLetters = new CollectingDeadLetters();
    const { summary } = await runSpec(baseSpec(`${api.url}/retry-after-long`), { clock, deadline: clock.now() + 60_000, deadLetters });
    expect(clock.sleeps).toEqual([]);
    expect(counters.ral).toBe(1);
    expect(summary.failures[0].error).toMatch(/Retry-After of 3600 s, beyond the run's time budget; the API asked to be called again at 2026-11-25T13:00:00.000Z/);
    expect(deadLetters.requests).toEqual([expect.objectContaining({ retryAfter: '2026-11-25T13:00:00.000Z', attempts: 1 })]);
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

  test('requestsPerSecond spaces requests out: the client waits one interval before each request after the first', async () => {
    const clock = new FakeClock();
    const { summary } = await runSpec(baseSpec(`${api.url}/paged`, { pagination: { type: 'pageNumber', param: 'page' }, limits: { requestsPerSecond: 10 } }), { clock });
    expect(summary.pages).toBe(5);
    expect(clock.sleeps).toEqual([100, 100, 100, 100]);
  });

  test('request spacing holds across concurrent callers: each takes the next free slot', async () => {
    const clock = new FakeClock();
    const spacing = new RequestSpacing(250, clock);
    await Promise.all([spacing.take(), spacing.take(), spacing.take()]);
    expect(clock.sleeps.sort((a, b) => a - b)).toEqual([250, 500]);
    // Time has moved past the reserved slots: the next caller waits only what is left.
    await spacing.take();
    expect(clock.sleeps).toHaveLength(3);
    expect(clock.sleeps[2]).toBe(250);
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

  test('a redirect to another host, or another port of the same host, is refused: credentials stay with the origin', async () => {
    const other = await runSpec(baseSpec(`${api.url}/redirect-other`));
    expect(other.summary.failures[0].error).toMatch(/redirected to another origin \(http:\/\/evil.example.com\)/);
    const port = await runSpec(baseSpec(`${api.url}/redirect-other-port`));
    expect(port.summary.failures[0].error).toMatch(/redirected to another origin \(http:\/\/127.0.0.1:1\)/);
  });

  test('a next-page URL on a host the spec does not name is refused; limits.allowedHosts admits it', async () => {
    const spec = (allowedHosts?: string[]) => baseSpec(`${api.url}/next-elsewhere`, {
      pagination: { type: 'nextUrl', from: { path: 'next' } },
      ...(allowedHosts ? { limits: { allowedHosts } } : {}),
    });
    const port = new URL(api.url).port;
    const refused = await runSpec(spec());
    expect(refused.summary.failures[0].error).toBe(
      `requests to http://localhost:${port} are not allowed: the spec names http://127.0.0.1:${port}; add the host (and port) to limits.allowedHosts if it is intended`);
    // An entry without a port admits the scheme's default port only.
    const wrongPort = await runSpec(spec(['localhost']));
    expect(wrongPort.summary.failures[0].error).toMatch(/requests to http:\/\/localhost:\d+ are not allowed/);
    const admitted = await runSpec(spec([`localhost:${port}`]));
    expect(admitted.sink.records).toEqual([{ host: 'first' }, { host: 'localhost' }]);
  });

  test('a checkpoint read back from state cannot move the request to another origin, nor from https to http', async () => {
    const state = new MemoryStateStore();
    const spec = baseSpec('https://127.0.0.1:9/items', { pagination: { type: 'pageNumber', param: 'page' } });
    const resumeAt = async (url: string) => {
      await state.putCheckpoint('test-feed', '-', { next: { url, query: {} }, pagesDone: 1, savedAt: '2026-11-25T12:00:00Z' });
      return (await runSpec(spec, { state })).summary;
    };
    // Both fail before any connection: nothing listens on those ports, and the message is the guard's.
    expect((await resumeAt('http://127.0.0.1:9/items')).failures[0].error).toMatch(/^requests to http:\/\/127.0.0.1:9 are not allowed \(a downgrade from https to http\)/);
    expect((await resumeAt('https://evil.example.com/items')).failures[0].error).toMatch(/^requests to https:\/\/evil.example.com are not allowed/);
  });

  test.each([
    'http://169.254.169.254/latest/meta-data/iam',
    'http://[::ffff:169.254.169.254]/latest/meta-data/iam',
    'http://[::ffff:a9fe:a9fe]/latest',
    'http://[::a9fe:a9fe]/latest',
    'http://[64:ff9b::a9fe:a9fe]/latest',
    'http://[2002:a9fe:a9fe::1]/latest',
    'http://2852039166/latest',
    'http://0251.0376.0251.0376/latest',
    'http://0xa9.0xfe.0xa9.0xfe/latest',
    'http://[fe80::1]/latest',
    'http://[fd00:ec2::254]/latest',
  ])('the metadata address in every spelling is refused before any connection, even with private addresses allowed: %s', async (url) => {
    const { summary } = await runSpec(baseSpec(url, { limits: { allowPrivateAddresses: true } }));
    expect(summary.failures[0].error).toMatch(/are refused: it is a link-local, metadata, multicast or reserved address, which the poller never connects to$/);
    expect(summary.requests).toBe(0);
  });

  test('loopback is refused unless allowed; the check applies to the address a host name resolves to', async () => {
    const port = new URL(api.url).port;
    const before = counters.flakyFree ?? 0;
    const direct = await runSpec(baseSpec(`${api.url}/flaky-free`), { allowLoopback: false });
    expect(direct.summary.failures[0].error).toMatch(/^requests to 127.0.0.1 are refused: it is a loopback address; the deployed poller never connects to loopback/);
    const resolved = await runSpec(baseSpec(`http://localhost:${port}/flaky-free`), { allowLoopback: false });
    expect(resolved.summary.failures[0].error).toMatch(/localhost resolves to (127.0.0.1|::1), a loopback address/);
    // Neither reached the API.
    expect(counters.flakyFree ?? 0).toBe(before);
    const optedIn = await runSpec(baseSpec(`${api.url}/flaky-free`, { limits: { allowPrivateAddresses: true } }), { allowLoopback: false });
    expect(optedIn.sink.records).toEqual([{ redirected: true }]);
    expect(counters.flakyFree).toBe(before + 1);
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
