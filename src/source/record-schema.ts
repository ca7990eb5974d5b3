import type { ColumnSpec, RecordSchemaSpec } from '../feed-spec/record-schema';
import { usageError } from '../private/usage-error';

/** How a timestamp column's values are written in the records. */
export enum TimestampFormat {
  /** ISO 8601, e.g. `2026-12-01T10:00:00Z`. */
  ISO = 'iso',
  /** Seconds since the Unix epoch. */
  UNIX = 'unix',
  /** Milliseconds since the Unix epoch. */
  UNIX_MS = 'unixms',
}

/** What happens to a record that does not fit the schema (after dlt's schema contracts). */
export enum SchemaContract {
  /** A field not in the schema, or a value of the wrong type, is kept as raw JSON and counted. */
  EVOLVE = 'evolve',
  /** Such a record is dead-lettered, with its context, and counted. */
  FREEZE = 'freeze',
  /** The field is dropped and counted; the rest of the record is kept. */
  DISCARD_COLUMNS = 'discardColumns',
}

/** Options for any column. */
export interface ColumnOptions {
  /**
   * Where the value is in the record (a dotted path such as `meta.updatedAt`), when the field is
   * not named like the column.
   *
   * @default - the column's name
   */
  readonly path?: string;

  /**
   * The column may be null in every row of a run (a field the API sends only sometimes): the run
   * then raises no empty-column warning, metric or alarm for it. For a column of the schema, not a
   * struct field or array element.
   *
   * @default false
   */
  readonly allowEmpty?: boolean;
}

/** Options for a timestamp column. */
export interface TimestampColumnOptions extends ColumnOptions {
  /**
   * How the records write the timestamp.
   *
   * @default TimestampFormat.ISO
   */
  readonly format?: TimestampFormat;
}

/** The options every column takes, as the spec writes them. */
function common(options: ColumnOptions): Pick<ColumnSpec, 'path' | 'allowEmpty'> {
  return { path: options.path, allowEmpty: options.allowEmpty };
}

/**
 * One column of a feed's schema: its type and the record path it reads.
 */
export class Column {
  /** Text. */
  public static string(options: ColumnOptions = {}): Column {
    return new Column({ type: 'string', ...common(options) });
  }

  /** A whole number (64-bit). */
  public static integer(options: ColumnOptions = {}): Column {
    return new Column({ type: 'integer', ...common(options) });
  }

  /** A number with a fraction (double). */
  public static number(options: ColumnOptions = {}): Column {
    return new Column({ type: 'number', ...common(options) });
  }

  /** `true` or `false`. */
  public static boolean(options: ColumnOptions = {}): Column {
    return new Column({ type: 'boolean', ...common(options) });
  }

  /** A point in time, read in the given format. */
  public static timestamp(options: TimestampColumnOptions = {}): Column {
    return new Column({ type: 'timestamp', ...common(options), format: options.format });
  }

  /** A calendar date, `yyyy-MM-dd`. */
  public static date(options: ColumnOptions = {}): Column {
    return new Column({ type: 'date', ...common(options) });
  }

  /** The value as raw JSON text, whatever its shape. */
  public static json(options: ColumnOptions = {}): Column {
    return new Column({ type: 'json', ...common(options) });
  }

  /**
   * A nested object with typed fields.
   *
   * @param fields each a `Column`, or its JSON form as a spec file writes it (`{"type": "number"}`)
   */
  public static struct(fields: { [name: string]: any }, options: ColumnOptions = {}): Column {
    return new Column({
      type: 'struct',
      ...common(options),
      fields: columnSpecs(fields, 'Column.struct'),
    });
  }

  /** A list of values of one type. */
  public static array(items: Column, options: ColumnOptions = {}): Column {
    return new Column({ type: 'array', ...common(options), items: items._toSpec() });
  }

  private constructor(private readonly spec: ColumnSpec) {}

  /** @internal */
  public _toSpec(): ColumnSpec {
    // Only what was set: the spec's schema supplies the defaults.
    return Object.fromEntries(Object.entries(this.spec).filter(([, value]) => value !== undefined)) as unknown as ColumnSpec;
  }
}

/** Options of a schema. */
export interface RecordSchemaOptions {
  /**
   * What happens to a record that does not fit.
   *
   * @default SchemaContract.EVOLVE
   */
  readonly contract?: SchemaContract;
}

/**
 * The columns a feed's records become, for typed tables. `api-ingest infer-schema` proposes one
 * from a few pages of the API.
 */
export class RecordSchema {
  /**
   * A schema of these columns (names: lowercase letters, digits and `_`).
   *
   * @param columns each a `Column` (`Column.string()`), or its JSON form as a spec file writes it
   *   (`{"type": "string", "path": "meta.id"}`), which Python code can pass as a dict
   */
  public static of(columns: { [name: string]: any }, options: RecordSchemaOptions = {}): RecordSchema {
    return new RecordSchema(columnSpecs(columns, 'RecordSchema.of'), options);
  }

  private constructor(private readonly columns: { [name: string]: ColumnSpec }, private readonly options: RecordSchemaOptions) {}

  /** @internal */
  public _toSpec(): Omit<RecordSchemaSpec, 'contract'> & { contract?: string } {
    return {
      columns: { ...this.columns },
      ...(this.options.contract ? { contract: this.options.contract } : {}),
    };
  }
}

/**
 * Columns given as `Column`s or in their JSON form (a spec file's, or a Python dict): the JSON form
 * is checked with the rest of the spec at synth, where a wrong field is named with its path.
 */
function columnSpecs(columns: { [name: string]: unknown }, method: string): { [name: string]: ColumnSpec } {
  return Object.fromEntries(Object.entries(columns).map(([name, column]) => {
    if (column instanceof Column) return [name, column._toSpec()];
    if (column !== null && typeof column === 'object' && !Array.isArray(column)) return [name, structuredClone(column) as ColumnSpec];
    throw usageError(`${method}: column "${name}" must be a Column, e.g. Column.string(), or its JSON form, e.g. {"type": "string"} `
      + `(in Python: {"${name}": Column.string()} or {"${name}": {"type": "string"}}); got ${JSON.stringify(column) ?? String(column)}`);
  }));
}
