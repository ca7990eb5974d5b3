/**
 * Turns a response body into records: JSON (records at a path), NDJSON (one record a line) or
 * CSV (one record a row, the header row naming the fields); then keeps only the selected fields.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { plainMemberPath, queryAll, selectFields } from './json-path';
import { compactJson, rawArrayElements } from './raw-json';
import type { RecordsSpec } from '../../spec/feed-spec';

/** The response is not what the spec says it is: not retryable, reported with its context. */
export class BadResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadResponseError';
  }
}

export interface ParsedPage {
  readonly records: unknown[];
  /**
   * Each record's JSON text as the API sent it (whitespace between tokens removed), when the
   * response has it: JSON records at a plain path, NDJSON lines. Absent for CSV rows, selected
   * fields and JSONPath filters, whose records are serialized from the parsed value.
   */
  readonly texts?: string[];
  /** The parsed JSON document (for pagination paths); undefined for NDJSON and CSV. */
  readonly document?: unknown;
}

/**
 * Returns the records at `path`: the elements of an array found there, or the object found there
 * as one record. A missing path or a scalar is an error (the API's shape is not what the spec says).
 */
export function extractRecords(body: unknown, path: string): unknown[] {
  const matches = queryAll(body, path);
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

export function parsePage(body: Buffer, spec: RecordsSpec): ParsedPage {
  const text = body.toString('utf8');
  let records: unknown[];
  let document: unknown;
  let texts: string[] | undefined;
  switch (spec.format) {
    case 'ndjson': {
      const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
      records = lines.map((line, i) => parseJson(line, `NDJSON line ${i + 1}`));
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
      document = parseJson(text, 'the response body');
      records = extractRecords(document, spec.path);
      const names = plainMemberPath(spec.path);
      texts = names ? rawArrayElements(text, names) : undefined;
    }
  }
  if (spec.fields) {
    records = records.map((record) => selectFields(record, spec.fields!));
    texts = undefined;
  }
  // Defensive: texts are used only when they line up one for one with the parsed records.
  return { records, document, texts: texts?.length === records.length ? texts : undefined };
}
