/**
 * Everything besides the spec that the construct and the poller must agree on, in one place:
 * the environment the construct gives the poller, the metrics the poller publishes and the
 * alarms and dashboard read, where the poller keeps dead-letter payloads, the S3 key layout the
 * delivery stream writes and the local sink copies, and Firehose's deaggregation limit.
 *
 * Both sides import it; neither writes these names as literals. A test synthesizes a feed and
 * runs the bundled poller with exactly the environment the template gives it, and checks the
 * metrics it publishes against those the alarms and the dashboard read.
 */

/** The environment variables the construct sets on the poller, by what they hold. */
export const POLLER_ENV = {
  /** The Firehose delivery stream's name. */
  deliveryStreamName: 'DELIVERY_STREAM_NAME',
  /** The dead-letter queue's URL. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** The bucket that keeps dead-letter payloads too large for SQS. */
  deadLetterBucket: 'DEAD_LETTER_BUCKET',
  /** The state table's name (cursors, checkpoints, run lease). */
  stateTableName: 'STATE_TABLE_NAME',
  /** The metrics namespace (read by Powertools for AWS Lambda). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Set with dynamic partitioning: at most this many JSON lines in one Firehose record. */
  maxLinesPerRecord: 'MAX_LINES_PER_RECORD',
  /** Set for OpenSearch: each Firehose record is one document, one JSON line without its newline. */
  documentPerRecord: 'DOCUMENT_PER_RECORD',
  /** Set for a distributed run: the bucket of its work items and results (the feed's bucket). */
  controlBucket: 'CONTROL_BUCKET',
  /** Set for a durable poller (`ExecutionMode.durable()`): the windows of a backfill run at once. */
  backfillConcurrency: 'BACKFILL_CONCURRENCY',
  /** Set for a durable poller: its `executionTimeout` in seconds (no wait is begun that would outlast it). */
  durableExecutionTimeout: 'DURABLE_EXECUTION_TIMEOUT_SECONDS',
  /** Set with `sharedRateBudgets`: a JSON list of `SharedRateBudgetConfig`. */
  sharedRateBudgets: 'SHARED_RATE_BUDGETS',
  /** The deployed spec's fingerprint (see spec-binding.ts): SHA-256 with deploy-time values as placeholders. */
  specSha256: 'FEED_SPEC_SHA256',
  /** Where the spec's deploy-time values are (a JSON list of key paths). */
  specTokenPaths: 'FEED_SPEC_TOKEN_PATHS',
  /** The spec's deploy-time values as deployed (a JSON list, resolved by CloudFormation). */
  specTokenValues: 'FEED_SPEC_TOKEN_VALUES',
} as const;

/**
 * The partition key of a feed's items in its state table: cursors, checkpoints, the lease and the
 * feed's rate budget. A backfill window's state (`<feed>#backfill#<start>/<end>`) is under
 * `feed#<feed>#…`. Feed names hold no `#`, so no feed's keys match another's.
 */
export function feedStateKey(feed: string): string {
  return `feed#${feed}`;
}

/** Every partition key a feed's poller may touch: the `dynamodb:LeadingKeys` of its grant. */
export function feedStateKeys(feed: string): string[] {
  return [feedStateKey(feed), `${feedStateKey(feed)}#*`];
}

/** The partition key of a shared host budget's counter item (its sort key is `rate`). */
export function hostRateBudget(host: string): string {
  return `host#${host.toLowerCase()}`;
}

/** A request budget the feed shares with other feeds for one API host, as the poller reads it. */
export interface SharedRateBudgetConfig {
  /** The host (lowercase) whose requests take from the budget. */
  readonly host: string;
  /** The DynamoDB table that holds the budget's counter. */
  readonly table: string;
  readonly requestsPerSecond: number;
}

/** The namespace, service and dimension of the poller's EMF metrics (Powertools adds `service`). */
export const METRICS_NAMESPACE = 'CdkApiIngestion';
export const METRICS_SERVICE = 'cdk-api-ingestion';
export const FEED_DIMENSION = 'Feed';
/** The second dimension of the per-column metric (`ColumnFilledPercent`). */
export const COLUMN_DIMENSION = 'Column';

/** The metrics the poller publishes once per run, dimensioned by feed. */
export const RUN_METRICS = {
  recordsFetched: 'RecordsFetched',
  recordsDelivered: 'RecordsDelivered',
  recordsDeadLettered: 'RecordsDeadLettered',
  requestsDeadLettered: 'RequestsDeadLettered',
  pages: 'Pages',
  retries: 'Retries',
  firehoseFailedPuts: 'FirehoseFailedPuts',
  /** Bytes Firehose bills for the run's records (each record rounded up to 5 KB). */
  firehoseBytesBilled: 'FirehoseBytesBilled',
  partitionsFailed: 'PartitionsFailed',
  /** Partitions that stopped before the API's last page and resume from a checkpoint next run (the run is partial). */
  partitionsHeld: 'PartitionsHeld',
  runDuration: 'RunDuration',
  cursorLag: 'CursorLag',
  /** With a schema: fields not in it plus values of the wrong type, in the run's records. */
  schemaDrift: 'SchemaDrift',
  /** With a schema: records the freeze contract dead-lettered. */
  schemaRejectedRecords: 'SchemaRejectedRecords',
  /** A distributed run: work items whose worker failed after its retries. */
  itemsFailed: 'ItemsFailed',
  /** Partitions whose pages ended short of the total the API stated (the run is partial). */
  shortReads: 'ShortReads',
  /** Partitions whose cursor could not advance although records arrived. */
  cursorStalls: 'CursorStalls',
  /** With a schema: columns null in every row of a run that delivered rows (not counting those allowed to be empty). */
  emptyColumns: 'EmptyColumns',
  /** With a schema, per column (dimension `Column`): the share of the run's rows that have a value, in percent. */
  columnFilled: 'ColumnFilledPercent',
} as const;

/** The folder of the feed's bucket where the poller keeps dead-letter payloads too large for SQS. */
export const DEAD_LETTER_FOLDER = 'dead-letters/';

/** Where one feed's dead-letter payloads are kept, and the only place redrive reads. */
export function deadLetterPayloadPrefix(feed: string): string {
  return `${DEAD_LETTER_FOLDER}feed=${feed}/`;
}

/** The first folder of a feed's data in the S3 key layout. */
export function feedFolder(feed: string): string {
  return `feed=${feed}/`;
}

/** The time folders of the S3 key layout, with the Firehose timestamp format of each. */
const TIME_FOLDERS: ReadonlyArray<readonly [string, string]> = [['year', 'yyyy'], ['month', 'MM'], ['day', 'dd'], ['hour', 'HH']];

/** The time folders as a Firehose prefix expression: `year=!{timestamp:yyyy}/…/hour=!{timestamp:HH}/`. */
export const FIREHOSE_TIME_FOLDERS = TIME_FOLDERS.map(([name, format]) => `${name}=!{timestamp:${format}}/`).join('');

/** The time folders for one moment (UTC), as Firehose writes them: `year=2026/month=11/day=25/hour=07/`. */
export function timeFolders(at: Date): string {
  const values = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours()];
  return TIME_FOLDERS.map(([name, format], i) => `${name}=${String(values[i]).padStart(format.length, '0')}/`).join('');
}

/** Firehose's multi-record deaggregation splits at most this many JSON lines out of one record. */
export const DEAGGREGATION_MAX_LINES = 500;

/** Windows of a durable backfill run at once unless `ExecutionMode.durable({ backfillConcurrency })` says. */
export const DEFAULT_DURABLE_BACKFILL_CONCURRENCY = 4;
/** The most windows a durable backfill runs at once: they share one invocation's memory and the feed's rate. */
export const MAX_DURABLE_BACKFILL_CONCURRENCY = 20;
