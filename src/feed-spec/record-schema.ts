/**
 * The `schema` section of a feed spec: the columns a feed's records become (for typed tables:
 * Parquet with Glue, Iceberg), each mapped from a record path, and the contract for records that
 * do not fit, in the spirit of dlt's schema contracts. `api-ingest infer-schema` proposes one
 * from a few pages of the API.
 */
import * as z from 'zod/mini';

/** Column types, as Glue, Athena and Parquet know them. */
export const COLUMN_TYPES = ['string', 'integer', 'number', 'boolean', 'timestamp', 'date', 'json', 'struct', 'array'] as const;
export type ColumnType = typeof COLUMN_TYPES[number];

/** Lowercase letters, digits and `_`, starting with a letter or `_`: what Glue, Athena and S3 Tables accept. */
export const COLUMN_NAME = /^[a-z_][a-z0-9_]{0,254}$/;

/**
 * The columns every row starts with: the record envelope's fields (SPEC.md), so a table of a feed
 * says where and when each row was fetched and `record_id` identifies duplicates. `partition` is
 * the partition's fields as JSON text (null without partitions).
 */
export const ENVELOPE_COLUMNS: ReadonlyArray<readonly [string, 'string' | 'timestamp']> = [
  ['feed', 'string'],
  ['record_id', 'string'],
  ['fetched_at', 'timestamp'],
  ['source_url', 'string'],
  ['partition', 'string'],
];

/** Under the `evolve` contract, the last column: what did not fit the schema, as JSON text. */
export const EXTRA_FIELDS_COLUMN = 'extra_fields';


const RESERVED_COLUMNS = new Set([...ENVELOPE_COLUMNS.map(([name]) => name), EXTRA_FIELDS_COLUMN]);

export interface ColumnSpec {
  readonly type: ColumnType;
  /** Where the value is in the record (dotted path). @default the column's name */
  readonly path?: string;
  /** A timestamp's input format: `iso` (default), `unix`, `unixms`. */
  readonly format?: string;
  /** A struct's fields. */
  readonly fields?: Readonly<Record<string, ColumnSpec>>;
  /** An array's element. */
  readonly items?: ColumnSpec;
  /**
   * The column may be null in every row of a run (a field the API sends only sometimes): no
   * empty-column warning or alarm for it. @default false
   */
  readonly allowEmpty?: boolean;
}

export const columnSchema: z.ZodMiniType<ColumnSpec> = z.strictObject({
  type: z.enum(COLUMN_TYPES),
  path: z.optional(z.string().check(z.minLength(1, { message: 'must not be empty: the record field the column reads, e.g. "meta.updated_at"' }))),
  format: z.optional(z.enum(['iso', 'unix', 'unixms'])),
  get fields() {
    return z.optional(z.record(z.string(), columnSchema));
  },
  get items() {
    return z.optional(columnSchema);
  },
  allowEmpty: z.optional(z.boolean()),
});

export const recordSchemaSchema = z.strictObject({
  /** Column name → what it holds. */
  columns: z.record(z.string(), columnSchema).check(z.refine((columns) => Object.keys(columns).length > 0, {
    message: 'must name at least one column, e.g. {"id": {"type": "integer"}}',
  })),
  /**
   * Records that do not fit: `evolve` keeps a field not in the schema as raw JSON and counts it,
   * `freeze` dead-letters such a record, `discardColumns` drops the field and counts it. A value of
   * the wrong type is counted and kept as raw JSON (`evolve`), dead-lettered (`freeze`) or
   * dropped (`discardColumns`): never lost silently.
   */
  contract: z._default(z.enum(['evolve', 'freeze', 'discardColumns']), 'evolve'),
});

export type RecordSchemaSpec = z.output<typeof recordSchemaSchema>;

/** Problems the schema's structure cannot express: names, struct fields, array items, formats. */
export function recordSchemaProblems(schema: RecordSchemaSpec): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const visit = (at: string, name: string, column: ColumnSpec, nameIsColumn: boolean) => {
    if (at === `spec.schema.columns.${name}` && RESERVED_COLUMNS.has(name)) {
      problems.push({ path: at, message: `"${name}" is a column every row already has (${[...RESERVED_COLUMNS].join(', ')}); name the column otherwise and set "path": "${name}" to read the record's field` });
    }
    if (nameIsColumn && !COLUMN_NAME.test(name)) {
      problems.push({ path: at, message: `"${name}" is not a column name Glue and Athena accept: lowercase letters, digits and "_", starting with a letter or "_" (set "path" to read a field named otherwise)` });
    }
    if (column.type === 'struct' && (!column.fields || Object.keys(column.fields).length === 0)) {
      problems.push({ path: `${at}.fields`, message: 'a struct needs its fields, e.g. {"lat": {"type": "number"}}' });
    }
    if (column.type !== 'struct' && column.fields) problems.push({ path: `${at}.fields`, message: `is for a struct, not a ${column.type}` });
    if (column.type === 'array' && !column.items) problems.push({ path: `${at}.items`, message: 'an array needs its element type, e.g. {"type": "string"}' });
    if (column.type !== 'array' && column.items) problems.push({ path: `${at}.items`, message: `is for an array, not a ${column.type}` });
    if (column.allowEmpty !== undefined && at !== `spec.schema.columns.${name}`) {
      problems.push({ path: `${at}.allowEmpty`, message: 'is for a column of the schema, not a struct field or array element: the run counts empty columns only' });
    }
    if (column.format !== undefined && column.type !== 'timestamp') problems.push({ path: `${at}.format`, message: `is for a timestamp, not a ${column.type}` });
    for (const [field, child] of Object.entries(column.fields ?? {})) visit(`${at}.fields.${field}`, field, child, true);
    if (column.items) visit(`${at}.items`, name, column.items, false);
  };
  for (const [name, column] of Object.entries(schema.columns)) visit(`spec.schema.columns.${name}`, name, column, true);
  return problems;
}

/** A spec's schema as written (builder or JSON) with its defaults filled in; the spec was validated already. */
export function withSchemaDefaults(input: unknown): RecordSchemaSpec | undefined {
  return input === undefined ? undefined : recordSchemaSchema.parse(input);
}

/**
 * Every column of a row, in order, with its spec: the envelope's, the schema's, `extra_fields`
 * under `evolve`. The one definition of a row's shape: the poller's rows, the local Parquet
 * files, the Glue and Iceberg tables and the dynamic partitioning queries all derive from it.
 */
export function rowColumnSpecs(schema: RecordSchemaSpec): Array<[string, ColumnSpec]> {
  return [
    ...ENVELOPE_COLUMNS.map(([name, type]): [string, ColumnSpec] => [name, { type }]),
    ...Object.entries(schema.columns),
    ...(schema.contract === 'evolve' ? [[EXTRA_FIELDS_COLUMN, { type: 'string' }] as [string, ColumnSpec]] : []),
  ];
}

/** The names of `rowColumnSpecs`. */
export function rowColumnNames(schema: RecordSchemaSpec): string[] {
  return rowColumnSpecs(schema).map(([name]) => name);
}
