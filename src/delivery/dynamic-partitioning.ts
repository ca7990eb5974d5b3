import { Duration } from 'aws-cdk-lib';
import { usageError } from '../private/usage-error';

/** Names Firehose accepts in `!{partitionKeyFromQuery:NAME}` and that read well in an S3 key. */
const KEY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A dotted path of plain field names: `country`, `address.city`. */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Options for dynamic partitioning.
 */
export interface DynamicPartitioningOptions {
  /**
   * How long Firehose retries delivering to a partition's prefix before it writes the data under
   * the error prefix. Raise it if the bucket is sometimes unavailable for longer.
   *
   * @default Duration.seconds(300)
   */
  readonly retryDuration?: Duration;
}

/**
 * Partitions the delivered objects by values inside each record, with Firehose dynamic
 * partitioning: each key becomes a `key=value/` level of the S3 prefix, after `feed=NAME/` and
 * before the time levels.
 *
 * The poller packs several records into one Firehose record to save cost; with dynamic
 * partitioning on, Firehose splits them again (multi-record deaggregation, JSON lines, at most
 * 500 lines per record, which the poller respects) and appends a newline to each, so the objects
 * stay newline-delimited JSON. Dynamic partitioning is billed per GB processed, and needs a
 * buffering interval of at least 60 seconds and a buffering size of at least 64 MiB.
 */
export class DynamicPartitioning {
  /**
   * Partition by fields of the API's record, for example `{ country: 'country' }` or
   * `{ city: 'address.city' }`: each value is a dotted path inside the record.
   */
  public static byRecordFields(fields: Record<string, string>, options: DynamicPartitioningOptions = {}): DynamicPartitioning {
    const queries: Record<string, string> = {};
    for (const [key, field] of Object.entries(fields)) {
      if (!FIELD_PATH.test(field)) {
        throw usageError(`DynamicPartitioning.byRecordFields: the field of key '${key}' is '${field}'; use a dotted path of plain field names such as 'country' or 'address.city', or DynamicPartitioning.jq() for anything else`);
      }
      queries[key] = `.record.${field}`;
    }
    return new DynamicPartitioning(queries, options, fields);
  }

  /**
   * Partition by jq 1.6 expressions evaluated on each record envelope
   * (`{ feed, record_id, fetched_at, source_url, partition, record }`), for example
   * `{ city: '.partition.city' }` to partition by a static partition of the spec.
   */
  public static jq(queries: Record<string, string>, options: DynamicPartitioningOptions = {}): DynamicPartitioning {
    return new DynamicPartitioning(queries, options);
  }

  /**
   * The same partitioning with the time folders from each row's event time appended
   * (`TimePartitioning.eventTime()`): `queries` are final (they read rows), whatever `byRecordFields` maps.
   * @internal
   */
  public static _withEventTime(base: DynamicPartitioning | undefined, queries: Record<string, string>,
    synthError: (message: string) => never): DynamicPartitioning {
    const clash = Object.keys(queries).filter((key) => base?._keys.includes(key));
    if (clash.length > 0) {
      synthError(`dynamicPartitioning defines key(s) ${clash.join(', ')}, which TimePartitioning.eventTime() uses for the time folders: rename them`);
    }
    return new DynamicPartitioning({ ...base?._queries, ...queries }, { retryDuration: base?._retryDuration }, base?.fields, queries);
  }

  /**
   * The partition keys, in the order they appear in the S3 prefix.
   * @internal
   */
  public readonly _keys: string[];
  /**
   * The jq query of each key.
   * @internal
   */
  public readonly _queries: Record<string, string>;
  /**
   * How long Firehose retries delivering to a partition.
   * @internal
   */
  public readonly _retryDuration: Duration;

  /**
   * The record fields of `byRecordFields`, by key: with a schema, lines are rows and the fields
   * name their columns.
   */
  private readonly fields?: Record<string, string>;

  /**
   * Whether the time folders are dynamic keys from each record's event time (no `!{timestamp:…}` folders then).
   * @internal
   */
  public get _eventTime(): boolean {
    return this.timeQueries !== undefined;
  }

  private constructor(queries: Record<string, string>, options: DynamicPartitioningOptions, fields?: Record<string, string>,
    private readonly timeQueries?: Record<string, string>) {
    this.fields = fields ? { ...fields } : undefined;
    this._keys = Object.keys(queries);
    if (this._keys.length === 0) {
      throw usageError('DynamicPartitioning: give at least one partition key');
    }
    for (const key of this._keys) {
      if (!KEY_NAME.test(key)) {
        throw usageError(`DynamicPartitioning: the partition key '${key}' must be 1-64 letters, digits, '_' or '-'`);
      }
      if (!queries[key].trim()) {
        throw usageError(`DynamicPartitioning: the query of partition key '${key}' is empty; give a jq expression such as '.record.${key}'`);
      }
    }
    this._queries = { ...queries };
    this._retryDuration = options.retryDuration ?? Duration.seconds(300);
    const retrySeconds = this._retryDuration.toSeconds();
    if (retrySeconds < 0 || retrySeconds > 7200) {
      throw usageError(`DynamicPartitioning: retryDuration must be from 0 to 7200 seconds (got ${retrySeconds})`);
    }
  }

  /**
   * The jq query of each key for the lines the poller writes: envelopes (`.record.FIELD`), or,
   * when the spec has a schema, rows whose columns `byRecordFields` names (`.COLUMN`). Throws
   * (through `synthError`) when a field is not a column of the rows.
   * @internal
   */
  public _queriesFor(rowColumns: string[] | undefined, synthError: (message: string) => never): Record<string, string> {
    if (!rowColumns || !this.fields) return this._queries;
    const queries: Record<string, string> = {};
    const timeKeys = Object.keys(this.timeQueries ?? {});
    for (const [key, field] of Object.entries(this.fields)) {
      if (timeKeys.includes(key)) continue;
      if (!rowColumns.includes(field.split('.')[0])) {
        synthError(`dynamicPartitioning: with a schema, records are written as rows of its columns, so DynamicPartitioning.byRecordFields names a column; '${field}' (key '${key}') is not one of ${rowColumns.join(', ')}`);
      }
      queries[key] = `.${field}`;
    }
    return { ...queries, ...this.timeQueries };
  }

  /**
   * `key=!{partitionKeyFromQuery:key}/` for every key, as used in the S3 prefix.
   * @internal
   */
  public _prefixLevels(): string {
    return this._keys.map((key) => `${key}=!{partitionKeyFromQuery:${key}}/`).join('');
  }
}
