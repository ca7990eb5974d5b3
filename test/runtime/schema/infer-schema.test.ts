import { validateFeedSpec } from '../../../src/feed-spec/feed-spec';
import { columnNameOf, inferSchema } from '../../../src/runtime/schema/infer-schema';

describe('inferSchema', () => {
  test('types merged across records: integers widen to numbers, nulls say nothing, dates and timestamps are told from strings', () => {
    const { columns, conflicts, records } = inferSchema([
      { id: 1, price: 10, active: true, day: '2026-11-30', at: '2026-11-30T10:00:00Z', note: null },
      { id: 2, price: 10.5, active: false, day: '2026-12-01', at: '2026-12-01T10:00:00.123+09:00', note: 'late' },
    ]);
    expect(records).toBe(2);
    expect(conflicts).toEqual([]);
    expect(columns).toEqual({
      id: { type: 'integer' },
      price: { type: 'number' },
      active: { type: 'boolean' },
      day: { type: 'date' },
      at: { type: 'timestamp' },
      note: { type: 'string' },
    });
  });

  test('nested objects become structs, arrays carry their element type, names become snake_case with the field as path', () => {
    const { columns } = inferSchema([
      { 'userId': 7, 'geo': { lat: 37.5, lng: 127 }, 'tags': ['a', 'b'], 'Last-Modified': '2026-12-01T00:00:00Z' },
      { userId: 8, geo: { lat: 35.1, lng: 129.04 }, tags: [] },
    ]);
    expect(columns).toEqual({
      user_id: { type: 'integer', path: 'userId' },
      geo: { type: 'struct', fields: { lat: { type: 'number' }, lng: { type: 'number' } } },
      tags: { type: 'array', items: { type: 'string' } },
      last_modified: { type: 'timestamp', path: 'Last-Modified' },
    });
  });

  test('a field whose values disagree is reported with what was seen, and typed json so no value is lost', () => {
    const { columns, conflicts } = inferSchema([{ score: 1, meta: { code: 'A' } }, { score: 'n/a', meta: { code: 2 } }]);
    expect(columns.score).toEqual({ type: 'json' });
    expect(columns.meta).toEqual({ type: 'struct', fields: { code: { type: 'json' } } });
    expect(conflicts).toEqual([{ path: 'score', seen: ['integer', 'string'] }, { path: 'meta.code', seen: ['integer', 'string'] }]);
  });

  test('structs nested deeper than five levels are kept as raw JSON', () => {
    const { columns } = inferSchema([{ a: { b: { c: { d: { e: { f: 1 } } } } } }]);
    expect(columns.a.fields!.b.fields!.c.fields!.d.fields!.e).toEqual({ type: 'json' });
  });

  test('column names are what Glue and Athena accept', () => {
    expect(['userId', 'HTTPStatus', '2fa', 'a b', 'Ünïcode', '__x'].map(columnNameOf)).toEqual(['user_id', 'httpstatus', '_2fa', 'a_b', 'unicode', 'x']);
  });

  test('an inferred schema is a valid spec schema', () => {
    const { columns } = inferSchema([{ userId: 1, geo: { lat: 1.5 }, tags: [1, 2], at: '2026-12-01T00:00:00Z', mixed: 1 }, { mixed: 'x' }]);
    const result = validateFeedSpec({ version: 1, feed: 'f', request: { url: 'https://api.example.com/x' }, records: { path: 'data' }, schema: { columns } });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});
