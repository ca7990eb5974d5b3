/**
 * The backfill runner and the engine's time windows, against a loopback API: what each window
 * asks the API, how a window that failed for one partition is resumed, the time budget, and one
 * rate budget for every window of the process.
 */
import { BackfillRequest, backfillProblems, backfillRequest, backfillWindows, parseWindowLength } from '../../../src/feed-spec/backfill';
import { FeedSpecInput, parseFeedSpec } from '../../../src/feed-spec/feed-spec';
import { BackfillOptions, runBackfill } from '../../../src/runtime/backfill/backfill-run';
import { jsonLogger } from '../../../src/runtime/logging/json-logger';
import { SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../../../src/runtime/secrets/secret-resolver';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingSink, runSpec } from '../../helpers/engine-harness';
import { FakeClock } from '../../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('backfill windows', () => {
  test('a range splits into half-open windows, the last one cut at "to"', () => {
    expect(backfillWindows({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-03T12:00:00.000Z', windowSeconds: 86_400 })).toEqual([
      { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
      { start: '2026-01-02T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' },
      { start: '2026-01-03T00:00:00.000Z', end: '2026-01-03T12:00:00.000Z' },
    ]);
  });

  test.each([['1d', 86_400_000], ['6h', 21_600_000], ['30m', 1_800_000], ['90s', 90_000], ['P1D', 86_400_000], ['PT6H', 21_600_000]])(
    'window length %s', (text, ms) => expect(parseWindowLength(text)).toBe(ms));

  test('dates without a time are midnight UTC', () => {
    expect(backfillRequest('2026-01-01', '2026-02-01', '1d')).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', windowSeconds: 86_400 });
  });

  test.each([['01/11/2026', '2026-12-01'], ['2026-11-01', '2026-12-01 00:00'], ['2026-11-31', '2026-12-01']])(
    'from %s to %s: a date that is not unambiguous ISO 8601 is refused, with the forms to write', (from, to) => {
      expect(() => backfillRequest(from, to, '1d')).toThrow(/is not an ISO 8601 date \(2026-01-02\) or date-time with an offset or Z/);
    });

  test('a spec without a datetime cursor, or without {{ window.end }}, cannot be backfilled, and says what to add', () => {
    const spec = (input: Partial<FeedSpecInput>) => parseFeedSpec(baseSpec('https://api.example.com/v1/events', input));
    expect(backfillProblems(spec({}))).toEqual([expect.stringMatching(/has no datetime cursor .*a backfill runs the request once per time window/)]);
    expect(backfillProblems(spec({
      request: { url: 'https://api.example.com/v1/events', query: { since: '{{ cursor }}' } },
      incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    }))).toEqual([expect.stringMatching(/does not send \{\{ window.end \}\}.*"to": "\{\{ window.end \}\}"/)]);
  });
});

describe('runBackfill', () => {
  let api: LoopbackApi;
  /** Stations whose requests fail (500) while listed. */
  const failing = new Set<string>();
  const asked: string[] = [];
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/events': (_req, res, url) => {
        const q = url.searchParams;
        asked.push(`${q.get('station')} ${q.get('from')} ${q.get('to')}`);
        if (failing.has(q.get('station')!)) return json(res, 500, { error: 'down' });
        return json(res, 200, { data: [{ at: q.get('from'), station: q.get('station') }] });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { asked.length = 0; failing.clear(); });

  const input = (extra: Partial<FeedSpecInput> = {}): FeedSpecInput => baseSpec(`${api.url}/events`, {
    request: { url: `${api.url}/events`, query: { station: '{{ partition.station }}', from: '{{ cursor }}', to: '{{ window.end | format: yyyy-MM-dd }}' } },
    partitions: { type: 'list', values: [{ station: 'A' }, { station: 'B' }] },
    incremental: { cursorPath: 'at', type: 'datetime', start: '2026-06-01T00:00:00Z', lookbackSeconds: 3600 },
    ...extra,
  });
  const request: BackfillRequest = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-04T00:00:00.000Z', windowSeconds: 86_400 };

  function backfill(state: MemoryStateStore, extra: Partial<BackfillOptions> = {}, spec = input()) {
    const redactor = new SecretRedactor();
    const sinks: CollectingSink[] = [];
    const run = runBackfill(parseFeedSpec(spec), {
      request,
      sinkFor: () => { const sink = new CollectingSink(); sinks.push(sink); return sink; },
      state,
      secrets: new CachingSecretResolver(async () => '', redactor),
      logger: jsonLogger(redactor, () => undefined),
      redactor,
      allowLoopback: true,
      minBackoffMs: 1,
      ...extra,
    });
    return run.then((summary) => ({ summary, records: sinks.flatMap((s) => s.records) }));
  }

  test('each window asks for its own range ({{ cursor }} is its start, no lookback) and the live cursor is not touched', async () => {
    const state = new MemoryStateStore();
    await state.putCursor('test-feed', '{"station":"A"}', '2026-06-10T00:00:00Z');
    const { summary, records } = await backfill(state, { concurrency: 1 });
    expect(summary).toMatchObject({ status: 'succeeded', windows: 3, windowsDone: 3, runs: { recordsDelivered: 6, partitions: 6 } });
    expect(asked).toEqual([
      'A 2026-01-01T00:00:00.000Z 2026-01-02', 'B 2026-01-01T00:00:00.000Z 2026-01-02',
      'A 2026-01-02T00:00:00.000Z 2026-01-03', 'B 2026-01-02T00:00:00.000Z 2026-01-03',
      'A 2026-01-03T00:00:00.000Z 2026-01-04', 'B 2026-01-03T00:00:00.000Z 2026-01-04',
    ]);
    expect(records).toHaveLength(6);
    expect(await state.getCursor('test-feed', '{"station":"A"}')).toBe('2026-06-10T00:00:00Z');
    expect(await state.getCursor('test-feed', '{"station":"B"}')).toBeUndefined();
  });

  test('a window where one partition failed is incomplete; the next run fetches only that partition of that window', async () => {
    const state = new MemoryStateStore();
    failing.add('B');
    const first = await backfill(state, { concurrency: 2 });
    expect(first.summary).toMatchObject({ status: 'partial', windowsDone: 0, windowsIncomplete: 3, runs: { partitionsFailed: 3 } });
    expect(first.summary.incomplete[0]).toEqual({ window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' }, reason: expect.stringContaining('500') });
    failing.clear();
    asked.length = 0;
    const second = await backfill(state, { concurrency: 2 });
    expect(second.summary).toMatchObject({ status: 'succeeded', windowsDone: 3, runs: { recordsDelivered: 3 } });
    expect(asked.map((a) => a.split(' ')[0])).toEqual(['B', 'B', 'B']);
    asked.length = 0;
    expect((await backfill(state)).summary).toMatchObject({ status: 'succeeded', windowsAlreadyDone: 3, windowsDone: 0 });
    expect(asked).toEqual([]);
  });

  test('windows not started when the time budget is reached are left for the next run', async () => {
    const clock = new FakeClock(Date.parse('2026-02-01T00:00:00Z'));
    const { summary } = await backfill(new MemoryStateStore(), { deadline: clock.now(), clock });
    expect(summary).toMatchObject({ status: 'partial', windowsDone: 0, windowsIncomplete: 3 });
    expect(summary.incomplete.map((i) => i.reason)).toEqual(['not started: time budget reached', 'not started: time budget reached', 'not started: time budget reached']);
    expect(asked).toEqual([]);
  });

  test('every window of the process takes its requests from one rate budget', async () => {
    const clock = new FakeClock();
    const spec = input({ partitions: undefined, request: { url: `${api.url}/events`, query: { from: '{{ window.start }}', to: '{{ window.end }}' } }, limits: { requestsPerSecond: 10 } });
    const eight = { ...request, to: '2026-01-09T00:00:00.000Z' };
    const { summary } = await backfill(new MemoryStateStore(), { request: eight, clock, concurrency: 4 }, spec);
    expect(summary).toMatchObject({ status: 'succeeded', windowsDone: 8 });
    // Eight requests at 10 a second: every one but the first waited for its slot, the four first windows' last one 300 ms.
    expect(clock.sleeps).toHaveLength(7);
    expect(clock.sleeps.slice(0, 3)).toEqual([100, 200, 300]);
  });
});

describe('a live run\'s window', () => {
  test('runs from the cursor (lookback applied) to the run\'s time', async () => {
    const seen: string[] = [];
    const api = await startLoopbackApi({
      '/events': (_req, res, url) => {
        seen.push(`${url.searchParams.get('from')} ${url.searchParams.get('to')}`);
        json(res, 200, { data: [] });
      },
    });
    try {
      const state = new MemoryStateStore();
      await state.putCursor('test-feed', '-', '2026-03-01T10:00:00Z');
      await runSpec(baseSpec(`${api.url}/events`, {
        request: { url: `${api.url}/events`, query: { from: '{{ window.start }}', to: '{{ window.end | format: unix }}' } },
        incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 600 },
      }), { state, runTime: new Date('2026-03-01T12:00:00Z') });
      expect(seen).toEqual([`2026-03-01T09:50:00.000Z ${Date.parse('2026-03-01T12:00:00Z') / 1000}`]);
    } finally {
      await api.close();
    }
  });
});
