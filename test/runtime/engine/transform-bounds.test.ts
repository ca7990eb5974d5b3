/**
 * Poison input never stalls a feed: a JSONata transform whose cost depends on the API's data (a
 * backtracking regex, a range or padding as long as a field says) is bounded per record in time,
 * result size and memory. The record past a bound goes to the dead-letter queue with the reason,
 * the page's other records are delivered, and the run's time budget holds. A real loopback API,
 * the engine and its worker thread (the bundle step's transform-worker.js).
 */
import type { FeedSpecInput } from '../../../src/feed-spec/feed-spec';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingDeadLetters, runSpec } from '../../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

// `(a+)+$` against 40 a's and a "!" backtracks through 2^40 paths: years, unless stopped.
const EVIL = `${'a'.repeat(40)}!`;
const RECORDS = [
  { id: 1, text: 'aaa', size: 10, at: '2026-11-01T00:00:00Z' },
  { id: 2, text: EVIL, size: 10, at: '2026-11-02T00:00:00Z' },
  { id: 3, text: 'aa', size: 3_000_000, at: '2026-11-03T00:00:00Z' },
  { id: 4, text: 'a', size: 10, at: '2026-11-04T00:00:00Z' },
];

let api: LoopbackApi;
beforeAll(async () => {
  api = await startLoopbackApi({ '/items': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: RECORDS })) });
});
afterAll(() => api.close());

const spec = (transform: Record<string, unknown>, overrides: Partial<FeedSpecInput> = {}) => baseSpec(`${api.url}/items?since={{ cursor }}`, {
  transform, incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' }, ...overrides,
} as Partial<FeedSpecInput>);

test('a backtracking regex past the time bound, and a result past the size bound: those records are dead-lettered with the reason, the others delivered', async () => {
  const deadLetters = new CollectingDeadLetters();
  const state = new MemoryStateStore();
  const { summary, sink } = await runSpec(spec({
    expression: '{ "id": id, "match": $contains(text, /^(a+)+$/), "pad": $pad("", size) }', timeoutMs: 1000, maxOutputBytes: 1_000_000,
  }), { deadLetters, state });
  expect(sink.records.map((r) => r.id)).toEqual([1, 4]);
  expect(summary).toMatchObject({ status: 'completedWithDeadLetters', recordsDeadLettered: 2, transform: { recordsIn: 4, recordsOut: 2, errors: 2 } });
  const letters = deadLetters.records.map((letter) => ({ ids: letter.lines.trim().split('\n').map((line) => JSON.parse(line).record.id), error: letter.error }));
  expect(letters).toEqual([{
    ids: [2, 3],
    error: expect.stringMatching(/^the transform took longer than its bound of 1000 ms on this record \(limits of the spec's transform: timeoutMs\) \(and 1 more record\(s\) of this page for other reasons of this kind\)$/),
  }]);
  // The poison records are kept, not retried forever: the cursor moved past them (redrive is the way back).
  expect(await state.getCursor('test-feed', '-')).toBe('2026-11-04T00:00:00Z');
});

test('a result over the size bound names the bound', async () => {
  const deadLetters = new CollectingDeadLetters();
  const { summary } = await runSpec(spec({ expression: '{ "id": id, "pad": $pad("", size) }', maxOutputBytes: 1_000_000 }), { deadLetters });
  expect(summary.recordsDeadLettered).toBe(1);
  expect(deadLetters.records[0].error).toMatch(/^the transform's result for this record is 3000017 bytes of JSON, over the bound of 1000000 bytes/);
});

test('a range as long as the API says fails on its memory or time bound, not the poller', async () => {
  const deadLetters = new CollectingDeadLetters();
  const { summary, sink } = await runSpec(spec({ expression: 'id = 3 ? { "n": $count([1..size] ~> $map(function($x) { [$x, $x, $x] })) } : { "id": id }', timeoutMs: 2000 }),
    { deadLetters });
  expect(sink.records.map((r) => r.id)).toEqual([1, 2, 4]);
  expect(summary.recordsDeadLettered).toBe(1);
  expect(deadLetters.records[0].error).toMatch(/^the transform (ran out of its 128 MB memory bound|took longer than its bound of 2000 ms) on this record/);
});

test('the run\'s time budget holds while a record runs long: the partition stops, nothing is dead-lettered, the cursor stays', async () => {
  const deadLetters = new CollectingDeadLetters();
  const state = new MemoryStateStore();
  const { summary } = await runSpec(spec({ expression: '{ "id": id, "match": $contains(text, /^(a+)+$/) }', timeoutMs: 60_000 }),
    { deadLetters, state, deadline: Date.now() + 500 });
  expect(summary).toMatchObject({ status: 'failed', recordsDelivered: 0 });
  expect(summary.failures[0].error).toMatch(/the run's time budget ran out while the transform was running/);
  expect(deadLetters.records).toEqual([]);
  expect(await state.getCursor('test-feed', '-')).toBeUndefined();
});
