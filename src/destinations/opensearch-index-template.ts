/**
 * What an OpenSearch index needs to hold a feed's documents as the spec's schema types them: an
 * index template (mappings from the row's columns) and, for a domain, an ingest pipeline that
 * sets each document's `_id` from the envelope's `record_id` (Firehose cannot take an id from the
 * record), so a record delivered twice overwrites itself within an index.
 */
import { ENVELOPE_COLUMNS, rowColumnSpecs, type ColumnSpec, type RecordSchemaSpec } from '../feed-spec/record-schema';

/** One field's mapping. */
export type FieldMapping = { readonly type: string; readonly [setting: string]: unknown };

/** A string is full-text searchable and has an exact `keyword` sub-field, as OpenSearch maps strings by default. */
const SEARCHABLE_STRING: FieldMapping = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
/** Envelope fields are identifiers: exact matches and aggregations, no full text. */
const IDENTIFIER: FieldMapping = { type: 'keyword' };

export function fieldMapping(column: ColumnSpec): FieldMapping {
  switch (column.type) {
    case 'string':
    case 'json':
      return SEARCHABLE_STRING;
    case 'integer':
      return { type: 'long' };
    case 'number':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      // The poller writes ISO 8601 in UTC, with milliseconds.
      return { type: 'date', format: 'strict_date_optional_time' };
    case 'date':
      return { type: 'date', format: 'strict_date' };
    case 'struct':
      return { type: 'object', properties: Object.fromEntries(Object.entries(column.fields ?? {}).map(([name, field]) => [name, fieldMapping(field)])) };
    case 'array':
      // Every OpenSearch field holds arrays of its type.
      return fieldMapping(column.items!);
  }
}

/** The mappings of a feed's documents: the row's columns with a schema, the envelope and a dynamically mapped `record` without. */
export function documentMappings(schema: RecordSchemaSpec | undefined): Record<string, unknown> {
  const envelope = (name: string, type: string): [string, FieldMapping] =>
    [name, type === 'timestamp' ? fieldMapping({ type: 'timestamp' }) : IDENTIFIER];
  if (!schema) {
    return {
      // Without a schema a record's fields are mapped as they come (OpenSearch's dynamic mapping).
      dynamic: true,
      properties: Object.fromEntries([
        ...ENVELOPE_COLUMNS.filter(([name]) => name !== 'partition').map(([name, type]) => envelope(name, type)),
        ['partition', { type: 'object' }],
        ['record', { type: 'object' }],
      ]),
    };
  }
  const envelopeNames = new Set(ENVELOPE_COLUMNS.map(([name]) => name));
  return {
    // Rows hold only the schema's columns: nothing else is mapped, so drift cannot explode the mapping.
    dynamic: false,
    properties: Object.fromEntries(rowColumnSpecs(schema).map(([name, column]) => (envelopeNames.has(name)
      ? envelope(name, column.type)
      : [name, name === 'extra_fields' ? { type: 'text', index: false } : fieldMapping(column)]))),
  };
}

/** The ingest pipeline's name for a feed. */
export function recordIdPipelineName(feed: string): string {
  return `${feed}-record-id`;
}

/** The pipeline that makes `record_id` the document id. */
export function recordIdPipeline(feed: string): Record<string, unknown> {
  return {
    description: `${feed}: the document id is the envelope's record_id, so a record delivered twice overwrites itself`,
    processors: [{ set: { field: '_id', value: '{{record_id}}' } }],
  };
}

/**
 * The composable index template for the indices Firehose writes: `INDEX` without rotation,
 * `INDEX-*` with. With `pipeline`, new indices run the record-id pipeline by default.
 */
export function indexTemplate(props: {
  readonly indexName: string;
  readonly rotated: boolean;
  readonly schema: RecordSchemaSpec | undefined;
  readonly pipeline?: string;
}): Record<string, unknown> {
  return {
    index_patterns: [props.rotated ? `${props.indexName}-*` : props.indexName],
    template: {
      ...(props.pipeline ? { settings: { 'index.default_pipeline': props.pipeline } } : {}),
      mappings: documentMappings(props.schema),
    },
  };
}

/** OpenSearch's index name rules, for the name Firehose is given (it appends at most `-yyyy-MM-dd-HH`). */
export function indexNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    return 'must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (OpenSearch refuses uppercase, spaces and \\/*?"<>|,#:)';
  }
  if (name.length > 80) return `must be at most 80 characters (Firehose's limit; got ${name.length})`;
  return undefined;
}
