/**
 * A quotes feed with a schema of every column type, and the API's answer for it: for the tests
 * that compare what the local run writes (Parquet, read back by pyarrow and pyiceberg; rows loaded
 * into the Redshift DDL in PostgreSQL) with the tables the construct synthesizes for the same spec.
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

/** The API's quotes: typed values, values as strings to convert, and drift (an unknown field, a price that is not a number). */
export const QUOTES = [
  {
    symbol: 'ACME',
    exchange: 'XNYS',
    price: 101.25,
    volume: 'VOLUME',
    halted: false,
    ts: 1_764_662_400_123,
    trade_date: '2025-12-02',
    venue: { mic: 'XNYS', open: true },
    tags: ['tech', 'large-cap'],
    flags: { short: false, odd: [1, 2] },
  },
  {
    symbol: 'BOLT',
    exchange: 'XNAS',
    price: '7.5',
    volume: '1200',
    halted: 'true',
    ts: '1764662460000',
    trade_date: '2025-12-02',
    venue: { mic: null, open: false },
    tags: [],
    flags: null,
  },
  // Drift: an unknown field and a price that is not a number, kept in extra_fields under evolve.
  { symbol: 'CRUX', exchange: 'XNAS', price: 'halted', volume: null, halted: null, ts: null, trade_date: null, venue: null, tags: null, rating: 'A' },
];

/** The API's response body: ACME's volume is a 64-bit integer beyond 2^53, written as JSON text so it stays exact. */
export function quotesResponseBody(): string {
  return JSON.stringify({ quotes: QUOTES }).replace('"VOLUME"', '1234567890123456789');
}
