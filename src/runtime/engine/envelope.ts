/**
 * Every record is written wrapped in an envelope that says where it came from, with an id that
 * depends only on the feed, the partition and the record's content: a record fetched twice (a
 * retried run, an overlapping lookback window) gets the same id, so duplicates can be removed
 * downstream.
 */
import { createHash } from 'node:crypto';

export interface RecordEnvelope {
  readonly feed: string;
  readonly record_id: string;
  readonly fetched_at: string;
  readonly source_url: string;
  readonly partition: Readonly<Record<string, string>> | null;
  readonly record: unknown;
}

/** JSON with object keys sorted at every level, so equal values serialize to equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A deterministic id: SHA-256 of feed, partition and canonical record, hex, 32 characters. */
export function recordId(feed: string, partition: Readonly<Record<string, string>> | null, record: unknown): string {
  return createHash('sha256')
    .update(feed).update('\n')
    .update(canonicalJson(partition)).update('\n')
    .update(canonicalJson(record))
    .digest('hex')
    .slice(0, 32);
}

export interface EnvelopeContext {
  readonly feed: string;
  readonly fetchedAt: Date;
  readonly sourceUrl: string;
  readonly partition: Readonly<Record<string, string>> | null;
}

export function envelope(context: EnvelopeContext, record: unknown): RecordEnvelope {
  return {
    feed: context.feed,
    record_id: recordId(context.feed, context.partition, record),
    fetched_at: context.fetchedAt.toISOString(),
    source_url: context.sourceUrl,
    partition: context.partition,
    record,
  };
}
