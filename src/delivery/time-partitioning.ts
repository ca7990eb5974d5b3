/**
 * Options of `TimePartitioning.eventTime()`.
 */
export interface EventTimePartitioningOptions {
  /**
   * The timestamp column of the spec's schema that holds each record's event time.
   *
   * @default - the schema's timestamp column that reads the datetime cursor's field
   */
  readonly column?: string;
}

/**
 * Which time the objects' time folders (`year=/month=/day=/hour=`) and the Glue table's
 * partitions follow: when a record arrived (the default), or when it happened.
 */
export class TimePartitioning {
  /** The time Firehose received the record: `!{timestamp:…}` folders, no extra cost. */
  public static arrivalTime(): TimePartitioning {
    return new TimePartitioning();
  }

  /**
   * Each record's event time, a timestamp column of the spec's schema: a backfill of last month is
   * filed under last month, and a query by day finds it. S3 objects and Parquet use Firehose dynamic
   * partitioning (billed per GB processed; buffering at least 60 s and 64 MiB; at most 500 time
   * folders active at once per stream by default, which a backfill's windows in flight must stay
   * under); an Iceberg table in S3 Tables is partitioned by the column's day (Iceberg's hidden
   * partitioning).
   */
  public static eventTime(options: EventTimePartitioningOptions = {}): TimePartitioning {
    return new TimePartitioning({ column: options.column });
  }

  /**
   * With event time: the column named, if any.
   * @internal
   */
  public readonly _eventTime?: { readonly column?: string };

  private constructor(eventTime?: { readonly column?: string }) {
    this._eventTime = eventTime;
  }
}
