/**
 * Projects a record onto the feed's schema: one value per column, read from the column's path and
 * converted to the column's type, so that every row has the same shape (what Firehose's Parquet
 * conversion, a Glue table and the local Parquet writer need).
 *
 * What does not fit is never lost silently. A field the schema does not name and a value of the
 * wrong type are drift; the schema's contract says what happens to them:
 * - `evolve`: the row keeps them, as JSON text in its `extra_fields` column (a wrong-typed value
 *   under its column's name, the column itself null);
 * - `discardColumns`: they are dropped from the row, and counted;
 * - `freeze`: the record is rejected, for the dead-letter queue, with what broke the contract.
 * Missing fields and nulls are not drift: every column is nullable.
 */
import { ColumnSpec, EXTRA_FIELDS_COLUMN, RecordSchemaSpec } from '../../feed-spec/record-schema';
import { EXACT_INTEGERS, stringifyExact } from '../engine/exact-json';

/** What one record's projection found: drift paths, in the record's terms (`meta.score`). */
export interface RowDrift {
  /** Fields of the record (or of a struct in it) that no column names. */
  readonly unknownFields: string[];
  /** Paths whose value is not of its column's type, with what it was. */
  readonly typeMismatches: string[];
}

export interface ProjectedRow {
  /**
   * Column → value, in the schema's order: JSON values (integers beyond 2^53 as `bigint`, see
   * exact-json.ts), timestamps as ISO 8601 UTC text, dates as `YYYY-MM-DD`, `json` columns as JSON text.
   */
  readonly columns: Record<string, unknown>;
  /** Columns whose value was in the record but did not convert to the column's type (the column is null). */
  readonly wrongType: string[];
  readonly drift: RowDrift;
  /** Set under `freeze` when the record has drift: why it is rejected. */
  readonly rejected?: string;
}

/** A value that does not convert to its column's type. */
const MISMATCH = Symbol('mismatch');
type Converted = unknown | typeof MISMATCH;

const INTEGER_TEXT = /^-?\d{1,19}$/;
/** A Glue `bigint` (Parquet INT64). */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})/;
/** ISO 8601 with a time (what `infer-schema` calls a timestamp); without an offset it is read as UTC. */
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `number ${value}`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

function isoOf(epochMs: number): Converted {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? MISMATCH : date.toISOString();
}

/** Two digits at `at` as a number, or -1. */
function twoDigits(text: string, at: number): number {
  const high = text.charCodeAt(at) - 0x30;
  const low = text.charCodeAt(at + 1) - 0x30;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

/**
 * `2026-11-25T10:00:00Z` or `…:00.123Z`, the form most APIs send: already UTC, so written as ISO
 * text without a Date (which cost a third of a row's projection). Anything else, or a day past
 * the 28th, takes the slow path, which checks the calendar.
 */
function utcFastPath(value: string): Converted | undefined {
  const millis = value.length === 24;
  if (!(value.length === 20 || millis) || value[4] !== '-' || value[7] !== '-' || value[10] !== 'T'
    || value[13] !== ':' || value[16] !== ':' || value[value.length - 1] !== 'Z' || (millis && value[19] !== '.')) return undefined;
  const century = twoDigits(value, 0);
  const year = twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  if (century < 0 || year < 0 || month < 1 || month > 12 || day < 1 || day > 28) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (millis && (twoDigits(value, 20) < 0 || twoDigits(value, 21) < 0)) return undefined;
  return millis ? value : `${value.slice(0, 19)}.000Z`;
}

function toTimestamp(value: unknown, format: string | undefined): Converted {
  if (format === 'unix' || format === 'unixms') {
    const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : NaN;
    return Number.isFinite(number) ? isoOf(format === 'unix' ? number * 1000 : number) : MISMATCH;
  }
  if (typeof value !== 'string') return MISMATCH;
  const fast = utcFastPath(value);
  if (fast !== undefined) return fast;
  // Date.parse rolls 2026-02-30 over to March: the calendar day is checked first.
  if (!TIMESTAMP_TEXT.test(value) || toDate(value) === MISMATCH) return MISMATCH;
  // A time without an offset is UTC (Date.parse would take it as local time).
  const withOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
  return isoOf(Date.parse(withOffset.replace(' ', 'T')));
}

function toDate(value: unknown): Converted {
  if (typeof value !== 'string') return MISMATCH;
  const match = DATE_TEXT.exec(value);
  if (!match) return MISMATCH;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // 2026-02-30 rolls over to March: not a date.
  return date.getUTCDate() === Number(match[3]) && date.getUTCMonth() === Number(match[2]) - 1 ? match[0] : MISMATCH;
}

/** An integer written as text: a number when a double holds it, else a bigint where the runtime keeps it exact. */
function integerOfText(text: string): Converted {
  const number = Number(text);
  if (Number.isSafeInteger(number)) return number;
  const big = BigInt(text);
  return EXACT_INTEGERS && big >= INT64_MIN && big <= INT64_MAX ? big : MISMATCH;
}

/** Reads a path, split at its dots (`['meta', 'updated_at']`), inside a record. */
function readPath(record: unknown, path: readonly string[]): unknown {
  let value = record;
  for (const name of path) {
    // Own fields only: a column named `constructor` or `toString` must read the record's field, not Object's.
    if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, name)) return undefined;
    value = value[name];
  }
  return value;
}

/** A column, its spec, and where it is in the record (as written, and split at its dots). */
interface Field {
  readonly name: string;
  readonly column: ColumnSpec;
  readonly path: string;
  readonly segments: readonly string[];
}

function fieldsOf(columns: Readonly<Record<string, ColumnSpec>>): Field[] {
  return Object.entries(columns).map(([name, column]) => {
    const path = column.path ?? name;
    return { name, column, path, segments: path.split('.') };
  });
}

/** The struct columns' fields, computed once per struct spec. */
const STRUCT_FIELDS = new WeakMap<ColumnSpec, { fields: Field[]; known: ReadonlySet<string> }>();

function structFields(column: ColumnSpec): { fields: Field[]; known: ReadonlySet<string> } {
  let found = STRUCT_FIELDS.get(column);
  if (!found) {
    const fields = fieldsOf(column.fields ?? {});
    found = { fields, known: new Set(fields.map((field) => field.segments[0])) };
    STRUCT_FIELDS.set(column, found);
  }
  return found;
}

/** Converts values to one schema's columns, collecting drift as it goes. */
class Projection {
  public readonly unknownFields: string[] = [];
  public readonly typeMismatches: string[] = [];
  /** Evolve: what did not fit, by the record path it was at. */
  public readonly extra: Record<string, unknown> = {};

  /** The value for `column`, found at `at` in the record; null when it does not fit. */
  public convert(value: unknown, column: ColumnSpec, at: string): unknown {
    if (value === null || value === undefined) return null;
    const converted = this.convertPresent(value, column, at);
    if (converted !== MISMATCH) return converted;
    this.typeMismatches.push(`${at}: expected ${column.type}${column.format ? ` (${column.format})` : ''}, got ${describe(value)}`);
    this.extra[at] = value;
    return null;
  }

  /** The fields of an object that no column (or struct field) takes, as drift. */
  public unknown(record: Record<string, unknown>, known: ReadonlySet<string>, at: string): void {
    // for…in, not Object.entries: no array per record (records are plain JSON objects).
    for (const name in record) {
      const value = record[name];
      if (known.has(name) || value === undefined) continue;
      const path = at ? `${at}.${name}` : name;
      this.unknownFields.push(path);
      this.extra[path] = value;
    }
  }

  private convertPresent(value: unknown, column: ColumnSpec, at: string): Converted {
    switch (column.type) {
      case 'string':
        // Numbers and booleans read as text lose nothing (a bigint is the number's exact digits).
        if (typeof value === 'number') return Number.isSafeInteger(value) || !Number.isInteger(value) ? String(value) : MISMATCH;
        return typeof value === 'string' ? value : typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : MISMATCH;
      case 'integer':
        if (typeof value === 'number') return Number.isSafeInteger(value) ? value : MISMATCH;
        if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : MISMATCH;
        return typeof value === 'string' && INTEGER_TEXT.test(value) ? integerOfText(value) : MISMATCH;
      case 'number':
        if (typeof value === 'number') return value;
        if (typeof value === 'bigint') return Number(value);
        return typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : MISMATCH;
      case 'boolean':
        if (typeof value === 'boolean') return value;
        return value === 'true' ? true : value === 'false' ? false : MISMATCH;
      case 'timestamp':
        return toTimestamp(value, column.format);
      case 'date':
        return toDate(value);
      case 'json':
        return stringifyExact(value);
      case 'struct':
        return isPlainObject(value) ? this.struct(value, column, at) : MISMATCH;
      case 'array':
        return Array.isArray(value) ? value.map((item, index) => this.convert(item, column.items!, `${at}[${index}]`)) : MISMATCH;
    }
  }

  private struct(value: Record<string, unknown>, column: ColumnSpec, at: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const { fields, known } = structFields(column);
    for (const field of fields) {
      out[field.name] = this.convert(readPath(value, field.segments), field.column, `${at}.${field.path}`);
    }
    this.unknown(value, known, at);
    return out;
  }
}

/** Projects records onto one schema. */
export class RowProjector {
  private readonly fields: Field[];
  /** The first segment of every column path: the record's fields the schema takes. */
  private readonly known: ReadonlySet<string>;

  constructor(private readonly schema: RecordSchemaSpec) {
    this.fields = fieldsOf(schema.columns);
    this.known = new Set(this.fields.map((field) => field.segments[0]));
  }

  public project(record: unknown): ProjectedRow {
    const projection = new Projection();
    const columns: Record<string, unknown> = {};
    const wrongType: string[] = [];
    for (const field of this.fields) {
      const value = readPath(record, field.segments);
      const converted = projection.convert(value, field.column, field.path);
      columns[field.name] = converted;
      if (converted === null && value !== null && value !== undefined) wrongType.push(field.name);
    }
    if (isPlainObject(record)) {
      projection.unknown(record, this.known, '');
    } else {
      projection.typeMismatches.push(`the record: expected an object, got ${describe(record)}`);
      projection.extra.$ = record;
    }
    const drift: RowDrift = { unknownFields: projection.unknownFields, typeMismatches: projection.typeMismatches };
    const drifted = drift.unknownFields.length + drift.typeMismatches.length > 0;
    switch (this.schema.contract) {
      case 'freeze':
        return drifted ? { columns, wrongType, drift, rejected: rejection(drift) } : { columns, wrongType, drift };
      case 'discardColumns':
        return { columns, wrongType, drift };
      default:
        columns[EXTRA_FIELDS_COLUMN] = drifted ? stringifyExact(projection.extra) : null;
        return { columns, wrongType, drift };
    }
  }
}

function rejection(drift: RowDrift): string {
  const parts = [
    drift.unknownFields.length > 0 ? `fields not in the schema: ${drift.unknownFields.slice(0, 10).join(', ')}` : '',
    drift.typeMismatches.length > 0 ? `values of the wrong type: ${drift.typeMismatches.slice(0, 10).join('; ')}` : '',
  ].filter(Boolean);
  return `the record breaks the schema's freeze contract (${parts.join('; ')}): add the fields to the schema, or choose the evolve or discardColumns contract, then redrive`;
}
