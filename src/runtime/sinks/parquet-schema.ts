/**
 * The Parquet schema of a feed's rows, from its spec's `schema`: the envelope's columns, the
 * schema's columns, and `extra_fields` under the `evolve` contract. The types are those of the
 * Glue table the construct creates (`glueType` in src/formats), so a local file and the lake's
 * table read alike: string/json → UTF8, integer → INT64, number → DOUBLE, boolean, timestamp →
 * INT64 TIMESTAMP(MILLIS, UTC), date → INT32 DATE, struct → group, array → 3-level LIST.
 */
import type { SchemaElement } from 'hyparquet-writer';
import { ColumnSpec, RecordSchemaSpec, rowColumnSpecs } from '../../feed-spec/record-schema';

/** A column of the file: its name, its spec, and how a row's JSON value becomes what the writer takes. */
export interface ParquetColumn {
  readonly name: string;
  readonly spec: ColumnSpec;
}

/** Every column of a row, in order. */
export function rowColumns(schema: RecordSchemaSpec): ParquetColumn[] {
  return rowColumnSpecs(schema).map(([name, spec]) => ({ name, spec }));
}

/** The schema elements of one column, depth first (Parquet's flattened schema). */
function elements(name: string, spec: ColumnSpec): SchemaElement[] {
  const optional = { name, repetition_type: 'OPTIONAL' as const };
  switch (spec.type) {
    case 'string':
    case 'json':
      return [{ ...optional, type: 'BYTE_ARRAY', converted_type: 'UTF8' }];
    case 'integer':
      return [{ ...optional, type: 'INT64' }];
    case 'number':
      return [{ ...optional, type: 'DOUBLE' }];
    case 'boolean':
      return [{ ...optional, type: 'BOOLEAN' }];
    case 'timestamp':
      return [{ ...optional, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } }];
    case 'date':
      return [{ ...optional, type: 'INT32', converted_type: 'DATE' }];
    case 'struct': {
      const fields = Object.entries(spec.fields ?? {});
      return [{ ...optional, num_children: fields.length }, ...fields.flatMap(([field, child]) => elements(field, child))];
    }
    case 'array':
      return [
        { ...optional, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...elements('element', spec.items!),
      ];
  }
}

export function parquetSchema(columns: ReadonlyArray<ParquetColumn>): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.flatMap((column) => elements(column.name, column.spec))];
}

/**
 * A row's JSON value as the writer takes it: BigInt for INT64, Date for timestamps and dates,
 * the same recursively inside structs and arrays. The poller wrote the values already converted
 * (row-projection.ts), so only their representation changes here.
 */
export function writerValue(value: unknown, spec: ColumnSpec): unknown {
  if (value === null || value === undefined) return null;
  switch (spec.type) {
    case 'integer':
      return BigInt(value as number);
    case 'timestamp':
      return new Date(value as string);
    case 'date':
      return new Date(`${value as string}T00:00:00Z`);
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const [field, child] of Object.entries(spec.fields ?? {})) out[field] = writerValue((value as Record<string, unknown>)[field], child);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((item) => writerValue(item, spec.items!));
    default:
      return value;
  }
}
