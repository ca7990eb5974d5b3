import type { Duration, Size } from 'aws-cdk-lib';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { DynamicPartitioning } from './dynamic-partitioning';
import type { TimePartitioning } from './time-partitioning';

/**
 * How Firehose delivers the feed's records to S3: where, how buffered, compressed and partitioned.
 */
export interface FeedDeliveryOptions {
  /**
   * The S3 prefix records are delivered under. Must start with a fixed folder that is unique to
   * the feed (grantReadData and bucket sharing rely on it). Change it to fit an existing lake
   * layout; with dynamic partitioning it must contain `!{partitionKeyFromQuery:KEY}` for each key.
   *
   * @default 'feed=NAME/' + one 'KEY=!{partitionKeyFromQuery:KEY}/' per dynamic partition key + 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly dataOutputPrefix?: string;

  /**
   * The S3 prefix Firehose writes records it could not deliver or partition to. Must contain
   * `!{firehose:error-output-type}` if it uses expressions.
   *
   * @default 'errors/feed=NAME/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly errorOutputPrefix?: string;

  /**
   * How long Firehose buffers before writing an object: 0 to 900 seconds (at least 60 with
   * dynamic partitioning). Lower it for fresher data, raise it for fewer, larger objects.
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How much Firehose buffers before writing an object: 1 to 128 MiB (at least 64 with dynamic
   * partitioning). Larger objects are cheaper to query.
   * Lower it for fresher objects at low volumes.
   *
   * @default Size.mebibytes(64)
   */
  readonly bufferingSize?: Size;

  /**
   * Compression of the delivered objects. Choose `Compression.SNAPPY` or `UNCOMPRESSED` if your
   * query engine prefers them.
   *
   * @default Compression.GZIP
   */
  readonly compression?: firehose.Compression;

  /**
   * Partition the delivered objects by values inside each record (Firehose dynamic
   * partitioning), for example `DynamicPartitioning.byRecordFields({ country: 'country' })`.
   * Use it when queries filter on a field; it costs extra per GB.
   *
   * @default - partitioned by feed and time only
   */
  readonly dynamicPartitioning?: DynamicPartitioning;

  /**
   * Which time the objects' time folders and the Glue table's partitions follow: when each record
   * arrived, or when it happened (`TimePartitioning.eventTime()`, a timestamp column of the spec's
   * schema), so that a backfill of last month is filed, and queried, under last month.
   *
   * @default TimePartitioning.arrivalTime()
   */
  readonly timePartitioning?: TimePartitioning;

  /**
   * Your own Lambda function as a Firehose data processor, for transforms that need code (the
   * spec's `transform` covers expressions). The poller packs up to 500 newline-terminated JSON
   * lines into each Firehose record (to save Firehose's 5 KB rounding), so the function receives
   * packed records: split them at newlines, or set dynamicPartitioning, which splits them before
   * the function. Its output is what Firehose delivers (and converts, with `Format.parquet()`).
   * The stream may invoke that function only.
   *
   * @default - no processor of yours
   */
  readonly processorFunction?: lambda.IFunction;
}
