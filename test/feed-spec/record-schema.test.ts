import { validateFeedSpec } from '../../src/feed-spec/feed-spec';

function problems(schema: unknown): Array<{ path: string; message: string }> {
  const result = validateFeedSpec({ version: 1, feed: 'f', request: { url: 'https://api.example.com/x' }, records: { path: 'data' }, schema });
  return result.ok ? [] : result.problems;
}

describe('the spec\'s schema section', () => {
  test('a valid schema: scalar, timestamp with its format, struct, array, raw json; the contract defaults to evolve', () => {
    const result = validateFeedSpec({
      version: 1,
      feed: 'f',
      request: { url: 'https://api.example.com/x' },
      records: { path: 'data' },
      schema: {
        columns: {
          id: { type: 'integer' },
          updated_at: { type: 'timestamp', path: 'meta.updatedAt', format: 'unixms' },
          geo: { type: 'struct', fields: { lat: { type: 'number' } } },
          tags: { type: 'array', items: { type: 'string' } },
          raw: { type: 'json' },
        },
      },
    });
    expect(result.ok && result.spec.schema?.contract).toBe('evolve');
  });

  test.each([
    ['a column name Athena refuses', { columns: { userId: { type: 'string' } } }, 'spec.schema.columns.userId', /"userId" is not a column name Glue and Athena accept/],
    ['a struct without fields', { columns: { geo: { type: 'struct' } } }, 'spec.schema.columns.geo.fields', /a struct needs its fields/],
    ['an array without its element', { columns: { tags: { type: 'array' } } }, 'spec.schema.columns.tags.items', /an array needs its element type/],
    ['a format on a non-timestamp', { columns: { n: { type: 'integer', format: 'unix' } } }, 'spec.schema.columns.n.format', /is for a timestamp, not a integer/],
    ['a misspelt type', { columns: { at: { type: 'timestmap' } } }, 'spec.schema.columns.at.type', /"timestmap" is not one of .*; did you mean "timestamp"\?/],
    ['a misspelt contract', { columns: { id: { type: 'integer' } }, contract: 'freez' }, 'spec.schema.contract', /did you mean "freeze"\?/],
    ['no columns', { columns: {} }, 'spec.schema.columns', /must name at least one column/],
  ])('%s is refused with its path', (_name, schema, path, message) => {
    expect(problems(schema)).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});
