/**
 * The Redshift table a feed's rows are copied into: its DDL, generated from the spec's schema (or
 * the envelope with `record` as SUPER without one), and the column list and options of the COPY
 * Firehose runs. The DDL uses only what PostgreSQL also accepts, except the SUPER type, so a test
 * can create it in PostgreSQL.
 */
import { ENVELOPE_COLUMNS, rowColumnSpecs, type ColumnSpec, type RecordSchemaSpec } from '../feed-spec/record-schema';

/** Redshift's largest VARCHAR, in bytes: a longer value fails the COPY of its file (nothing is truncated silently). */
const LONG_TEXT = 'VARCHAR(65535)';

/**
 * GZIP because Firehose compresses the intermediate files; JSON 'auto' maps each line's keys
 * to the columns of the same name; the timestamps are ISO 8601 in UTC, the dates `yyyy-MM-dd`.
 */
export const DEFAULT_COPY_OPTIONS = "FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' DATEFORMAT 'auto'";

export function redshiftType(column: ColumnSpec): string {
  switch (column.type) {
    case 'string':
    case 'json':
      return LONG_TEXT;
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE PRECISION';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'date':
      return 'DATE';
    case 'struct':
    case 'array':
      // COPY's JSON 'auto' loads nested objects and arrays into SUPER, queried with PartiQL.
      return 'SUPER';
  }
}

/** The table's columns with their Redshift types. */
export function redshiftColumns(schema: RecordSchemaSpec | undefined): Array<[string, string]> {
  const envelope = ENVELOPE_COLUMNS.map(([name, type]): [string, string] => [name,
    name === 'feed' ? 'VARCHAR(64)' : name === 'record_id' ? 'VARCHAR(32)' : redshiftType({ type })]);
  if (!schema) {
    // Without a schema, `partition` is the partition's fields and `record` the record: both JSON.
    return [...envelope.map(([name, type]): [string, string] => [name, name === 'partition' ? 'SUPER' : type]), ['record', 'SUPER']];
  }
  const typed = rowColumnSpecs(schema).slice(ENVELOPE_COLUMNS.length);
  return [...envelope, ...typed.map(([name, column]): [string, string] => [name, redshiftType(column)])];
}

/** A lowercase identifier, `schema.table` or `table`, quoted part by part. */
export function quotedTableName(tableName: string): string {
  return tableName.split('.').map((part) => `"${part}"`).join('.');
}

/** What is wrong with a table name, if anything. Redshift folds names to lowercase: only lowercase ones mean what they say. */
export function tableNameProblem(tableName: string): string | undefined {
  const parts = tableName.split('.');
  if (parts.length > 2 || !parts.every((part) => /^[a-z_][a-z0-9_$]{0,126}$/.test(part))) {
    return 'must be TABLE or SCHEMA.TABLE, each part 1-127 lowercase letters, digits, "_" or "$", starting with a letter or "_"';
  }
  return undefined;
}

/** Redshift's limits on a table: identifiers of at most 127 bytes, at most 1,600 columns. */
export const REDSHIFT_MAX_IDENTIFIER_BYTES = 127;
export const REDSHIFT_MAX_COLUMNS = 1600;

/** What Redshift would refuse in the table the schema makes (column names too long, too many columns), if anything. */
export function redshiftSchemaProblems(schema: RecordSchemaSpec | undefined): string[] {
  const columns = redshiftColumns(schema);
  const problems = columns.filter(([name]) => Buffer.byteLength(name) > REDSHIFT_MAX_IDENTIFIER_BYTES)
    .map(([name]) => `column '${name.slice(0, 40)}…' is ${Buffer.byteLength(name)} bytes long; Redshift identifiers are at most `
      + `${REDSHIFT_MAX_IDENTIFIER_BYTES} bytes: rename the column in the schema and set its "path" to the record's field`);
  if (columns.length > REDSHIFT_MAX_COLUMNS) {
    problems.push(`the table would have ${columns.length} columns (the envelope's and the schema's); Redshift allows at most ${REDSHIFT_MAX_COLUMNS}: `
      + 'group fields into struct columns (SUPER), or keep rarely used ones in a json column');
  }
  return problems;
}

/** `CREATE TABLE IF NOT EXISTS` for the feed's rows. Distribution and sort keys are left to Redshift (AUTO). */
export function redshiftTableDdl(tableName: string, schema: RecordSchemaSpec | undefined): string {
  const columns = redshiftColumns(schema).map(([name, type]) => `  "${name}" ${type}`);
  return `CREATE TABLE IF NOT EXISTS ${quotedTableName(tableName)} (\n${columns.join(',\n')}\n);`;
}

/** The COPY's column list: every column, quoted (`partition`, `open` and `timestamp` are reserved words). */
export function copyColumns(schema: RecordSchemaSpec | undefined): string {
  return redshiftColumns(schema).map(([name]) => `"${name}"`).join(',');
}

/** What the COPY options miss to read the files Firehose writes, if anything. */
export function copyOptionsProblem(copyOptions: string): string | undefined {
  if (!/\bJSON\b/i.test(copyOptions)) return 'must read JSON (FORMAT AS JSON \'auto\'): the poller writes JSON lines';
  if (!/\bGZIP\b/i.test(copyOptions)) return 'must include GZIP: Firehose GZIP-compresses the files it copies from';
  return undefined;
}
