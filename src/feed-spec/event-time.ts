/**
 * A record's event time: where a feed's time folders come from when they follow the data rather
 * than its arrival (a backfill of November run in December is filed under November). The poller
 * writes a schema's timestamps as ISO 8601 UTC, so a timestamp column gives the time folders
 * directly, to Firehose's dynamic partitioning (jq) as to local files; without a schema, a local
 * run reads the datetime cursor's field of each record.
 */
import type { FeedSpec } from './feed-spec';

/** The time folders (the same as arrival time's), as dynamic partition keys when they follow event time. */
export const EVENT_TIME_KEYS = ['year', 'month', 'day', 'hour'] as const;

/** Where a spec's records carry their event time. */
export type EventTimeSource =
  | { readonly column: string }
  | { readonly cursorPath: string };

/**
 * The spec's event time: `column` (a timestamp column of its schema) when given; otherwise the
 * timestamp column that reads the datetime cursor's field, or, without a schema, that field
 * itself. A string is what is wrong, with the fix.
 */
export function eventTimeSource(spec: FeedSpec, column?: string): EventTimeSource | string {
  const columns = spec.schema?.columns;
  if (column !== undefined) {
    if (!columns) return `event time column '${column}' needs the spec's schema, whose timestamp columns the poller writes in ISO 8601 UTC`;
    const found = Object.prototype.hasOwnProperty.call(columns, column) ? columns[column] : undefined;
    if (!found) return `event time column '${column}' is not a column of the schema (${Object.keys(columns).join(', ')})`;
    if (found.type !== 'timestamp') return `event time column '${column}' is a ${found.type} column; name a timestamp column`;
    return { column };
  }
  const cursor = spec.incremental?.type === 'datetime' ? spec.incremental.cursorPath : undefined;
  if (!columns) {
    return cursor ? { cursorPath: cursor }
      : 'the spec has no event time: give it a schema with a timestamp column (name it), or a datetime cursor';
  }
  const reading = Object.entries(columns).find(([name, spec_]) => spec_.type === 'timestamp' && (spec_.path ?? name) === cursor);
  if (reading) return { column: reading[0] };
  const timestamps = Object.entries(columns).filter(([, spec_]) => spec_.type === 'timestamp').map(([name]) => name);
  return timestamps.length > 0
    ? `no timestamp column of the schema reads the datetime cursor's field${cursor ? ` '${cursor}'` : ''}: name the event time column (one of ${timestamps.join(', ')})`
    : 'the schema has no timestamp column to take the event time from: add one (Column.timestamp()) and name it';
}

/**
 * The jq query of each time folder for rows whose `column` holds an ISO 8601 UTC timestamp (as the
 * poller writes them): `2026-11-05T07:…` gives year 2026, month 11, day 05, hour 07. A row without
 * a value is filed under the time it was fetched, which every row has, rather than failing its batch.
 */
export function eventTimeQueries(column: string): Record<typeof EVENT_TIME_KEYS[number], string> {
  const at = `((.${column}) // .fetched_at)`;
  return { year: `${at}[0:4]`, month: `${at}[5:7]`, day: `${at}[8:10]`, hour: `${at}[11:13]` };
}
