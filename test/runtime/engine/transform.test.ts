/**
 * The spec's JSONata transform, run by the engine against a real loopback API: rename, drop,
 * flatten, computed fields, filters and one record becoming several; errors dead-lettered with the
 * record, never dropped; the incremental cursor read from the record as the API sent it.
 */
import { FeedSpecInput, validateFeedSpec } from '../../../src/feed-spec/feed-spec';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingDeadLetters, runSpec } from '../../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const ISSUES = [
  { id: 1, title: 'Crash', state: 'open', user: { login: 'ana', id: 7 }, labels: [{ name: 'bug' }, { name: 'p1' }], updated_at: '2026-11-05T10:00:00Z', temp_c: 20 },
  { id: 2, title: 'Docs', state: 'closed', user: { login: 'bo', id: 8 }, labels: [], updated_at: '2026-11-05T11:00:00Z', temp_c: 'warm' },
  { id: 3, title: 'Slow', state: 'open', user: { login: 'cy', id: 9 }, labels: [{ name: 'perf' }], updated_at: '2026-11-05T12:00:00Z', temp_c: 30 },
];


let api: LoopbackApi;
beforeAll(async () => {
  api = await startLoopbackApi({
    '/issues': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: ISSUES })),
  });
});
afterAll(() => api.close());

const withTransform = (expression: string, overrides: Partial<FeedSpecInput> = {}) =>
  baseSpec(`${api.url}/issues`, { transform: { expression }, ...overrides } as Partial<FeedSpecInput>);

test('rename, drop, flatten and computed fields in one expression; the envelope carries the result', async () => {
  const { sink, summary } = await runSpec(withTransform('{ "id": id, "author": user.login, "labels": labels.name, "open": state = "open" }'));
  expect(sink.records).toEqual([
    { id: 1, author: 'ana', labels: ['bug', 'p1'], open: true },
    { id: 2, author: 'bo', open: false },
    { id: 3, author: 'cy', labels: 'perf', open: true },
  ]);
  expect(summary.transform).toEqual({ recordsIn: 3, recordsOut: 3, recordsFiltered: 0, errors: 0 });
  // The id is the transformed record's: the same transform of the same record gives the same id.
  const again = await runSpec(withTransform('{ "id": id, "author": user.login, "labels": labels.name, "open": state = "open" }'));
  expect(again.sink.envelopes.map((e) => e.record_id)).toEqual(sink.envelopes.map((e) => e.record_id));
});

test('a filter drops records on purpose, and the run counts them', async () => {
  const { sink, summary } = await runSpec(withTransform('state = "open" ? $ : undefined'));
  expect(sink.records.map((r) => r.id)).toEqual([1, 3]);
  expect(summary).toMatchObject({ status: 'succeeded', recordsFetched: 3, recordsDelivered: 2, transform: { recordsFiltered: 1, errors: 0 } });
});

test('an array result makes several records (one per label), with $partition and $feed bound', async () => {
  const { sink } = await runSpec(withTransform('labels.{ "issue": %.id, "label": name, "team": $partition.team, "feed": $feed }', {
    partitions: { type: 'list', values: [{ team: 'core' }] },
  } as Partial<FeedSpecInput>));
  expect(sink.records).toEqual([
    { issue: 1, label: 'bug', team: 'core', feed: 'test-feed' },
    { issue: 1, label: 'p1', team: 'core', feed: 'test-feed' },
    { issue: 3, label: 'perf', team: 'core', feed: 'test-feed' },
  ]);
});

test('a record the transform fails on goes to the dead-letter queue as it came, with the error; the others are delivered', async () => {
  const deadLetters = new CollectingDeadLetters();
  const { sink, summary } = await runSpec(withTransform('{ "id": id, "temp_f": temp_c * 9 / 5 + 32 }'), { deadLetters });
  expect(sink.records).toEqual([{ id: 1, temp_f: 68 }, { id: 3, temp_f: 86 }]);
  expect(summary).toMatchObject({ status: 'completedWithDeadLetters', recordsDeadLettered: 1, transform: { errors: 1 } });
  expect(deadLetters.records).toHaveLength(1);
  expect(JSON.parse(deadLetters.records[0].lines).record).toEqual(ISSUES[1]);
  expect(deadLetters.records[0].error).toMatch(/^the transform failed on this record \(T2001: The left side of the "\*" operator must evaluate to a number\)/);
});

test('the cursor is read from the record the API sent, even when the transform drops that field or the record', async () => {
  const state = new MemoryStateStore();
  await runSpec(withTransform('state = "closed" ? { "id": id } : undefined', {
    request: { url: `${api.url}/issues`, query: { since: '{{ cursor }}' } },
    incremental: { cursorPath: 'updated_at', type: 'datetime', start: '2026-11-01T00:00:00Z' },
  } as Partial<FeedSpecInput>), { state });
  expect(await state.getCursor('test-feed', '-')).toBe('2026-11-05T12:00:00Z');
});

test('with a schema, the transform\'s result is what becomes the row', async () => {
  const { sink } = await runSpec(withTransform('{ "id": id, "author": user.login }', {
    schema: { columns: { id: { type: 'integer' }, author: { type: 'string' } }, contract: 'freeze' },
  } as Partial<FeedSpecInput>));
  expect(sink.lines.map((line) => JSON.parse(line)).map(({ id, author }) => ({ id, author }))).toEqual([
    { id: 1, author: 'ana' }, { id: 2, author: 'bo' }, { id: 3, author: 'cy' },
  ]);
});

describe('a transform that does not compile is refused by validate (and so at synth)', () => {
  test.each([
    ['{ "id": id', /spec.transform.expression: is not a JSONata expression that compiles \(S0203 at character 10: Expected "}" before end of expression\): \.\.\.\{ "id": id<here>/],
    ['$foo(', /spec.transform.expression: is not a JSONata expression that compiles \(S0203/],
    ['', /spec.transform.expression: must not be empty/],
  ])('%j', (expression, message) => {
    const result = validateFeedSpec(withTransform(expression));
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    expect(text).toMatch(message);
  });
});
