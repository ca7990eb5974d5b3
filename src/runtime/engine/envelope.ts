/**
 * Every record is written wrapped in an envelope that says where it came from, with an id that
 * depends only on the feed, the partition and the record's content: a record fetched twice (a
 * retried run, an overlapping lookback window) gets the same id, so duplicates can be removed
 * downstream.
 *
 * The id hashes the record's JSON text as the API sent it (its keys in the API's order, its
 * numbers digit for digit, whitespace between tokens removed), the same text the line carries:
 * sorting keys first cost more than everything else the poller does per record (see
 * docs/BENCHMARKS.md), and an API serializes the same record the same way. Records the API did
 * not send as JSON text of their own (CSV rows, selected fields) are serialized once here.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

export interface RecordEnvelope {
  readonly feed: string;
  readonly record_id: string;
  readonly fetched_at: string;
  readonly source_url: string;
  readonly partition: Readonly<Record<string, string>> | null;
  readonly record: unknown;
}

/** Re-creates plain objects with their keys sorted; native JSON.stringify does the rest. */
function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = (value as Record<string, unknown>)[key];
  }
  return sorted;
}

/** JSON with object keys sorted at every level, so equal values serialize to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null';
}

// crypto.hash (Node.js >= 21.7, the Lambda runtime's) hashes in one call; older Node.js falls back.
const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = oneShotHash
  ? (data: string) => oneShotHash('sha256', data, 'hex')
  : (data: string) => createHash('sha256').update(data).digest('hex');

/** A deterministic id: SHA-256 of feed, partition (keys sorted) and the record's JSON, hex, 32 characters. */
export function recordId(feed: string, partition: Readonly<Record<string, string>> | null, record: unknown): string {
  return idOf(idPrefix(feed, partition), JSON.stringify(record));
}

function idPrefix(feed: string, partition: Readonly<Record<string, string>> | null): string {
  return `${feed}\n${canonicalJson(partition)}\n`;
}

function idOf(prefix: string, recordJson: string): string {
  return sha256Hex(prefix + recordJson).slice(0, 32);
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

/**
 * Builds the newline-terminated envelope lines of one page: the parts shared by the page's
 * records (feed, partition, fetch time, source URL) are serialized once. The output is
 * byte-identical to `JSON.stringify(envelope(context, record))` plus a newline.
 */
export class EnvelopeWriter {
  private readonly idPrefix: string;
  private readonly head: string;
  private readonly tail: string;

  constructor(context: EnvelopeContext) {
    this.idPrefix = idPrefix(context.feed, context.partition);
    this.head = `{"feed":${JSON.stringify(context.feed)},"record_id":"`;
    this.tail = `","fetched_at":${JSON.stringify(context.fetchedAt.toISOString())},"source_url":${JSON.stringify(context.sourceUrl)},`
      + `"partition":${JSON.stringify(context.partition)},"record":`;
  }

  /** The record's line; `json` is its text as the API sent it, when the page has that. */
  public line(record: unknown, json: string = JSON.stringify(record)): string {
    return `${this.head}${idOf(this.idPrefix, json)}${this.tail}${json}}\n`;
  }
}
