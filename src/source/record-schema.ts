import type { ColumnSpec, RecordSchemaSpec } from '../feed-spec/record-schema';

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

  /** A nested object with typed fields. */
  public static struct(fields: { [name: string]: Column }, options: ColumnOptions = {}): Column {
    return new Column({
      type: 'struct',
      ...common(options),
      fields: Object.fromEntries(Object.entries(fields).map(([name, column]) => [name, column._toSpec()])),
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
  /** A schema of these columns (names: lowercase letters, digits and `_`). */
  public static of(columns: { [name: string]: Column }, options: RecordSchemaOptions = {}): RecordSchema {
    return new RecordSchema(columns, options);
  }

  private constructor(private readonly columns: { [name: string]: Column }, private readonly options: RecordSchemaOptions) {}

  /** @internal */
  public _toSpec(): Omit<RecordSchemaSpec, 'contract'> & { contract?: string } {
    return {
      columns: Object.fromEntries(Object.entries(this.columns).map(([name, column]) => [name, column._toSpec()])),
      ...(this.options.contract ? { contract: this.options.contract } : {}),
    };
  }
}
