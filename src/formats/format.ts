import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';

/**
 * Options of `Format.parquet()`.
 */
export interface ParquetFormatOptions {
  /**
   * The Glue database the feed's table is created in. Pass a shared database to keep every feed
   * of a lake in one place.
   *
   * @default - a new database for the feed
   */
  readonly database?: glue.IDatabase;

  /**
   * The name of the feed's Glue table: lowercase letters, digits and `_`, what Athena accepts
   * without quoting.
   *
   * @default - the feed name with `-` replaced by `_`
   */
  readonly tableName?: string;

  /**
   * How the Parquet files are compressed (by Firehose's Parquet serializer; the stream's own
   * `compression` must stay unset).
   *
   * @default ParquetCompression.SNAPPY
   */
  readonly compression?: firehose.ParquetCompression;
}

/**
 * Options of `Format.iceberg()`.
 */
export interface IcebergFormatOptions {
  /**
   * The Glue database the feed's Iceberg table is created in.
   *
   * @default - a new database for the feed
   */
  readonly database?: glue.IDatabase;

  /**
   * The name of the feed's Iceberg table: lowercase letters, digits and `_`.
   *
   * @default - the feed name with `-` replaced by `_`
   */
  readonly tableName?: string;

  /**
   * Put the table in Amazon S3 Tables instead: the ARN of the table bucket (for example a
   * `CfnTableBucket`'s `attrTableBucketArn`). The construct creates the namespace, the table with
   * the schema's Iceberg types (`record_id` its identifier field), a Glue resource link to the
   * namespace, and the Lake Formation grants Firehose needs. The account's S3 Tables integration
   * with AWS analytics services (the `s3tablescatalog` Glue catalog) must be enabled once, outside
   * the stack. Not with `database`.
   *
   * @default - a Glue Iceberg table in the feed's bucket
   */
  readonly s3TablesBucketArn?: string;

  /**
   * The S3 Tables namespace the table is created in (with `s3TablesBucketArn`): lowercase letters,
   * digits and `_`. The construct creates it, so each feed needs its own.
   *
   * @default - the feed name with `-` replaced by `_`
   */
  readonly namespace?: string;
}

/** What kind of output a `Format` is. */
export enum FormatKind {
  /** Newline-delimited JSON objects. */
  JSON_LINES = 'jsonLines',
  /** Apache Parquet, converted by Firehose with a Glue table's schema. */
  PARQUET = 'parquet',
  /** An Apache Iceberg table in the Glue Data Catalog, written by Firehose's Iceberg destination. */
  ICEBERG = 'iceberg',
}

/**
 * The format of the objects the feed delivers to S3.
 *
 * With a `schema` in the spec, every line the poller writes is a row: the envelope's fields
 * (`feed`, `record_id`, `fetched_at`, `source_url`, `partition`) and then the schema's columns.
 * `Format.parquet()` has Firehose convert those rows to Parquet with a Glue table generated from
 * the schema, so Athena queries the feed's folder with no crawler.
 */
export class Format {
  /**
   * Newline-delimited JSON, compressed with the stream's `compression` (GZIP by default):
   * envelopes, or rows when the spec has a schema.
   */
  public static jsonLines(): Format {
    return new Format(FormatKind.JSON_LINES);
  }

  /**
   * Apache Parquet through Firehose's record format conversion. The spec must have a `schema`
   * (`api-ingest infer-schema SPEC --write` proposes one): the construct creates a Glue table with
   * its columns, after the envelope's, partitioned like the S3 keys (`year`, `month`, `day`,
   * `hour`, and any dynamic partition keys) with partition projection, so Athena needs no
   * crawler. Firehose requires a buffering size of at least 64 MiB for conversion and compresses
   * with the Parquet serializer.
   */
  public static parquet(options: ParquetFormatOptions = {}): Format {
    return new Format(FormatKind.PARQUET, options);
  }

  /**
   * An Apache Iceberg table (format version 2) in the Glue Data Catalog, written by Firehose's
   * Iceberg destination. The spec must have a `schema`: the construct creates the table with its
   * columns after the envelope's, and Firehose writes each row with `record_id` as the unique key,
   * so a record delivered twice (a retried run, an overlapping lookback) replaces the first
   * instead of duplicating it. Records Firehose cannot write go to the bucket's error prefix.
   * Not with dynamic partitioning or a custom dataOutputPrefix: the table's location is the
   * feed's folder.
   */
  public static iceberg(options: IcebergFormatOptions = {}): Format {
    return new Format(FormatKind.ICEBERG, undefined, options);
  }

  /** What kind of output this is. */
  public readonly kind: FormatKind;

  /**
   * The options of `Format.parquet()`.
   * @internal
   */
  public readonly _parquet?: ParquetFormatOptions;

  /**
   * The options of `Format.iceberg()`.
   * @internal
   */
  public readonly _iceberg?: IcebergFormatOptions;

  private constructor(kind: FormatKind, parquet?: ParquetFormatOptions, iceberg?: IcebergFormatOptions) {
    this.kind = kind;
    this._parquet = parquet;
    this._iceberg = iceberg;
  }
}
