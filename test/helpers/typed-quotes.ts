/**
 * A quotes feed with a schema of every column type, for the tests that compare what the local
 * run writes (Parquet, read back by pyarrow and pyiceberg) with the tables the construct
 * synthesizes for the same spec.
 */
import { FeedSpecInput } from '../../src/feed-spec/feed-spec';

export function quotesSpec(url: string): FeedSpecInput {
  return {
    version: 1,
    feed: 'quotes',
    request: { url },
    records: { path: 'quotes' },
    partitions: { type: 'list', values: [{ desk: 'equities' }] },
    schema: {
      columns: {
        symbol: { type: 'string' },
        exchange: { type: 'string' },
        price: { type: 'number' },
        volume: { type: 'integer' },
        halted: { type: 'boolean' },
        quoted_at: { type: 'timestamp', format: 'unixms', path: 'ts' },
        trade_date: { type: 'date' },
        venue: { type: 'struct', fields: { mic: { type: 'string' }, open: { type: 'boolean' } } },
        tags: { type: 'array', items: { type: 'string' } },
        raw_flags: { type: 'json', path: 'flags' },
      },
      contract: 'evolve',
    },
  };
}
