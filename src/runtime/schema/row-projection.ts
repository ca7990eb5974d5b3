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

function toTimestamp(value: unknown, format: string | undefined): Converted {
  if (format === 'unix' || format === 'unixms') {
    const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : NaN;
    return Number.isFinite(number) ? isoOf(format === 'unix' ? number * 1000 : number) : MISMATCH;
  }
  if (typeof value !== 'string' || !TIMESTAMP_TEXT.test(value)) return MISMATCH;
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

/** Reads a dotted path (`meta.updated_at`) inside a record. */
function readPath(record: unknown, path: string): unknown {
  let value = record;
  for (const name of path.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[name];
  }
  return value;
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
    for (const [name, value] of Object.entries(record)) {
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
        return isPlainObject(value) ? this.struct(value, column.fields ?? {}, at) : MISMATCH;
      case 'array':
        return Array.isArray(value) ? value.map((item, index) => this.convert(item, column.items!, `${at}[${index}]`)) : MISMATCH;
    }
  }

  private struct(value: Record<string, unknown>, fields: Readonly<Record<string, ColumnSpec>>, at: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const [name, field] of Object.entries(fields)) {
      const path = field.path ?? name;
      known.add(path.split('.')[0]);
      out[name] = this.convert(readPath(value, path), field, `${at}.${path}`);
    }
    this.unknown(value, known, at);
    return out;
  }
}

/** Projects records onto one schema. */
export class RowProjector {
  private readonly columns: Array<[string, ColumnSpec, string]>;
  /** The first segment of every column path: the record's fields the schema takes. */
  private readonly known: ReadonlySet<string>;

  constructor(private readonly schema: RecordSchemaSpec) {
    this.columns = Object.entries(schema.columns).map(([name, column]) => [name, column, column.path ?? name]);
    this.known = new Set(this.columns.map(([, , path]) => path.split('.')[0]));
  }

  /** The columns every row has after the envelope's, in order (`extra_fields` last, under `evolve`). */
  public get columnNames(): string[] {
    return [...this.columns.map(([name]) => name), ...(this.schema.contract === 'evolve' ? [EXTRA_FIELDS_COLUMN] : [])];
  }

  public project(record: unknown): ProjectedRow {
    const projection = new Projection();
    const columns: Record<string, unknown> = {};
    for (const [name, column, path] of this.columns) {
      columns[name] = projection.convert(readPath(record, path), column, path);
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
        return drifted ? { columns, drift, rejected: rejection(drift) } : { columns, drift };
      case 'discardColumns':
        return { columns, drift };
      default:
        columns[EXTRA_FIELDS_COLUMN] = drifted ? stringifyExact(projection.extra) : null;
        return { columns, drift };
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
