/**
 * Proposes a feed's `schema` from sample records: each field's type merged across records
 * (integers and numbers make a number; nulls say nothing), nested objects as structs, arrays with
 * their element type, ISO 8601 strings as timestamps or dates. A field whose values disagree (a
 * string here, a number there) is reported as a conflict and typed `json`, which keeps every
 * value as it came.
 */
import { COLUMN_NAME, ColumnSpec, ColumnType, ENVELOPE_COLUMNS, EXTRA_FIELDS_COLUMN } from '../../feed-spec/record-schema';

/** Names every row has already: a field named so becomes `<name>_field`. */
const TAKEN = new Set([...ENVELOPE_COLUMNS.map(([name]) => name), EXTRA_FIELDS_COLUMN]);

export interface SchemaConflict {
  /** The record path, e.g. `meta.score`. */
  readonly path: string;
  /** The kinds of value seen there, e.g. `number, string`. */
  readonly seen: string[];
}

/** A field no column can read: an empty name, or a name with a `.` (a path reads it as two fields). */
export interface SkippedField {
  readonly path: string;
  readonly reason: string;
}

export interface InferredSchema {
  readonly columns: Record<string, ColumnSpec>;
  readonly conflicts: SchemaConflict[];
  /** Fields left out of the schema (under `evolve` their values are kept in `extra_fields`). */
  readonly skipped: SkippedField[];
  /** Records the schema was inferred from. */
  readonly records: number;
}

/** Nesting beyond this is kept as raw JSON: a table with deeper structs is no use to a query. */
const MAX_STRUCT_DEPTH = 5;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What was seen at one path. */
interface Observed {
  readonly kinds: Set<ColumnType>;
  /** For objects: what was seen in each member. */
  readonly members: Map<string, Observed>;
  /** For arrays: what was seen in the elements. */
  items?: Observed;
}

const observed = (): Observed => ({ kinds: new Set(), members: new Map() });

function kindOf(value: unknown): ColumnType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return ISO_DATE.test(value) ? 'date' : ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)) ? 'timestamp' : 'string';
  if (Array.isArray(value)) return 'array';
  return 'struct';
}

function observe(into: Observed, value: unknown, depth: number): void {
  const kind = kindOf(value);
  if (!kind) return;
  into.kinds.add(depth > MAX_STRUCT_DEPTH && (kind === 'struct' || kind === 'array') ? 'json' : kind);
  if (depth > MAX_STRUCT_DEPTH) return;
  if (kind === 'struct') {
    for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
      let seen = into.members.get(name);
      if (!seen) into.members.set(name, (seen = observed()));
      observe(seen, member, depth + 1);
    }
  } else if (kind === 'array') {
    into.items ??= observed();
    for (const item of value as unknown[]) observe(into.items, item, depth + 1);
  }
}

/** One type for what was seen: widened where that loses nothing, `json` where values disagree. */
function merge(seen: Observed, path: string, findings: Findings): ColumnSpec {
  const kinds = new Set(seen.kinds);
  if (kinds.has('integer') && kinds.has('number')) kinds.delete('integer');
  if (kinds.has('date') && kinds.has('timestamp')) kinds.delete('date');
  if (kinds.size === 0) return { type: 'string' }; // only nulls: nothing says otherwise
  if (kinds.size > 1) {
    findings.conflicts.push({ path, seen: [...kinds].sort() });
    return { type: 'json' };
  }
  const [type] = kinds;
  if (type === 'struct') {
    if (seen.members.size === 0) return { type: 'json' };
    const fields = columnsOf(seen.members, path, findings);
    return Object.keys(fields).length > 0 ? { type, fields } : { type: 'json' };
  }
  if (type === 'array') {
    return { type, items: seen.items && seen.items.kinds.size > 0 ? merge(seen.items, `${path}[]`, findings) : { type: 'string' } };
  }
  return { type };
}

/** `userId` → `user_id`, `Last-Modified` → `last_modified`, `Ünïcode` → `unicode`: a name Glue and Athena accept. */
export function columnNameOf(field: string): string {
  const snake = field
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  const name = /^[a-z_]/.test(snake) ? snake : `_${snake}`;
  return COLUMN_NAME.test(name) ? name : `_${name.replace(/[^a-z0-9_]/g, '')}`.slice(0, 255);
}

/** What inference collects beside the columns. */
interface Findings {
  readonly conflicts: SchemaConflict[];
  readonly skipped: SkippedField[];
}

function columnsOf(members: Map<string, Observed>, parent: string, findings: Findings): Record<string, ColumnSpec> {
  // A Map, not an object: a field named `constructor` or `__proto__` must not meet Object's own members.
  const columns = new Map<string, ColumnSpec>();
  for (const [field, seen] of members) {
    const path = parent ? `${parent}.${field}` : field;
    if (field === '' || field.includes('.')) {
      findings.skipped.push({ path, reason: field === '' ? 'its name is empty' : 'its name has a ".", which a column path reads as two fields' });
      continue;
    }
    let name = columnNameOf(field);
    if (parent === '' && TAKEN.has(name)) name = `${name}_field`;
    while (columns.has(name) || (parent === '' && TAKEN.has(name))) name = `${name}_`.slice(0, 255);
    const column = merge(seen, path, findings);
    // The path is written only where the name alone would not find the field.
    columns.set(name, name === field ? column : { ...column, path: field });
  }
  return Object.fromEntries(columns);
}

export function inferSchema(records: Iterable<unknown>): InferredSchema {
  const root = observed();
  let count = 0;
  for (const record of records) {
    count += 1;
    if (record !== null && typeof record === 'object' && !Array.isArray(record)) observe(root, record, 1);
  }
  const findings: Findings = { conflicts: [], skipped: [] };
  return { columns: columnsOf(root.members, '', findings), ...findings, records: count };
}
