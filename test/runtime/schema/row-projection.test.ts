import { parseFeedSpec } from '../../../src/feed-spec/feed-spec';
import { RecordSchemaSpec, rowColumnNames } from '../../../src/feed-spec/record-schema';
import { EXACT_INTEGERS, parseExact, stringifyExact } from '../../../src/runtime/engine/exact-json';
import { RowProjector } from '../../../src/runtime/schema/row-projection';

function schema(columns: RecordSchemaSpec['columns'], contract: RecordSchemaSpec['contract'] = 'evolve'): RecordSchemaSpec {
  return { columns, contract };
}

describe('RowProjector: values become their column type', () => {
  const allTypes = schema({
    id: { type: 'integer' },
    name: { type: 'string' },
    price: { type: 'number' },
    active: { type: 'boolean' },
    seen: { type: 'timestamp' },
    seen_unix: { type: 'timestamp', format: 'unix', path: 'seen_s' },
    seen_ms: { type: 'timestamp', format: 'unixms', path: 'seen_ms' },
    day: { type: 'date' },
    raw: { type: 'json' },
    updated: { type: 'timestamp', path: 'meta.updated_at' },
    loc: { type: 'struct', fields: { lat: { type: 'number' }, city: { type: 'string', path: 'address.city' } } },
    tags: { type: 'array', items: { type: 'string' } },
  }, 'discardColumns');
  const projector = new RowProjector(allTypes);

  test('every type, read from its path', () => {
    const { columns, drift } = projector.project({
      id: '42',
      name: 7,
      price: '9.5',
      active: 'true',
      seen: '2026-11-05 10:00:00',
      seen_s: 1_700_000_000,
      seen_ms: '1700000000123',
      day: '2026-11-05',
      raw: { any: [1, 'x'] },
      meta: { updated_at: '2026-11-05T10:00:00+02:00' },
      loc: { lat: 1.25, address: { city: 'Seoul' } },
      tags: ['a', 'b'],
    });
    expect(drift).toEqual({ unknownFields: [], typeMismatches: [] });
    expect(columns).toEqual({
      id: 42,
      name: '7',
      price: 9.5,
      active: true,
      // No offset: UTC, not the machine's zone.
      seen: '2026-11-05T10:00:00.000Z',
      seen_unix: '2023-11-14T22:13:20.000Z',
      seen_ms: '2023-11-14T22:13:20.123Z',
      day: '2026-11-05',
      raw: '{"any":[1,"x"]}',
      updated: '2026-11-05T08:00:00.000Z',
      loc: { lat: 1.25, city: 'Seoul' },
      tags: ['a', 'b'],
    });
    // The projection's columns are a row's after the envelope's: the shape the tables are made from.
    expect(['feed', 'record_id', 'fetched_at', 'source_url', 'partition', ...Object.keys(columns)]).toEqual(rowColumnNames(allTypes));
  });

  test.each([
    ['2026-11-05T10:00:00Z', '2026-11-05T10:00:00.000Z'],
    ['2026-11-05T10:00:00.123Z', '2026-11-05T10:00:00.123Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['2026-11-30T10:00:00Z', '2026-11-30T10:00:00.000Z'],
    ['2026-11-05T10:00:00.5Z', '2026-11-05T10:00:00.500Z'],
    ['2026-11-05T10:00Z', '2026-11-05T10:00:00.000Z'],
  ])('timestamp %s is written as %s', (text, iso) => {
    expect(projector.project({ seen: text }).columns.seen).toBe(iso);
  });

  test('missing fields and nulls are null, not drift', () => {
    const { columns, drift } = projector.project({ id: null, loc: { lat: null } });
    expect(drift).toEqual({ unknownFields: [], typeMismatches: [] });
    expect(columns.id).toBeNull();
    expect(columns.name).toBeNull();
    expect(columns.loc).toEqual({ lat: null, city: null });
  });

  test.each([
    ['id', 1.5, 'id: expected integer, got number 1.5'],
    ['id', '99999999999999999999', 'id: expected integer, got string "99999999999999999999"'],
    ['price', 'n/a', 'price: expected number, got string "n/a"'],
    ['active', 1, 'active: expected boolean, got number 1'],
    ['seen', 'yesterday', 'seen: expected timestamp, got string "yesterday"'],
    ['seen_s', 'soon', 'seen_s: expected timestamp (unix), got string "soon"'],
    ['day', '2026-02-30', 'day: expected date, got string "2026-02-30"'],
    ['seen', '2026-02-29T00:00:00Z', 'seen: expected timestamp, got string "2026-02-29T00:00:00Z"'],
    ['seen', '2026-04-31T10:00:00.000Z', 'seen: expected timestamp, got string "2026-04-31T10:00:00.000Z"'],
    ['name', { first: 'a' }, 'name: expected string, got an object'],
    ['tags', 'a,b', 'tags: expected array, got string "a,b"'],
    ['loc', [1, 2], 'loc: expected struct, got an array'],
  ])('%s = %j is a type mismatch', (field, value, message) => {
    const { columns, drift } = projector.project({ [field]: value });
    expect(drift.typeMismatches).toEqual([message]);
    const column = field === 'seen_s' ? 'seen_unix' : field;
    expect(columns[column]).toBeNull();
  });

  test('a wrong element of an array or field of a struct is named by its path', () => {
    const { columns, drift } = projector.project({ tags: ['a', { b: 1 }], loc: { lat: 'north', extra: 1 } });
    expect(drift.typeMismatches).toEqual(['loc.lat: expected number, got string "north"', 'tags[1]: expected string, got an object']);
    expect(drift.unknownFields).toEqual(['loc.extra']);
    expect(columns.tags).toEqual(['a', null]);
  });

  test('a record that is not an object is a mismatch, not a crash', () => {
    expect(projector.project([1, 2]).drift.typeMismatches).toEqual(['the record: expected an object, got an array']);
  });
});

describe('RowProjector: the contract decides what drift becomes', () => {
  const columns = { id: { type: 'integer' as const }, score: { type: 'number' as const } };
  const record = { id: 1, score: 'high', surprise: { nested: true } };

  test('evolve keeps unknown fields and wrong-typed values as JSON in extra_fields', () => {
    const row = new RowProjector(schema(columns, 'evolve')).project(record);
    expect(row.rejected).toBeUndefined();
    expect(row.columns).toEqual({ id: 1, score: null, extra_fields: '{"score":"high","surprise":{"nested":true}}' });
    expect(row.drift).toEqual({ unknownFields: ['surprise'], typeMismatches: ['score: expected number, got string "high"'] });
  });

  test('evolve writes extra_fields as null when the record fits', () => {
    expect(new RowProjector(schema(columns, 'evolve')).project({ id: 1, score: 2 }).columns).toEqual({ id: 1, score: 2, extra_fields: null });
  });

  test('discardColumns drops them, and says so in the drift', () => {
    const row = new RowProjector(schema(columns, 'discardColumns')).project(record);
    expect(row.columns).toEqual({ id: 1, score: null });
    expect(row.drift.unknownFields).toEqual(['surprise']);
    expect(row.rejected).toBeUndefined();
  });

  test('freeze rejects the record with what broke the contract and how to fix it', () => {
    const row = new RowProjector(schema(columns, 'freeze')).project(record);
    expect(row.rejected).toBe('the record breaks the schema\'s freeze contract (fields not in the schema: surprise; values of the wrong type: '
      + 'score: expected number, got string "high"): add the fields to the schema, or choose the evolve or discardColumns contract, then redrive');
    expect(new RowProjector(schema(columns, 'freeze')).project({ id: 1, score: 2 }).rejected).toBeUndefined();
  });

  test('a field read through a dotted path is known, with its siblings unknown only inside structs', () => {
    const row = new RowProjector(schema({ updated: { type: 'timestamp', path: 'meta.updated_at' } })).project({ meta: { updated_at: '2026-01-01T00:00:00Z', other: 1 } });
    expect(row.drift.unknownFields).toEqual([]);
  });
});

describe('the schema refuses column names every row already has', () => {
  test.each(['record_id', 'fetched_at', 'partition', 'extra_fields'])('%s', (name) => {
    expect(() => parseFeedSpec({
      version: 1,
      feed: 'f',
      request: { url: 'https://api.example.com/x' },
      records: { path: 'data' },
      schema: { columns: { [name]: { type: 'string' } } },
    } as any)).toThrow(`spec.schema.columns.${name}: "${name}" is a column every row already has (feed, record_id, fetched_at, source_url, partition, extra_fields); name the column otherwise and set "path": "${name}" to read the record's field`);
  });
});

describe('integers beyond 2^53 (64-bit ids) stay exact in rows', () => {
  // The poller's runtime (Node.js 24) passes a reviver each literal's text; the tests run on it (scripts/with-node24.sh).
  test('this runtime keeps them exact', () => {
    expect(EXACT_INTEGERS).toBe(true);
  });

  const projector = new RowProjector(schema({ id: { type: 'integer' }, id_text: { type: 'string', path: 'id' }, raw: { type: 'json', path: 'id' } }, 'discardColumns'));

  test('an integer column holds the exact value, and the row writes it digit for digit', () => {
    const record = parseExact('{"id": 1234567890123456789}');
    const { columns, drift } = projector.project(record);
    expect(drift.typeMismatches).toEqual([]);
    expect(columns).toEqual({ id: 1234567890123456789n, id_text: '1234567890123456789', raw: '1234567890123456789' });
    expect(stringifyExact(columns)).toBe('{"id":1234567890123456789,"id_text":"1234567890123456789","raw":"1234567890123456789"}');
  });

  test('integer text beyond 2^53 too; beyond 64 bits it is a mismatch, not a wrong number', () => {
    expect(projector.project({ id: '-9223372036854775808' }).columns.id).toBe(-9223372036854775808n);
    expect(projector.project(parseExact('{"id": 9223372036854775808}')).drift.typeMismatches).toEqual(['id: expected integer, got number 9223372036854775808']);
  });

  test('a rounded double is never written as if exact', () => {
    // What JSON.parse alone would give: both columns refuse it rather than write wrong digits.
    expect(projector.project({ id: 1234567890123456789 }).drift.typeMismatches).toEqual([
      'id: expected integer, got number 1234567890123456800',
      'id: expected string, got number 1234567890123456800',
    ]);
  });
});
