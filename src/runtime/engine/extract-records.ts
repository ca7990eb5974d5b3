/**
 * Turns a response body into records: JSON (records at a path), NDJSON (one record a line) or
 * CSV (one record a row, the header row naming the fields); then keeps only the selected fields.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { CheckedElements, checkedArrayElements, elementTexts } from './json-byte-scanner';
import { MAX_JSON_DEPTH, valueDepthExceeds } from './json-depth';
import { plainMemberPath, queryAll, selectFields } from './json-path';
import { compactJson, rawArrayElements } from './json-text-scanner';
import type { RecordsSpec } from '../../feed-spec/feed-spec';

/** The response is not what the spec says it is: not retryable, reported with its context. */
export class BadResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadResponseError';
  }
}

export interface ParsedPage {
  /** Records in the page. */
  readonly count: number;
  /**
   * The records' values. A JSON page that was only checked (see `parsePage`) parses them when
   * this is first read: read it only when the values are needed.
   */
  readonly records: unknown[];
  /**
   * Each record's JSON text as the API sent it (whitespace between tokens removed), when the
   * response has it: JSON records at a plain path, NDJSON lines. Absent for CSV rows, selected
   * fields and JSONPath filters, whose records are serialized from the parsed value.
   */
  readonly texts?: string[];
  /**
   * The parsed JSON document (for pagination paths); undefined for NDJSON and CSV. Parsed when
   * first read, as `records`, where the page was only checked.
   */
  readonly document?: unknown;
  /**
   * The records as byte ranges of the response body, each exactly its record's JSON text in
   * UTF-8, when the page was only checked and its records need no whitespace removed: a sink can
   * copy them without any text being built.
   */
  readonly recordBytes?: RecordBytes;
}

/** Records as byte ranges of a response body: record `i` is `body[offsets[2i], offsets[2i + 1])`. */
export interface RecordBytes {
  readonly body: Buffer;
  readonly offsets: ReadonlyArray<number>;
}

/**
 * Returns the records at `path`: the elements of an array found there, or the object found there
 * as one record. A missing path or a scalar is an error (the API's shape is not what the spec says).
 */
export function extractRecords(body: unknown, path: string, nullIsEmpty = false): unknown[] {
  const matches = queryAll(body, path);
  // `"data": null` on the last page, where the spec says the API ends its data so.
  if (nullIsEmpty && matches.length === 1 && matches[0] === null) return [];
  if (matches.length === 0) {
    throw new BadResponseError(`records path "${path}" matched nothing in the response`);
  }
  // `data` matches the array itself; `$.data[*]` matches its elements.
  if (matches.length === 1 && Array.isArray(matches[0])) {
    const elements = matches[0] as unknown[];
    for (let i = 0; i < elements.length; i++) {
      // The location is spelled out only for a bad element: building it for every record cost
      // more than the check.
      if (!isObject(elements[i])) assertObject(elements[i], `${path}[${i}]`);
    }
    return elements;
  }
  matches.forEach((m) => assertObject(m, path));
  return matches;
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function assertObject(value: unknown, where: string): void {
  if (!isObject(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'nested array' : typeof value;
    throw new BadResponseError(`records path "${where}" matched a ${kind}; each record must be a JSON object`);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadResponseError(`${what} is not valid JSON (${text.length} characters): ${(err as Error).message}`);
  }
}

export interface ParseOptions {
  /**
   * The caller reads only the records' texts, not their values nor the document (no cursor field,
   * no pagination value in the body). A JSON page whose records are at a plain path (`data`,
   * `result.items`) is then checked to be JSON and its records' texts found in one pass, without
   * building its values: most feeds only deliver the texts, and parsing every page only to throw
   * the values away was the largest part of the poller's CPU. The values are still parsed if read.
   * @default false
   */
  readonly textsOnly?: boolean;
}

/**
 * A page's records. A page the check does not accept (see `ParseOptions.textsOnly`) is parsed
 * with `JSON.parse`, which reports what is wrong with it.
 */
export function parsePage(body: Buffer, spec: RecordsSpec, options: ParseOptions = {}): ParsedPage {
  if (options.textsOnly && spec.format !== 'ndjson' && spec.format !== 'csv' && !spec.fields) {
    const names = plainMemberPath(spec.path);
    const checked = names ? checkedArrayElements(body, names) : undefined;
    if (checked) return new CheckedJsonPage(body, checked, spec.path);
  }
  const text = body.toString('utf8');
  let records: unknown[];
  let document: unknown;
  let texts: string[] | undefined;
  switch (spec.format) {
    case 'ndjson': {
      const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
      // Each line's nesting counts from the line, as a JSON page's from its root.
      records = lines.map((line, i) => parseJson(line, `NDJSON line ${i + 1}`));
      records.forEach(checkDepth);
      records.forEach((r, i) => isObject(r) || assertObject(r, `line ${i + 1}`));
      texts = lines.map(compactJson);
      break;
    }
    case 'csv':
      try {
        records = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: false });
      } catch (err) {
        throw new BadResponseError(`the CSV body could not be parsed: ${(err as Error).message}`);
      }
      break;
    default: {
      const names = plainMemberPath(spec.path);
      document = parseJson(text, 'the response body');
      checkDepth(document);
      records = extractRecords(document, spec.path, spec.nullIsEmpty === true);
      texts = names ? rawArrayElements(text, names) : undefined;
    }
  }
  if (spec.fields) {
    records = records.map((record) => selectFields(record, spec.fields!));
    texts = undefined;
  }
  // Defensive: texts are used only when they line up one for one with the parsed records.
  return { count: records.length, records, document, texts: texts?.length === records.length ? texts : undefined };
}

/** Refuses a page nested deeper than any record can be used (see json-depth.ts). */
function checkDepth(value: unknown): void {
  if (valueDepthExceeds(value)) {
    throw new BadResponseError(`the response nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels; no record of it can be used`);
  }
}

/**
 * A page known to be JSON, with its records' texts; its values are parsed when first read.
 *
 * A class, not an object literal with getters: V8 turns such a literal into a dictionary-mode
 * object, and its getters, which close over the page text, were reachable from the old
 * generation (apparently through the accessor pair holding them, which V8 allocates there). Every
 * page's text was then promoted at the next young-generation collection and filled the old
 * generation until a major collection. In a fetch-and-check loop that promoted 3.7 MiB per
 * scavenge; with this class, 0.2 MiB (docs/BENCHMARKS.md).
 */
class CheckedJsonPage implements ParsedPage {
  private parsed = false;
  private parsedDocument: unknown;
  private parsedRecords: unknown[] | undefined;
  private recordTexts: string[] | undefined;
  public readonly recordBytes: RecordBytes | undefined;

  constructor(private readonly body: Buffer, private readonly elements: CheckedElements, private readonly path: string) {
    this.recordBytes = elements.spaced ? undefined : { body, offsets: elements.offsets };
  }

  public get count(): number {
    return this.elements.offsets.length / 2;
  }

  public get texts(): string[] {
    this.recordTexts ??= elementTexts(this.body, this.elements);
    return this.recordTexts;
  }

  public get document(): unknown {
    if (!this.parsed) {
      this.parsedDocument = JSON.parse(this.body.toString('utf8'));
      this.parsed = true;
    }
    return this.parsedDocument;
  }

  public get records(): unknown[] {
    // From the document if pagination already parsed it; otherwise record by record.
    this.parsedRecords ??= this.parsed ? extractRecords(this.parsedDocument, this.path) : this.texts.map((t) => JSON.parse(t));
    return this.parsedRecords;
  }
}
