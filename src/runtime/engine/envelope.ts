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
import { stringifyExact } from './exact-json';
import type { EncodableLine } from '../ports/record-sink';

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
const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;
const sha256Hex = oneShotHash
  ? (data: string) => oneShotHash('sha256', data, 'hex')
  : (data: string) => createHash('sha256').update(data).digest('hex');

function idPrefix(feed: string, partition: Readonly<Record<string, string>> | null): string {
  return `${feed}\n${canonicalJson(partition)}\n`;
}

/** Hex characters of a record id. */
const ID_LENGTH = 32;

function idOf(prefix: string, recordJson: string): string {
  return sha256Hex(prefix + recordJson).slice(0, ID_LENGTH);
}

/** The id of the UTF-8 bytes of an id prefix and a record's JSON text, in that order. */
function idOfBytes(bytes: Buffer): string {
  return (oneShotHash ? oneShotHash('sha256', bytes, 'hex') : createHash('sha256').update(bytes).digest('hex')).slice(0, ID_LENGTH);
}

export interface EnvelopeContext {
  readonly feed: string;
  readonly fetchedAt: Date;
  readonly sourceUrl: string;
  readonly partition: Readonly<Record<string, string>> | null;
}

/**
 * Builds the newline-terminated envelope lines of one page: the parts shared by the page's
 * records (feed, partition, fetch time, source URL) are serialized once. The output is
 * byte-identical to the envelope of SPEC.md serialized with `JSON.stringify`, plus a newline
 * (test/helpers/reference-envelope.ts writes that envelope plainly, for the tests).
 */
export class EnvelopeWriter {
  private readonly idPrefix: string;
  private readonly head: string;
  private readonly tail: string;
  // The same parts as UTF-8, for lines written straight into a sink's buffer (`encodable`).
  private readonly prefixBytes: Buffer;
  private readonly headBytes: Buffer;
  private readonly tailBytes: Buffer;
  /** Where the record starts in a line: after the head, the id and the tail. */
  private readonly recordOffset: number;
  /** Characters of a line besides the record's text. */
  public readonly fixedLength: number;
  /** Bytes of a line besides the record's text. */
  public readonly fixedBytes: number;

  constructor(context: EnvelopeContext) {
    this.idPrefix = idPrefix(context.feed, context.partition);
    this.head = `{"feed":${JSON.stringify(context.feed)},"record_id":"`;
    this.tail = `","fetched_at":${JSON.stringify(context.fetchedAt.toISOString())},"source_url":${JSON.stringify(context.sourceUrl)},`
      + `"partition":${JSON.stringify(context.partition)},"record":`;
    this.prefixBytes = Buffer.from(this.idPrefix);
    this.headBytes = Buffer.from(this.head);
    this.tailBytes = Buffer.from(this.tail);
    this.recordOffset = this.headBytes.length + ID_LENGTH + this.tailBytes.length;
    this.fixedLength = this.head.length + ID_LENGTH + this.tail.length + 2;
    this.fixedBytes = this.recordOffset + 2;
  }

  /** The record's line; `json` is its text as the API sent it, when the page has that. */
  public line(record: unknown, json: string = JSON.stringify(record)): string {
    return `${this.head}${idOf(this.idPrefix, json)}${this.tail}${json}}\n`;
  }

  /** The record's id: the same as its envelope line's `record_id`. */
  public recordId(json: string): string {
    return idOf(this.idPrefix, json);
  }

  /** The line of the record whose JSON text is `json`, for a sink to write into its own buffer. */
  public encodable(json: string): EncodableLine {
    return new EnvelopeLine(this, json);
  }

  /**
   * The line of the record whose JSON text is `body[start, end)` in UTF-8 (a checked response),
   * for a sink to write into its own buffer: its bytes are copied, no text is built.
   */
  public encodableBytes(body: Buffer, start: number, end: number): EncodableLine {
    return new EnvelopeBytesLine(this, body, start, end);
  }

  /**
   * Writes the line of `json` into `buffer` at `start` (with room for it) and returns where it
   * ends; the same bytes as `line(undefined, json)` encoded.
   */
  public writeLine(json: string, buffer: Buffer, start: number): number {
    const jsonAt = start + this.recordOffset;
    return this.finishLine(buffer, start, jsonAt, jsonAt + buffer.write(json, jsonAt, 'utf8'));
  }

  /** As `writeLine`, for the record whose JSON text is `body[from, to)` in UTF-8. */
  public writeLineFromBytes(body: Buffer, from: number, to: number, buffer: Buffer, start: number): number {
    const jsonAt = start + this.recordOffset;
    buffer.set(body.subarray(from, to), jsonAt);
    return this.finishLine(buffer, start, jsonAt, jsonAt + (to - from));
  }

  /**
   * Completes a line whose record already lies at `buffer[jsonAt, jsonEnd)`: the head, the id and
   * the tail before it, `}` and a newline after. The id hashes the id prefix and the record's
   * bytes where they lie: the prefix is written just before the record for the hash, where the
   * tail then goes. The head, id and tail are always longer than the prefix: the head holds the
   * feed name JSON-quoted, the tail the partition as JSON, and the prefix only those two and two
   * newlines.
   */
  private finishLine(buffer: Buffer, start: number, jsonAt: number, jsonEnd: number): number {
    const { headBytes: head, tailBytes: tail, prefixBytes: prefix } = this;
    const hashFrom = jsonAt - prefix.length;
    buffer.set(prefix, hashFrom);
    const id = idOfBytes(buffer.subarray(hashFrom, jsonEnd));
    buffer.set(head, start);
    buffer.write(id, start + head.length, ID_LENGTH, 'latin1');
    buffer.set(tail, start + head.length + ID_LENGTH);
    buffer[jsonEnd] = 0x7d; // '}'
    buffer[jsonEnd + 1] = 0x0a; // '\n'
    return jsonEnd + 2;
  }
}

/**
 * With a schema, each line is a row instead of an envelope: the envelope's fields, then the
 * schema's columns (SPEC.md, "Schema"). `partition` is JSON text there, so every row has the
 * same flat shape for Parquet and Glue.
 */
export class RowLineWriter {
  private readonly feedField: string;
  private readonly head: string;

  constructor(private readonly envelopes: EnvelopeWriter, context: EnvelopeContext) {
    this.head = `,"fetched_at":${JSON.stringify(context.fetchedAt.toISOString())},"source_url":${JSON.stringify(context.sourceUrl)},`
      + `"partition":${JSON.stringify(context.partition === null ? null : JSON.stringify(context.partition))},`;
    this.feedField = `{"feed":${JSON.stringify(context.feed)},"record_id":"`;
  }

  /** The row's line: `json` is the record's text as the API sent it (for its id), `columns` its projection. */
  public line(json: string, columns: Record<string, unknown>): string {
    const body = stringifyExact(columns);
    return `${this.feedField}${this.envelopes.recordId(json)}"${this.head}${body.slice(1)}\n`;
  }
}

/** One record's envelope line, written by the sink into its own buffer (see `EncodableLine`). */
class EnvelopeLine implements EncodableLine {
  constructor(private readonly writer: EnvelopeWriter, private readonly json: string) {}

  public get length(): number {
    return this.writer.fixedLength + this.json.length;
  }

  public maxBytes(): number {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    return this.writer.fixedBytes + this.json.length * 3;
  }

  public writeTo(buffer: Buffer, at: number): number {
    return this.writer.writeLine(this.json, buffer, at);
  }

  public toString(): string {
    return this.writer.line(undefined, this.json);
  }
}

/** One record's envelope line from its bytes in a checked response (see `encodableBytes`). */
class EnvelopeBytesLine implements EncodableLine {
  constructor(private readonly writer: EnvelopeWriter, private readonly body: Buffer, private readonly start: number, private readonly end: number) {}

  /** Its size in bytes (what the engine counts toward a checkpoint). */
  public get length(): number {
    return this.writer.fixedBytes + (this.end - this.start);
  }

  public maxBytes(): number {
    return this.writer.fixedBytes + (this.end - this.start);
  }

  public writeTo(buffer: Buffer, at: number): number {
    return this.writer.writeLineFromBytes(this.body, this.start, this.end, buffer, at);
  }

  public toString(): string {
    return this.writer.line(undefined, this.body.toString('utf8', this.start, this.end));
  }
}
