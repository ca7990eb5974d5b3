import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingSink, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

interface Event { id: number; meta: { updated_at: string }; seq: number }
const EVENTS: Event[] = Array.from({ length: 12 }, (_, i) => ({
  id: i + 1,
  meta: { updated_at: new Date(Date.UTC(2026, 0, 1, i)).toISOString() },
  seq: 100 + i,
}));

describe('incremental cursors', () => {
  let api: LoopbackApi;
  const since: string[] = [];
  let published = 6;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/events': (_req, res, url) => {
        const s = url.searchParams.get('updated_since')!;
        since.push(`${url.searchParams.get('region') ?? '-'}:${s}`);
        json(res, 200, { data: EVENTS.slice(0, published).filter((e) => Date.parse(e.meta.updated_at) >= Date.parse(s)) });
      },
      '/paged': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        json(res, 200, { data: EVENTS.slice((page - 1) * 2, page * 2) });
      },
      '/by-seq': (_req, res, url) => {
        const after = Number(url.searchParams.get('after'));
        json(res, 200, { data: EVENTS.slice(0, published).filter((e) => e.seq > after) });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { since.length = 0; published = 6; });

  const spec = (extra: object = {}) => baseSpec(`${api.url}/events`, {
    request: { url: `${api.url}/events`, query: { updated_since: '{{ cursor }}' } },
    incremental: { cursorPath: 'meta.updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    ...extra,
  });

  test('the first run starts at the start value; the next starts at the highest cursor delivered', async () => {
    const state = new MemoryStateStore();
    const first = await runSpec(spec(), { state });
    expect(first.summary.recordsFetched).toBe(6);
    expect(first.summary.cursorsCommitted).toBe(1);
    published = 12;
    const second = await runSpec(spec(), { state });
    expect(since).toEqual(['-:2026-01-01T00:00:00Z', '-:2026-01-01T05:00:00.000Z']);
    // The record at the cursor is read again (>=): the same record_id marks it a duplicate.
    expect(second.sink.records.map((r) => r.id)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(second.sink.envelopes[0].record_id).toBe(first.sink.envelopes[5].record_id);
  });

  test('a dry run (what a preview is) hands records to the sink but moves no cursor and completes no execution', async () => {
    const state = new MemoryStateStore();
    const dry = await runSpec(spec(), { state, dryRun: true });
    expect(dry.sink.records).toHaveLength(6);
    expect(dry.summary.cursorsCommitted).toBe(0);
    expect(await state.getCursor('test-feed', '-')).toBeUndefined();
    // The next real run starts from the start value, as if the dry run had not happened.
    await runSpec(spec(), { state });
    expect(since).toEqual(['-:2026-01-01T00:00:00Z', '-:2026-01-01T00:00:00Z']);
  });

  test('stopWhen stops before the next page, with the progress so far; the stop is reported', async () => {
    const seen: Array<{ pages: number; records: number }> = [];
    const { summary } = await runSpec(baseSpec(`${api.url}/paged`, { pagination: { type: 'pageNumber', param: 'page', stop: { maxPages: 5 } } }), {
      dryRun: true,
      stopWhen: (progress) => { seen.push(progress); return progress.pages >= 2 ? 'enough pages' : undefined; },
    });
    expect(summary.pages).toBe(2);
    expect(summary.stoppedEarly).toBe('enough pages');
    // A preview's page limit leaves nothing behind (it commits nothing): not a partial run.
    expect(summary.status).toBe('succeeded');
    expect(seen).toEqual([{ pages: 0, records: 0 }, { pages: 1, records: 2 }, { pages: 2, records: 4 }]);
  });

  test('a lookback window re-reads late-arriving data', async () => {
    const state = new MemoryStateStore();
    await runSpec(spec({ incremental: { cursorPath: 'meta.updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 7200 } }), { state });
    await runSpec(spec({ incremental: { cursorPath: 'meta.updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 7200 } }), { state });
    expect(since).toEqual(['-:2025-12-31T22:00:00.000Z', '-:2026-01-01T03:00:00.000Z']);
  });

  test('cursors are kept per partition', async () => {
    const state = new MemoryStateStore();
    await runSpec(spec({
      request: { url: `${api.url}/events`, query: { updated_since: '{{ cursor }}', region: '{{ partition.region }}' } },
      partitions: { type: 'list', values: [{ region: 'eu' }, { region: 'us' }] },
    }), { state });
    expect([...state.cursors.entries()]).toEqual([
      ['test-feed|{"region":"eu"}', '2026-01-01T05:00:00.000Z'],
      ['test-feed|{"region":"us"}', '2026-01-01T05:00:00.000Z'],
    ]);
  });

  test('a number cursor', async () => {
    const state = new MemoryStateStore();
    const numberSpec = baseSpec(`${api.url}/by-seq`, {
      request: { url: `${api.url}/by-seq`, query: { after: '{{ cursor }}' } },
      incremental: { cursorPath: 'seq', type: 'number', start: 0 },
    });
    await runSpec(numberSpec, { state });
    published = 12;
    const second = await runSpec(numberSpec, { state });
    expect(second.sink.records.map((r) => r.seq)).toEqual([106, 107, 108, 109, 110, 111]);
  });

  test('the cursor is not committed when the sink did not accept the records', async () => {
    const state = new MemoryStateStore();
    const sink = new CollectingSink();
    sink.failWith = new Error('Firehose did not accept 6 line(s)');
    await expect(runSpec(spec(), { state, sink })).rejects.toThrow('Firehose did not accept 6 line(s)');
    expect(state.cursors.size).toBe(0);
  });

  test('a run stopped early (time budget) is partial: its cursor is not committed, the partition is held for the next run', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runSpec(spec(), { state, deadline: Date.now() - 1 });
    expect(summary.stoppedEarly).toBe('time budget reached');
    // Records the API offers are not in the destination yet: not green.
    expect(summary).toMatchObject({ status: 'partial', partitionsFailed: 0, partitionsHeld: [null] });
    expect(state.cursors.size).toBe(0);
  });
});

describe('incremental.stopAtCursor: an API that lists newest first and has no filter', () => {
  // As GitHub's repository events API: newest first, pages of a fixed size, no "since" parameter.
  let api: LoopbackApi;
  let events: Array<{ id: string; created_at: string }> = [];
  const pagesAsked: number[] = [];
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/repos/o/r/events': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        pagesAsked.push(page);
        json(res, 200, events.slice((page - 1) * 10, page * 10));
      },
    });
  });
  afterAll(() => api.close());
  const hourly = (count: number, newest: number) => Array.from({ length: count }, (_, i) => ({
    id: `e${newest - i}`, created_at: new Date(Date.UTC(2026, 11, 1) + (newest - i) * 3_600_000).toISOString(),
  }));
  beforeEach(() => { pagesAsked.length = 0; events = hourly(40, 20); });

  const spec = (stopAtCursor = true) => baseSpec(`${api.url}/repos/o/r/events`, {
    // Without stopAtCursor, a filter parameter the API ignores (the other case stopAtCursor is for).
    request: stopAtCursor ? { url: `${api.url}/repos/o/r/events` } : { url: `${api.url}/repos/o/r/events`, query: { since: '{{ cursor }}' } },
    records: { path: '$' },
    pagination: { type: 'pageNumber', param: 'page', stop: { shortPage: 10 } },
    incremental: { cursorPath: 'created_at', type: 'datetime', start: '2026-12-01T12:00:00Z', stopAtCursor },
  });

  test('delivers the records at or after the cursor, none older, and asks for no page after the one that reached it', async () => {
    const state = new MemoryStateStore();
    const first = await runSpec(spec(), { state });
    expect(first.summary).toMatchObject({ status: 'succeeded', pages: 1, recordsFetched: 10, recordsBeforeCursor: 1, cursorStalls: 0 });
    // e20 (20:00) down to e12 (12:00, at the start: kept), not e11.
    expect(first.sink.records.map((r) => r.id)).toEqual(['e20', 'e19', 'e18', 'e17', 'e16', 'e15', 'e14', 'e13', 'e12']);
    expect(pagesAsked).toEqual([1]);
    expect(await state.getCursor('test-feed', '-')).toBe(events[0].created_at);

    // 15 new events on top: the next run reads them and the one at the cursor, over two pages.
    events = hourly(55, 35);
    pagesAsked.length = 0;
    const second = await runSpec(spec(), { state });
    expect(second.sink.records.map((r) => r.id)).toEqual(Array.from({ length: 16 }, (_, i) => `e${35 - i}`));
    expect(second.summary).toMatchObject({ status: 'succeeded', pages: 2, recordsBeforeCursor: 4 });
    expect(pagesAsked).toEqual([1, 2]);
  });

  test('without it, every page is read and every old record delivered again', async () => {
    const { summary } = await runSpec(spec(false));
    expect(summary).toMatchObject({ pages: 5, recordsFetched: 40, recordsDelivered: 40 });
    expect(summary.recordsBeforeCursor).toBeUndefined();
  });
});
