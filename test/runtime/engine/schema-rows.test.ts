/**
 * A spec with a schema: the engine writes rows (the envelope's fields, then the schema's columns)
 * and never loses what does not fit: it is counted, and kept, dropped or dead-lettered by the
 * contract. Against a real loopback API.
 */
import type { FeedSpecInput } from '../../../src/feed-spec/feed-spec';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingDeadLetters, runSpec } from '../../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const RECORDS = [
  { id: 1, temp: 20.5, at: '2026-11-05T10:00:00Z' },
  { id: 2, temp: 'n/a', at: '2026-11-05T11:00:00Z' },
  { id: 3, temp: 19, at: '2026-11-05T12:00:00Z', sensor: { model: 'x1' } },
];


let api: LoopbackApi;
beforeAll(async () => {
  api = await startLoopbackApi({
    '/obs': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: RECORDS })),
  });
});
afterAll(() => api.close());

function specWith(contract: string, overrides: Partial<FeedSpecInput> = {}): FeedSpecInput {
  return baseSpec(`${api.url}/obs`, {
    schema: { columns: { id: { type: 'integer' }, temp: { type: 'number' }, observed_at: { type: 'timestamp', path: 'at' } }, contract },
    ...overrides,
  } as Partial<FeedSpecInput>);
}

test('rows carry the envelope fields, then the columns; record_id is the envelope\'s', async () => {
  const rows = await runSpec(specWith('evolve'));
  const envelopes = await runSpec(baseSpec(`${api.url}/obs`));
  const parsed = rows.sink.lines.map((line) => JSON.parse(line));
  expect(Object.keys(parsed[0])).toEqual(['feed', 'record_id', 'fetched_at', 'source_url', 'partition', 'id', 'temp', 'observed_at', 'extra_fields']);
  expect(parsed[0]).toEqual(expect.objectContaining({ feed: 'test-feed', source_url: `${api.url}/obs`, partition: null, id: 1, temp: 20.5, observed_at: '2026-11-05T10:00:00.000Z', extra_fields: null }));
  // A record has the same id with or without a schema: deduplication works across both.
  expect(parsed.map((row) => row.record_id)).toEqual(envelopes.sink.envelopes.map((envelope) => envelope.record_id));
  expect(rows.sink.lines.every((line) => line.endsWith('}\n'))).toBe(true);
});

test('partition fields are JSON text in the partition column', async () => {
  const { sink } = await runSpec(specWith('evolve', { partitions: { type: 'list', values: [{ station: 'SEL' }] } } as Partial<FeedSpecInput>));
  expect(JSON.parse(sink.lines[0]).partition).toBe('{"station":"SEL"}');
});

test('evolve: drift is counted and kept in extra_fields; every record is delivered', async () => {
  const { summary, sink } = await runSpec(specWith('evolve'));
  expect(summary.status).toBe('succeeded');
  expect(summary.recordsDelivered).toBe(3);
  expect(summary.schemaDrift).toEqual({
    unknownFields: 1,
    typeMismatches: 1,
    recordsWithDrift: 2,
    recordsRejected: 0,
    examples: ['temp: expected number, got string "n/a"', 'sensor: not in the schema'],
  });
  expect(sink.lines.map((line) => JSON.parse(line).extra_fields)).toEqual([null, '{"temp":"n/a"}', '{"sensor":{"model":"x1"}}']);
});

test('discardColumns: drift is counted and dropped', async () => {
  const { summary, sink } = await runSpec(specWith('discardColumns'));
  expect(summary.recordsDelivered).toBe(3);
  expect(summary.schemaDrift).toEqual(expect.objectContaining({ unknownFields: 1, typeMismatches: 1, recordsRejected: 0 }));
  expect(JSON.parse(sink.lines[1])).not.toHaveProperty('extra_fields');
  expect(JSON.parse(sink.lines[1]).temp).toBeNull();
});

test('freeze: records with drift go to the dead-letter queue as their envelopes, with the reason; the run says so', async () => {
  const deadLetters = new CollectingDeadLetters();
  const state = new MemoryStateStore();
  const { summary, sink } = await runSpec(specWith('freeze'), { deadLetters, state });
  expect(sink.lines.map((line) => JSON.parse(line).id)).toEqual([1]);
  expect(summary.status).toBe('completedWithDeadLetters');
  expect(summary.recordsDeadLettered).toBe(2);
  expect(summary.schemaDrift?.recordsRejected).toBe(2);
  expect(deadLetters.records).toHaveLength(1);
  const letter = deadLetters.records[0];
  expect(letter.lineCount).toBe(2);
  expect(letter.lines.trimEnd().split('\n').map((line) => JSON.parse(line).record)).toEqual([RECORDS[1], RECORDS[2]]);
  expect(letter.error).toMatch(/^the record breaks the schema's freeze contract \(values of the wrong type: temp: expected number, got string "n\/a"\): add the fields.*, then redrive \(and 1 more record\(s\) of this page for other reasons of this kind\)$/);
});

test('freeze without a dead-letter queue fails the partition instead of dropping records; the cursor stays', async () => {
  const incremental = { incremental: { cursorPath: 'at', type: 'datetime', start: '2026-11-01T00:00:00Z' }, request: { url: `${api.url}/obs`, query: { since: '{{ cursor }}' } } } as Partial<FeedSpecInput>;
  const state = new MemoryStateStore();
  const { summary } = await runSpec(specWith('freeze', incremental), { state });
  expect(summary.status).toBe('failed');
  expect(summary.failures[0].error).toMatch(/^2 record\(s\) could not be written and there is no dead-letter queue to keep them: the record breaks the schema's freeze contract/);
  expect(await state.getCursor('test-feed', '-')).toBeUndefined();
  // The same feed under evolve commits its cursor: the freeze run above is what held it.
  const evolved = new MemoryStateStore();
  await runSpec(specWith('evolve', incremental), { state: evolved });
  expect(await evolved.getCursor('test-feed', '-')).toBe('2026-11-05T12:00:00Z');
});

test('a dry run (preview) counts what freeze would reject, and sends nothing', async () => {
  const deadLetters = new CollectingDeadLetters();
  const { summary } = await runSpec(specWith('freeze'), { deadLetters, dryRun: true });
  expect(summary.schemaDrift?.recordsRejected).toBe(2);
  expect(deadLetters.records).toEqual([]);
});
