import { Annotations, CfnResource, Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { feedDeadLetterQueue } from '../dead-letters/feed-dead-letter-queue';
import { FeedDeadLetterQueueOptions } from '../dead-letters/feed-dead-letter-queue-options';
import { DynamicPartitioning } from '../delivery/dynamic-partitioning';
import { FeedDeliveryOptions } from '../delivery/feed-delivery-options';
import { createFeedDeliveryStream, defaultDataOutputPrefix, FeedDeliveryStream, FeedDeliveryStreamProps } from '../delivery/feed-delivery-stream';
import { fixedFolder } from '../delivery/prefixes';
import { Destination, DestinationKind } from '../destinations/destination';
import { destinationDelivery } from '../destinations/destination-delivery';
import { createRedshiftTable } from '../destinations/redshift-table-creator';
import { createDistributedRun } from '../execution/distributed-run';
import { DurableExecutionProps, ExecutionMode } from '../execution/execution-mode';
import { createRunEndpoint, RunEndpoint } from '../execution/run-endpoint';
import { leastRunTime } from '../execution/run-estimate';
import { SharedRateBudget } from '../execution/shared-rate-budget';
import { backfillProblems } from '../feed-spec/backfill';
import { eventTimeQueries, eventTimeSource } from '../feed-spec/event-time';
import { FeedSpecInput, feedNameProblem, formatSpecProblems, parseFeedSpec } from '../feed-spec/feed-spec';
import {
  DEAGGREGATION_MAX_LINES, deadLetterPayloadPrefix, DEFAULT_DURABLE_BACKFILL_CONCURRENCY, feedStateKeys, MAX_DURABLE_BACKFILL_CONCURRENCY,
  METRICS_NAMESPACE, POLLER_ENV, RUN_METRICS, SharedRateBudgetConfig,
} from '../feed-spec/poller-contract';
import { feedControlPrefix, PollerEvent, SCHEDULER_INPUT_MAX_BYTES } from '../feed-spec/poller-event';
import { RecordSchemaSpec, rowColumnNames, withSchemaDefaults } from '../feed-spec/record-schema';
import { specHosts, specUrls } from '../feed-spec/request-hosts';
import { specFingerprint } from '../feed-spec/spec-binding';
import { createFeedTable, createIcebergTable, createS3TablesTable, S3TablesTable } from '../formats/feed-table';
import { Format, FormatKind, IcebergFormatOptions } from '../formats/format';
import { FeedAlarms } from '../monitoring/feed-alarms';
import { FeedDashboard } from '../monitoring/feed-dashboard';
import {
  DeliveryMetricNames, feedMetric, HTTP_ENDPOINT_DELIVERY_METRICS, ICEBERG_DELIVERY_METRICS, OPENSEARCH_DELIVERY_METRICS,
  OPENSEARCH_SERVERLESS_DELIVERY_METRICS, REDSHIFT_DELIVERY_METRICS, S3_DELIVERY_METRICS, schedulePeriodSeconds,
} from '../monitoring/feed-metrics';
import { checkDurableConfig, createPollerFunction, PollerFunction } from '../poller/poller-function';
import { PollerOptions } from '../poller/poller-options';
import { SynthError } from '../private/existing-or-new';
import { FeedClaims } from '../private/feed-claims';
import { acknowledgeFindings, acknowledgeOnPrincipal, logicalIdOf, nagResource } from '../private/nag-acknowledgements';
import { usageError } from '../private/usage-error';
import { createFeedSchedule, FeedSchedule } from '../scheduling/feed-schedule';
import { FeedScheduleOptions } from '../scheduling/feed-schedule-options';
import { ApiSource, BoundApiSource } from '../source/api-source';
import { specProblemsAtSynth, specWithStandIns } from '../source/validate-at-synth';
import { feedBucket } from '../storage/feed-bucket';
import { FeedBucketOptions } from '../storage/feed-bucket-options';
import { feedStateTable } from '../storage/feed-state-table';
import { FeedStateTableOptions } from '../storage/feed-state-table-options';

/**
 * Properties of an `ApiToFirehoseIngestion`. The bucket, delivery, dead-letter queue and state
 * table settings are those of `FeedBucketOptions`, `FeedDeliveryOptions`,
 * `FeedDeadLetterQueueOptions` and `FeedStateTableOptions`.
 */
export interface ApiToFirehoseIngestionProps extends FeedBucketOptions, FeedDeliveryOptions, FeedDeadLetterQueueOptions, FeedStateTableOptions {
  /**
   * The third-party API to pull, and where its records are.
   */
  readonly source: ApiSource;

  /**
   * The feed's name: used in S3 prefixes, record envelopes, metrics and resource descriptions.
   * 1-64 lowercase letters, digits, `-` or `_`; unique within a stack.
   * Set it when the construct id is not the name you want in S3 keys, envelopes and metrics.
   *
   * @default - the construct id in lowercase, with other characters replaced by `-`
   */
  readonly feedName?: string;

  /**
   * The format of the delivered objects: `Format.jsonLines()`, or `Format.parquet()` for a Glue
   * table Athena can query (the spec needs a `schema`).
   *
   * @default Format.jsonLines()
   */
  readonly format?: Format;

  /**
   * Where Firehose delivers the records: the feed's bucket, or an HTTP endpoint
   * (`Destination.httpEndpoint()`). The bucket keeps what another destination did not accept.
   *
   * @default Destination.s3()
   */
  readonly destination?: Destination;

  // ---- schedule ----

  /**
   * How often the API is polled. Use `ScheduleExpression.cron()` to poll at fixed times.
   *
   * @default ScheduleExpression.rate(Duration.hours(1))
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Time zone, start, end and enabled flag of the schedule.
   * Set it for APIs that publish at a local time, for a contract window, or to pause a feed.
   *
   * @default - UTC, active from deployment on, never ending, enabled
   */
  readonly scheduleOptions?: FeedScheduleOptions;

  /**
   * How a run executes: one poller invocation (the default), or a Step Functions Distributed Map
   * over the run's partitions for feeds that outgrow one invocation (`ExecutionMode.distributed()`).
   *
   * @default ExecutionMode.singleInvocation()
   */
  readonly executionMode?: ExecutionMode;

  /**
   * Poll more often than EventBridge Scheduler's finest rate (one minute): each invocation polls
   * the API every `pollInterval` until the next tick, under one lease, committing the cursor and
   * handing the records to Firehose after each poll. Needs a `rate()` schedule of at most
   * 10 minutes and a poller timeout longer than it; not with `ExecutionMode.distributed()`. Pair it
   * with a short `bufferingInterval` (0 where Firehose allows it) for records in S3 within seconds.
   *
   * @default - one poll per schedule tick
   */
  readonly pollInterval?: Duration;

  /**
   * An HTTPS endpoint that starts a run now: a Lambda function URL with `AWS_IAM` auth (callers
   * sign requests with SigV4; `grantStartRun` grants it). `POST` an empty body for every
   * partition, or `{"partitions": [{"station": "KSEA"}]}` for some of the feed's own partitions.
   *
   * @default false
   */
  readonly runEndpointEnabled?: boolean;

  /**
   * Request budgets this feed shares with other feeds for an API host it calls: together, every
   * feed given a budget (and every worker of theirs) stays within its `requestsPerSecond` for
   * that host, on top of each feed's own `limits.requestsPerSecond`. The poller may update the
   * budget's item only.
   *
   * @default - none: the feed's own limit only
   */
  readonly sharedRateBudgets?: SharedRateBudget[];

  // ---- encryption ----

  /**
   * A customer-managed KMS key for the new bucket, the delivery stream, the new dead-letter
   * queue and the new state table, with every grant the stream, the poller and the schedule
   * need. Use it when your policy requires keys you control and audit; existing resources keep
   * their own encryption.
   *
   * @default - AWS-owned or AWS-managed keys: S3-managed for the bucket, AWS-owned for the stream, SQS-managed for the queue, AWS-managed for the table
   */
  readonly encryptionKey?: kms.IKey;

  // ---- poller ----

  /**
   * Memory, timeout, reserved concurrency, VPC, extra environment and log retention of the
   * poller Lambda function.
   * Set it for large pages, private APIs (VPC), a proxy, or another log retention.
   *
   * @default - 512 MB, 5 minutes, no reserved concurrency, no VPC, logs kept three months
   */
  readonly pollerOptions?: PollerOptions;

  // ---- monitoring ----

  /**
   * Create the feed's CloudWatch alarms: poller errors, dead letters waiting, Firehose data
   * freshness, Firehose throttled records, and no records delivered for several schedule periods.
   * Turn them off only if you monitor the feed another way.
   *
   * @default true
   */
  readonly alarmsEnabled?: boolean;

  /**
   * Also alarm when the run's records do not fit the spec's schema: fields not in it, or values
   * of the wrong type (the `SchemaDrift` metric). Whatever this says, drift is counted and, by the
   * schema's contract, kept in `extra_fields`, dropped, or dead-lettered (which the dead-letter
   * alarm reports). Needs a `schema` in the spec.
   *
   * @default false
   */
  readonly schemaDriftAlarmEnabled?: boolean;

  /**
   * An SNS topic notified when an alarm goes into or out of alarm.
   *
   * @default - the alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when no records were delivered for this many schedule periods in a row (1 to 24). Set
   * it higher for APIs that often have nothing new.
   *
   * @default 3
   */
  readonly noRecordsAlarmPeriods?: number;

  /**
   * Create a CloudWatch dashboard for the feed: alarms, records, requests, cursor lag, the
   * poller, the dead-letter queue and Firehose delivery. Dashboards cost money beyond the free
   * tier, so it is off unless you ask.
   *
   * @default false
   */
  readonly dashboardEnabled?: boolean;

  // ---- cost ----

  /**
   * Your own cost allocation tags (cost center, team, project), added to every resource the
   * construct creates, beside the `cdk-api-ingestion:feed` tag it always adds. Activate the keys
   * as cost allocation tags in the Billing console to split the bill per feed or team.
   *
   * @default - only `cdk-api-ingestion:feed` = the feed name
   */
  readonly costTags?: { [key: string]: string };
}

/**
 * Pulls a third-party HTTP API on a schedule into S3 through Kinesis Data Firehose.
 *
 * EventBridge Scheduler invokes a generic poller Lambda with the feed spec; the poller fetches
 * the API, wraps each record in an envelope and writes newline-delimited JSON to a Firehose
 * delivery stream, which delivers GZIP-compressed objects to a time-partitioned S3 prefix.
 * Failed invocations land in an encrypted SQS dead-letter queue.
 */
export class ApiToFirehoseIngestion extends Construct {
  /** The feed's name, as used in prefixes, record envelopes and metrics. */
  public readonly feedName: string;
  /** The bucket the records are delivered to. */
  public readonly bucket: s3.IBucket;
  /** The S3 prefix the records are delivered under (with Firehose expressions). */
  public readonly dataOutputPrefix: string;
  /** The Firehose delivery stream the poller writes to. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The poller Lambda function. */
  public readonly pollerFunction: lambda.IFunction;
  /**
   * With `ExecutionMode.durable()`: the poller's `live` alias, on this deployment's version. The
   * schedule and the run endpoint invoke it (durable functions are invoked by version or alias);
   * so must anything else that starts a run.
   */
  public readonly pollerAlias?: lambda.IAlias;
  /** The dead-letter queue for failed invocations and records. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The schedule that invokes the poller (or starts the state machine of a distributed run). */
  public readonly schedule: scheduler.ISchedule;
  /** With `ExecutionMode.distributed()`: the state machine of the feed's runs. */
  public readonly stateMachine?: sfn.IStateMachine;
  /** With `runEndpointEnabled`: the HTTPS URL (AWS_IAM auth) that starts a run on demand. */
  public readonly runEndpointUrl?: string;
  /** The table that holds the feed's incremental cursors. */
  public readonly stateTable: dynamodb.ITable;
  /** The feed's alarms (empty when `alarmsEnabled` is false). */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The feed's dashboard, when `dashboardEnabled` is true. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The format of the delivered objects. */
  public readonly format: Format;
  /** Where Firehose delivers the records. */
  public readonly destination: Destination;
  /** The Glue database of the feed's table, with `Format.parquet()`. */
  public readonly database?: glue.IDatabase;
  /** The feed's Glue table (Parquet, partition projection), with `Format.parquet()`. */
  public readonly table?: glue.ITable;
  /**
   * With an OpenSearch destination: the index template for the feed's indices (JSON), mapping
   * the spec's schema. Put it before the first delivery: `PUT _index_template/FEED`.
   */
  public readonly openSearchIndexTemplate?: string;
  /**
   * With `Destination.openSearch()`: the ingest pipeline (JSON) that makes `record_id` the
   * document id, which the index template names as the default pipeline. Put it first:
   * `PUT _ingest/pipeline/FEED-record-id`.
   */
  public readonly openSearchIngestPipeline?: string;
  /**
   * With `Destination.redshift()`: the table's `CREATE TABLE IF NOT EXISTS`, from the spec's
   * schema. The construct runs it when `createTable` is set.
   */
  public readonly redshiftTableDdl?: string;
  /**
   * With `Destination.openSearch()`: the statements the domain's access policy needs for
   * Firehose's role. Added to a domain this stack owns; add them yourself to an imported one.
   */
  public readonly destinationAccessStatements: iam.PolicyStatement[];

  /** The fixed folder every delivered object of the feed is under, e.g. `feed=weather/`. */
  private readonly dataRoot: string;
  /** With `Format.iceberg()`: the table, which must exist before the stream. */
  private icebergTableResource?: CfnResource;
  /** With `Format.iceberg({ s3TablesBucketArn })`: the table in S3 Tables and its Lake Formation grants. */
  private s3TablesTable?: S3TablesTable;
  /** OpenSearch takes one document per Firehose record: the poller does not pack lines. */
  private documentPerRecord = false;
  /** With `runEndpointEnabled`: the function URL that starts runs. */
  private runEndpoint?: RunEndpoint;
  /** The stream's dynamic partitioning: the user's, with the event time's folders when chosen. */
  private readonly partitioning?: DynamicPartitioning;
  /** With event time into an S3 Tables table: the column its partition spec takes the day of. */
  private icebergEventTimeColumn?: string;

  constructor(scope: Construct, id: string, props: ApiToFirehoseIngestionProps) {
    super(scope, id);
    // Deliver server access logs through a bucket policy, not the legacy LogDeliveryWrite ACL,
    // whatever the app's feature flags say (set before any child construct reads it).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    // A distributed run's Map writes its results with ResultWriterV2 (a prefix from the plan step), whatever the app's flags say.
    this.node.setContext(cxapi.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
    const synthError = this.synthError.bind(this);
    checkMonitoringProps(props, synthError);

    this.feedName = props.feedName ?? props.source._defaultFeedName() ?? defaultFeedName(id);
    tagFeedResources(this, this.feedName, props.costTags ?? {}, synthError);
    const claims = FeedClaims.of(Stack.of(this));
    claims.claimFeedName(this.feedName, this.node.path, synthError);
    const source = props.source._bind(this, this.feedName);
    const event = this.withPollInterval(this.pollerEvent(source, props.feedName === undefined), props);

    this.bucket = feedBucket(this, { ...pick(props, 'existingBucket', 'bucketProps', 'encryptionKey'), synthError });
    this.deadLetterQueue = feedDeadLetterQueue(this, { ...pick(props, 'existingDeadLetterQueue', 'deadLetterQueueProps', 'encryptionKey'), synthError });
    this.partitioning = this.partitioningOf(props, source.spec);
    this.dataOutputPrefix = props.dataOutputPrefix ?? defaultDataOutputPrefix(this.feedName, this.partitioning);
    this.dataRoot = fixedFolder(this.dataOutputPrefix);
    if (!this.dataRoot) {
      synthError(`dataOutputPrefix '${this.dataOutputPrefix}' must start with a fixed folder such as 'feed=${this.feedName}/', so that readers and other feeds of the bucket can be kept apart`);
    }
    claims.claimPrefix(this.bucket, this.dataRoot, this.node.path, synthError);
    this.format = props.format ?? Format.jsonLines();
    this.destination = props.destination ?? Destination.s3();
    this.checkDestination(props);
    const schema = withSchemaDefaults(source.spec.schema);
    if (props.schemaDriftAlarmEnabled && !schema) {
      synthError('schemaDriftAlarmEnabled needs a schema in the spec to measure drift against: add one, or remove schemaDriftAlarmEnabled');
    }
    const target = destinationDelivery(this.destination, this.feedName, schema, synthError);
    this.openSearchIndexTemplate = target.indexTemplate;
    this.openSearchIngestPipeline = target.ingestPipeline?.body;
    this.redshiftTableDdl = target.tableDdl;
    this.documentPerRecord = target.documentPerRecord;
    const delivery = this.createDelivery(props, schema, target.stream);
    this.deliveryStream = delivery.deliveryStream;
    this.destinationAccessStatements = delivery.accessStatements;
    // Incremental cursors, checkpoints and the run lease, per feed and partition.
    this.stateTable = feedStateTable(this, pick(props, 'existingStateTable', 'encryptionKey'));

    const mode = props.executionMode ?? ExecutionMode.singleInvocation();
    if (mode._kind === 'single' && !props.pollInterval) this.warnIfRunOutgrowsInvocation(source.spec, props.pollerOptions?.timeout?.toSeconds() ?? 300);
    if (mode._kind === 'distributed') this.checkSomethingToDistribute(source.spec);
    const poller = this.createPoller(props, source, mode);
    this.pollerFunction = poller.fn;
    this.pollerAlias = poller.alias;
    this.stateMachine = mode._kind === 'distributed' ? createDistributedRun(this, {
      ...mode._props,
      feed: this.feedName,
      pollerFunction: this.pollerFunction,
      bucket: this.bucket,
      encryptionKey: props.encryptionKey,
      requestsPerSecond: source.spec.limits?.requestsPerSecond,
      synthError,
    }) : undefined;
    const feedSchedule = this.createSchedule(props, event);
    this.schedule = feedSchedule.schedule;
    if (props.runEndpointEnabled) {
      this.runEndpoint = createRunEndpoint(this, {
        feed: this.feedName,
        schedule: this.schedule,
        pollerFunction: this.pollerAlias ?? this.pollerFunction,
        stateMachine: this.stateMachine,
        backfills: mode._kind === 'durable',
      });
      this.runEndpointUrl = this.runEndpoint.url.url;
    }
    const monitoring = this.createMonitoring(props, feedSchedule.expression.expressionString, source.spec.incremental !== undefined, schema);
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /** The feed's alarms (unless turned off) and, when asked, its dashboard, from the run's metrics and the resources'. */
  private createMonitoring(props: ApiToFirehoseIngestionProps, scheduleExpression: string, incremental: boolean,
    schema: RecordSchemaSpec | undefined): { alarms: cloudwatch.Alarm[]; dashboard?: cloudwatch.Dashboard } {
    const alarms = props.alarmsEnabled === false ? [] : new FeedAlarms(this, 'Alarms', {
      feed: this.feedName,
      pollerFunction: this.pollerFunction,
      deadLetterQueue: this.deadLetterQueue,
      deliveryStream: this.deliveryStream,
      schedulePeriodSeconds: schedulePeriodSeconds(scheduleExpression),
      noRecordsPeriods: props.noRecordsAlarmPeriods ?? 3,
      freshnessThreshold: Duration.seconds(900),
      topic: props.alarmTopic,
      schemaDrift: props.schemaDriftAlarmEnabled,
      deliveryMetrics: this.deliveryMetrics(),
      schema: schema !== undefined,
      incremental,
    }).alarms;
    const dashboard = props.dashboardEnabled ? new FeedDashboard(this, 'Dashboard', {
      feed: this.feedName,
      pollerFunction: this.pollerFunction,
      deadLetterQueue: this.deadLetterQueue,
      deliveryStream: this.deliveryStream,
      alarms,
      pollerMemoryMb: props.pollerOptions?.memorySize ?? 512,
      schemaColumns: schema ? Object.keys(schema.columns) : undefined,
      incremental,
      deliveryMetrics: this.deliveryMetrics(),
    }).dashboard : undefined;
    return { alarms, dashboard };
  }

  /** Records the poller delivered to Firehose (sum over 5 minutes by default). */
  public metricRecordsDelivered(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return feedMetric(this.feedName, RUN_METRICS.recordsDelivered, 'Sum').with(props);
  }

  /**
   * Fields not in the spec's schema plus values of the wrong type, in the records the poller
   * fetched (sum over 5 minutes by default). Only a spec with a schema publishes it.
   */
  public metricSchemaDrift(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return feedMetric(this.feedName, RUN_METRICS.schemaDrift, 'Sum').with(props);
  }

  /** Records the poller sent to the dead-letter queue (sum over 5 minutes by default). */
  public metricRecordsDeadLettered(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return feedMetric(this.feedName, RUN_METRICS.recordsDeadLettered, 'Sum').with(props);
  }

  /**
   * Lets `grantee` start a run of the feed now, beside its schedule: `states:StartExecution` on
   * the state machine of a distributed feed, `lambda:InvokeFunction` on the poller otherwise, and
   * `lambda:InvokeFunctionUrl` on the run endpoint when there is one.
   * The run takes the feed's lease like a scheduled one, so it never overlaps another.
   */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    const start = this.stateMachine ? this.stateMachine.grantStartExecution(grantee) : this.pollerFunction.grantInvoke(grantee);
    return this.runEndpoint ? start.combine(this.runEndpoint.url.grantInvokeUrl(grantee)) : start;
  }

  /**
   * Lets a principal read the feed's delivered data, nothing else: `s3:GetObject` on the feed's
   * folder, `s3:ListBucket` limited to that folder, and decrypting with the bucket's key if it
   * has one. Not other feeds of a shared bucket, not dead letters, not Firehose's error objects.
   *
   * The folder grant is a wildcard by nature: when the grantee's principal is a construct of the
   * app (a role, a function's role), the library acknowledges that one cdk-nag finding on it
   * (`AwsSolutions-IAM5[Resource::<bucket>/<folder>*]`), for cdk-nag 2 and 3 alike.
   */
  public grantReadData(grantee: iam.IGrantable): iam.Grant {
    const folder = `${this.dataRoot}*`;
    acknowledgeOnPrincipal(grantee.grantPrincipal, [`AwsSolutions-IAM5[${nagResource(this, this.bucket.arnForObjects(folder))}]`],
      `Reads every object of the ${this.feedName} feed's folder, which is what ApiToFirehoseIngestion.grantReadData grants (and grantQuery through it).`);
    let grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(folder)] })
      .combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['s3:ListBucket'],
        resourceArns: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [folder] } },
      }));
    if (this.bucket.encryptionKey) {
      grant = grant.combine(this.bucket.encryptionKey.grantDecrypt(grantee));
    }
    return grant;
  }

  /**
   * Lets a principal query the feed's table with Athena: read the table's Glue metadata, the
   * feed's data (`grantReadData`) and run queries in an Athena workgroup. The workgroup's query
   * results location is the principal's own to grant. With `Format.parquet()` or
   * `Format.iceberg()`; for a table in S3 Tables, Lake Formation must also grant the principal
   * SELECT on it (the data is reached through Lake Formation, not the feed's bucket).
   *
   * @param grantee who queries
   * @param workGroup the Athena workgroup the queries run in (default 'primary')
   */
  public grantQuery(grantee: iam.IGrantable, workGroup: string = 'primary'): iam.Grant {
    const table = this.table;
    if (!table || !this.database) {
      this.synthError('grantQuery needs a table to query: set format: Format.parquet() or Format.iceberg() (and a schema in the spec)');
    }
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      resourceArns: [this.database.catalog.catalogArn, this.database.databaseArn, table.tableArn],
    }).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resourceArns: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroup })],
    })).combine(this.grantReadData(grantee));
  }

  /**
   * The delivery stream into the destination, with what the format needs (a Glue or Iceberg
   * table, created from the spec's schema) and what must exist before the stream.
   */
  private createDelivery(props: ApiToFirehoseIngestionProps, schema: RecordSchemaSpec | undefined,
    destination: Pick<FeedDeliveryStreamProps, 'httpEndpoint' | 'openSearch' | 'redshift'>): FeedDeliveryStream {
    const synthError = this.synthError.bind(this);
    const delivery = createFeedDeliveryStream(this, {
      ...pick(props, 'errorOutputPrefix', 'bufferingInterval', 'bufferingSize', 'compression', 'processorFunction', 'encryptionKey'),
      dynamicPartitioning: this.partitioning,
      dataOutputPrefix: this.dataOutputPrefix,
      feed: this.feedName,
      bucket: this.bucket,
      ...this.formatDelivery(schema, props),
      ...destination,
      rowColumns: schema ? rowColumnNames(schema) : undefined,
      synthError,
    });
    if (this.icebergTableResource) delivery.deliveryStream.node.addDependency(this.icebergTableResource);
    if (this.s3TablesTable && delivery.icebergRole) {
      // Firehose checks its access when the stream is created: the grants come first (on the
      // stream resource itself, not its role, which the grants name).
      const stream = delivery.deliveryStream.node.defaultChild as CfnResource;
      for (const grant of this.s3TablesTable.grantWrite(delivery.icebergRole)) stream.node.addDependency(grant);
    }
    if (this.table && this.format.kind === FormatKind.PARQUET) {
      acknowledgeFindings(delivery.deliveryStream, ['AwsSolutions-IAM5[Resource::*]'],
        'aws-cdk-lib\'s SchemaConfiguration grants the Firehose role glue:GetSchemaVersion on *, as AWS documents for record format conversion; '
        + 'it reads schema versions only. Its table reads (glue:GetTable*) are on the feed\'s own catalog, database and table.');
    }
    const redshift = this.destination._redshift;
    if (redshift?.createTable) {
      // The table exists before the first COPY.
      delivery.deliveryStream.node.addDependency(createRedshiftTable(this, { ddl: this.redshiftTableDdl!, ...redshift }));
    }
    return delivery;
  }

  /** The delivery metrics of the feed's destination. */
  private deliveryMetrics(): DeliveryMetricNames {
    switch (this.destination.kind) {
      case DestinationKind.HTTP_ENDPOINT: return HTTP_ENDPOINT_DELIVERY_METRICS;
      case DestinationKind.OPENSEARCH: return OPENSEARCH_DELIVERY_METRICS;
      case DestinationKind.OPENSEARCH_SERVERLESS: return OPENSEARCH_SERVERLESS_DELIVERY_METRICS;
      case DestinationKind.REDSHIFT: return REDSHIFT_DELIVERY_METRICS;
      case DestinationKind.S3: break;
    }
    return this.format.kind === FormatKind.ICEBERG ? ICEBERG_DELIVERY_METRICS : S3_DELIVERY_METRICS;
  }

  /** A destination other than S3 takes JSON lines only, and has no S3 prefix of its own. */
  private checkDestination(props: ApiToFirehoseIngestionProps): void {
    if (this.destination.kind === DestinationKind.S3) return;
    if (this.format.kind !== FormatKind.JSON_LINES) {
      this.synthError(`format ${this.format.kind} needs the S3 destination: Firehose converts records and writes tables only into S3. `
        + 'Remove format, or deliver to S3');
    }
    // Redshift copies from files under the data prefix; the others keep only failed data in the bucket.
    if (props.dataOutputPrefix !== undefined && this.destination.kind !== DestinationKind.REDSHIFT) {
      this.synthError(`dataOutputPrefix is for S3 objects: with Destination.${this.destination.kind}() only failed data is kept in the bucket, under backups/feed=NAME/. Remove dataOutputPrefix`);
    }
  }

  /**
   * The stream's dynamic partitioning: the user's keys, and with `TimePartitioning.eventTime()`
   * the time folders from each row's event time column (rows: the poller writes timestamps in
   * ISO 8601 UTC, which jq cuts into year, month, day and hour).
   */
  private partitioningOf(props: ApiToFirehoseIngestionProps, spec: FeedSpecInput): DynamicPartitioning | undefined {
    const eventTime = props.timePartitioning?._eventTime;
    if (!eventTime) return props.dynamicPartitioning;
    const what = 'timePartitioning: TimePartitioning.eventTime()';
    const iceberg = props.format?.kind === FormatKind.ICEBERG;
    if (iceberg && props.format?._iceberg?.s3TablesBucketArn === undefined) {
      this.synthError(`${what} with Format.iceberg() partitions an S3 Tables table (set s3TablesBucketArn); a Glue-catalog Iceberg table is created `
        + 'unpartitioned, and is queried by its columns, so a query on the event time column finds backfilled rows whatever their arrival: remove timePartitioning');
    }
    if (props.destination !== undefined && props.destination.kind !== DestinationKind.S3) {
      this.synthError(`${what} is for S3 objects: Firehose's dynamic partitioning works only with an S3 destination, not ${props.destination.kind}; remove timePartitioning`);
    }
    if (!spec.schema) {
      this.synthError(`${what} needs the spec's schema: the time folders come from a timestamp column, which the poller writes in ISO 8601 UTC. `
        + 'Add a schema (api-ingest infer-schema SPEC --write proposes one) with the record\'s event time as a timestamp column');
    }
    const source = eventTimeSource(parseFeedSpec(specWithStandIns(spec)), eventTime.column);
    if (typeof source === 'string') this.synthError(`${what}: ${source}`);
    if (!('column' in source)) this.synthError(`${what} needs a timestamp column of the schema`);
    // An Iceberg table partitions itself (a partition spec on the column); S3 objects by dynamic partitioning.
    if (iceberg) {
      this.icebergEventTimeColumn = source.column;
      return props.dynamicPartitioning;
    }
    return DynamicPartitioning._withEventTime(props.dynamicPartitioning, eventTimeQueries(source.column), this.synthError.bind(this));
  }

  /** Throws an error that names this construct, with `message` saying what to change. */
  private synthError(message: string): never {
    throw usageError(`ApiToFirehoseIngestion '${this.node.path}': ${message}`);
  }

  /**
   * What `format` needs of the stream: nothing for JSON lines; for Parquet, the feed's Glue table
   * and the conversion that reads it; for Iceberg, the feed's Iceberg table to write into. Both
   * tables are created here, from the spec's schema.
   */
  private formatDelivery(schema: RecordSchemaSpec | undefined, props: ApiToFirehoseIngestionProps): {
    dataFormatConversion?: firehose.DataFormatConversionProps;
    icebergTable?: { databaseName: string; tableName: string };
  } {
    if (this.format.kind === FormatKind.JSON_LINES) return {};
    const name = this.format.kind === FormatKind.PARQUET ? 'Format.parquet()' : 'Format.iceberg()';
    if (!schema) {
      this.synthError(`${name} needs the spec's schema, which gives the table its columns: add one with RecordSchema.of() `
        + '(or "schema" in a JSON spec); "api-ingest infer-schema SPEC --write" proposes one from the API\'s records');
    }
    if (this.format.kind === FormatKind.ICEBERG) {
      if (props.dataOutputPrefix !== undefined) {
        this.synthError('dataOutputPrefix is for S3 objects: with Format.iceberg() the table\'s location is the feed\'s folder (feed=NAME/). Remove dataOutputPrefix');
      }
      const options = this.format._iceberg ?? {};
      if (options.s3TablesBucketArn !== undefined) return this.s3TablesDelivery(schema, options);
      if (options.namespace !== undefined) {
        this.synthError('Format.iceberg() namespace is for S3 Tables: set s3TablesBucketArn too, or remove namespace');
      }
      const iceberg = createIcebergTable(this, {
        feed: this.feedName,
        schema,
        bucket: this.bucket,
        dataRoot: this.dataRoot,
        options: this.format._iceberg ?? {},
        synthError: this.synthError.bind(this),
      });
      (this as { database?: glue.IDatabase }).database = iceberg.database;
      (this as { table?: glue.ITable }).table = iceberg.table;
      this.icebergTableResource = iceberg.resource;
      return { icebergTable: { databaseName: iceberg.database.databaseName, tableName: iceberg.tableName } };
    }
    return { dataFormatConversion: this.parquetConversion(schema) };
  }

  /** Iceberg in S3 Tables: the namespace, the table and its resource link (the Lake Formation grants follow the stream's role). */
  private s3TablesDelivery(
    schema: RecordSchemaSpec, options: IcebergFormatOptions,
  ): { icebergTable: { databaseName: string; tableName: string; lakeFormation: boolean } } {
    if (options.database) {
      this.synthError('Format.iceberg() database is for a Glue Iceberg table; with s3TablesBucketArn the table is in the S3 Tables namespace. Remove one of them');
    }
    const table = createS3TablesTable(this, {
      feed: this.feedName,
      schema,
      tableBucketArn: options.s3TablesBucketArn!,
      options,
      eventTimeColumn: this.icebergEventTimeColumn,
      synthError: this.synthError.bind(this),
    });
    this.s3TablesTable = table;
    this.icebergTableResource = table.resource;
    (this as { database?: glue.IDatabase }).database = table.database;
    (this as { table?: glue.ITable }).table = table.table;
    return { icebergTable: { databaseName: table.linkDatabaseName, tableName: table.tableName, lakeFormation: true } };
  }

  /** Parquet: the feed's Glue table (created here, from the spec's schema) and the conversion that reads it. */
  private parquetConversion(schema: RecordSchemaSpec): firehose.DataFormatConversionProps {
    const parquet = this.format._parquet ?? {};
    const { database, table } = createFeedTable(this, {
      feed: this.feedName,
      schema,
      bucket: this.bucket,
      dataRoot: this.dataRoot,
      dataOutputPrefix: this.dataOutputPrefix,
      eventTime: this.partitioning?._eventTime,
      options: parquet,
      synthError: this.synthError.bind(this),
    });
    (this as { database?: glue.IDatabase }).database = database;
    (this as { table?: glue.ITable }).table = table;

    return {
      schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(table.node.defaultChild as glue.CfnTable),
      // The poller writes timestamps as ISO 8601 UTC (yyyy-MM-ddTHH:mm:ss.SSSZ), which the OpenX
      // JSON SerDe parses; its column names are already lowercase.
      inputFormat: firehose.InputFormat.OPENX_JSON,
      outputFormat: new firehose.ParquetOutputFormat({ compression: parquet.compression ?? firehose.ParquetCompression.SNAPPY }),
    };
  }

  /** The poller function, its environment (the poller contract), its grants and their reasons. */
  private createPoller(props: ApiToFirehoseIngestionProps, source: BoundApiSource, mode: ExecutionMode): PollerFunction {
    const { deliveryStream, deadLetterQueue, stateTable, bucket } = this;
    const budgets = this.checkedRateBudgets(props.sharedRateBudgets ?? [], source.spec);
    const durable = mode._kind === 'durable' ? this.durableConfig(mode._durable, props) : undefined;
    const poller = createPollerFunction(this, {
      durable,
      feed: this.feedName,
      pollerOptions: props.pollerOptions,
      onFailure: new destinations.SqsDestination(deadLetterQueue),
      encryptionKey: props.encryptionKey,
      environment: {
        ...specBindingEnvironment(this, source.spec),
        [POLLER_ENV.deliveryStreamName]: deliveryStream.deliveryStreamName,
        [POLLER_ENV.deadLetterQueueUrl]: deadLetterQueue.queueUrl,
        [POLLER_ENV.stateTableName]: stateTable.tableName,
        [POLLER_ENV.deadLetterBucket]: bucket.bucketName,
        [POLLER_ENV.metricsNamespace]: METRICS_NAMESPACE,
        // Firehose deaggregates at most 500 JSON lines per record for dynamic partitioning.
        ...(this.partitioning ? { [POLLER_ENV.maxLinesPerRecord]: String(DEAGGREGATION_MAX_LINES) } : {}),
        ...(this.documentPerRecord ? { [POLLER_ENV.documentPerRecord]: 'true' } : {}),
        ...(mode._kind === 'distributed' ? { [POLLER_ENV.controlBucket]: bucket.bucketName } : {}),
        ...(durable ? {
          [POLLER_ENV.backfillConcurrency]: String(mode._durable.backfillConcurrency ?? DEFAULT_DURABLE_BACKFILL_CONCURRENCY),
          // A token (a deploy-time duration) cannot be written here: the poller then begins any wait.
          ...(durable.executionTimeout.isUnresolved() ? {} : { [POLLER_ENV.durableExecutionTimeout]: String(durable.executionTimeout.toSeconds()) }),
        } : {}),
        ...(budgets.length > 0 ? {
          [POLLER_ENV.sharedRateBudgets]: Stack.of(this).toJsonString(budgets.map((b): SharedRateBudgetConfig => ({
            host: b.host, table: b.table.tableName, requestsPerSecond: b.requestsPerSecond,
          }))),
        } : {}),
      },
      synthError: this.synthError.bind(this),
    });
    this.grantPoller(poller.fn, poller.role);
    for (const budget of budgets) budget.grantUse(poller.fn);
    if (mode._kind === 'distributed') this.grantControlFolder(poller.fn, poller.role);
    for (const secret of source.secrets) {
      // Read at run time, never written into the template or the environment.
      secret.grantRead(poller.fn);
    }
    if (source.spec.auth?.type === 'oauth2RefreshToken') {
      // A rotated refresh token is written back as a new version made current by a compare-and-set
      // (see token-auth.ts): these two actions only, not grantWrite's UpdateSecret (description, key).
      for (const secret of source.secrets) grantRotatedTokenWrite(secret, poller.fn);
    }
    acknowledgeFindings(poller.role, ['AwsSolutions-IAM5[Resource::*]'],
      'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no resource-level permissions'
      + (props.pollerOptions?.vpc ? ', nor do the EC2 network-interface actions a VPC function needs (those of AWSLambdaVPCAccessExecutionRole).' : '.'));
    acknowledgeFindings(poller.fn, ['Serverless-LambdaDLQ'],
      'Failed async invocations go to the SQS dead-letter queue through an on-failure destination (EventInvokeConfig), which carries more context than the legacy DeadLetterConfig.');
    return poller;
  }

  /** `ExecutionMode.durable()`'s configuration, checked against Lambda's bounds and what it cannot be combined with. */
  private durableConfig(durable: DurableExecutionProps, props: ApiToFirehoseIngestionProps): lambda.DurableConfig {
    if (props.pollInterval !== undefined) {
      this.synthError('pollInterval polls in a loop inside one invocation until the next tick; a durable run waits between passes instead: '
        + 'remove pollInterval, or use ExecutionMode.singleInvocation() for near-real-time polling');
    }
    const concurrency = durable.backfillConcurrency;
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_DURABLE_BACKFILL_CONCURRENCY)) {
      this.synthError(`ExecutionMode.durable({ backfillConcurrency }) is ${concurrency}: set a whole number from 1 to ${MAX_DURABLE_BACKFILL_CONCURRENCY} `
        + '(the windows share one invocation\'s memory and the feed\'s rate); for more at once, use ExecutionMode.distributed()');
    }
    const config: lambda.DurableConfig = {
      executionTimeout: durable.executionTimeout ?? Duration.days(1),
      retentionPeriod: durable.retentionPeriod ?? Duration.days(14),
    };
    checkDurableConfig(config, props.pollerOptions?.timeout ?? Duration.minutes(5), this.synthError.bind(this));
    return config;
  }

  /** Shared budgets for hosts the feed calls, one per host: a budget for another host would never be taken from. */
  private checkedRateBudgets(budgets: SharedRateBudget[], spec: FeedSpecInput): SharedRateBudget[] {
    if (budgets.length === 0) return budgets;
    const hosts = specHosts(spec);
    // A host known only at deploy time (a token in a URL) cannot be checked here.
    const hostsKnown = specUrls(spec).every((url) => !Token.isUnresolved(url));
    const seen = new Set<string>();
    for (const budget of budgets) {
      if (hostsKnown && !hosts.includes(budget.host)) {
        this.synthError(`sharedRateBudgets: ${budget.node.path} is for ${budget.host}, which feed ${this.feedName} never calls (its hosts: ${hosts.join(', ') || 'templated only'}); `
          + 'give the feed the budget of a host its requests go to, or list a templated host in limits.allowedHosts');
      }
      if (seen.has(budget.host)) this.synthError(`sharedRateBudgets: two budgets for ${budget.host}; give the feed one budget per host`);
      seen.add(budget.host);
    }
    return budgets;
  }

  /** The schedule that invokes the poller with the feed's event. */
  private createSchedule(props: ApiToFirehoseIngestionProps, event: PollerEvent): FeedSchedule {
    const feedSchedule = createFeedSchedule(this, {
      feed: this.feedName,
      expression: props.schedule ?? scheduler.ScheduleExpression.rate(Duration.hours(1)),
      scheduleOptions: props.scheduleOptions,
      // A durable function is invoked by version or alias.
      pollerFunction: this.pollerAlias ?? this.pollerFunction,
      stateMachine: this.stateMachine,
      input: event,
      deadLetterQueue: this.deadLetterQueue,
      synthError: this.synthError.bind(this),
    });
    // An alias is granted by its own ARN; only the function is granted with its versions (function:poller:*).
    if (!this.stateMachine && !this.pollerAlias) {
      acknowledgeFindings(feedSchedule.role, [`AwsSolutions-IAM5[Resource::<${logicalIdOf(this.pollerFunction)}.Arn>:*]`],
        'lambda:InvokeFunction on the poller function and its versions/aliases (function:poller:*), granted by aws-cdk-lib\'s LambdaInvoke target; nothing else.');
    }
    return feedSchedule;
  }

  /** The schedule's event with near-real-time polling, checked against the schedule and the poller's timeout. */
  private withPollInterval(event: PollerEvent, props: ApiToFirehoseIngestionProps): PollerEvent {
    if (props.pollInterval === undefined) return event;
    const every = props.pollInterval.toMilliseconds() / 1000;
    const expression = (props.schedule ?? scheduler.ScheduleExpression.rate(Duration.hours(1))).expressionString;
    const tick = /^rate\(/.test(expression) ? schedulePeriodSeconds(expression) : undefined;
    const timeout = props.pollerOptions?.timeout?.toSeconds() ?? 300;
    if (!Number.isInteger(every) || every < 1 || every >= 60) {
      this.synthError(`pollInterval is ${props.pollInterval.toHumanString()}: set whole seconds from 1 to 59 (a schedule polls every minute or less often by itself)`);
    }
    if (props.executionMode?._kind === 'distributed') {
      this.synthError('pollInterval is for one invocation polling in a loop; a distributed run maps partitions instead: remove one of them');
    }
    if (tick === undefined || tick > 600) {
      this.synthError(`pollInterval needs a rate() schedule of at most 10 minutes, whose invocation polls until the next tick (schedule is ${expression}): `
        + 'set schedule: ScheduleExpression.rate(Duration.minutes(1))');
    }
    if (tick! + 30 > timeout) {
      this.synthError(`pollInterval polls for the ${tick} s between ticks, but pollerOptions.timeout is ${timeout} s: set a timeout of at least ${tick! + 30} s`);
    }
    return { ...event, poll: { everySeconds: every, forSeconds: tick! } };
  }

  /**
   * A distributed run maps partitions (times a backfill's windows): a feed without partitions maps
   * one item per scheduled run, paying Step Functions for nothing, unless it is kept for backfills.
   */
  private checkSomethingToDistribute(spec: FeedSpecInput): void {
    if (spec.partitions !== undefined) return;
    if (backfillProblems(parseFeedSpec(specWithStandIns(spec))).length > 0) {
      this.synthError('ExecutionMode.distributed() on a feed without partitions maps one work item per run, and the feed cannot be backfilled '
        + '(it needs a datetime cursor and {{ window.end }}): remove executionMode (a single invocation does the same work for less), or add partitions');
    }
    Annotations.of(this).addWarningV2('cdk-api-ingestion:distributedWithoutPartitions',
      'ExecutionMode.distributed() on a feed without partitions maps one work item per scheduled run: it pays off only for backfills, '
      + 'whose windows are mapped in parallel. Keep it for them, or remove executionMode if you do not backfill this feed.');
  }

  /** A synth warning when the static partitions' least request time cannot fit one invocation. */
  private warnIfRunOutgrowsInvocation(spec: FeedSpecInput, timeoutSeconds: number): void {
    const estimate = leastRunTime(spec);
    // The poller keeps up to a minute (and a fifth of its time) back to commit its progress.
    const budget = timeoutSeconds - Math.min(Math.max(10, timeoutSeconds * 0.2), 60);
    if (!estimate || estimate.seconds <= budget) return;
    Annotations.of(this).addWarningV2('cdk-api-ingestion:runOutgrowsInvocation',
      `a run makes at least ${estimate.requests} requests (static partitions x pages), about ${Math.round(estimate.seconds)} s at the spec's rate `
      + `and partition concurrency, more than the ${Math.round(budget)} s one poller invocation has: each run would stop at its time budget and `
      + 'continue next run from checkpoints. Set executionMode: ExecutionMode.distributed() to run the partitions on a Step Functions '
      + 'Distributed Map, or ExecutionMode.durable() to go on in passes of one invocation each within the same run (docs/SCALING.md), '
      + 'or raise pollerOptions.timeout.');
  }

  /** A distributed run's steps write its work items and read the Map's results, under the feed's control folder only. */
  private grantControlFolder(pollerFunction: lambda.IFunction, role: iam.Role): void {
    const folder = feedControlPrefix(this.feedName);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [this.bucket.arnForObjects(`${folder}*`)] }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${folder}*`] } },
    }));
    this.bucket.encryptionKey?.grant(pollerFunction, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledgeFindings(role, [`AwsSolutions-IAM5[${nagResource(this, this.bucket.arnForObjects(`${folder}*`))}]`],
      `A distributed run's work items and results are under ${folder}, one folder per run; the poller reads and writes only there.`);
  }

  /** What the poller may do, each scoped to this feed's own resources. */
  private grantPoller(pollerFunction: lambda.IFunction, role: iam.Role): void {
    this.deliveryStream.grantPutRecords(pollerFunction);
    // Also covers a customer-managed key of the queue (Lambda's on-failure destination sends
    // with the function's role, so the same grant serves both).
    this.deadLetterQueue.grantSendMessages(pollerFunction);
    // Item reads and writes on its own feed's items only (no scans, no table management): a state
    // table shared with other feeds (existingStateTable) holds their cursors, checkpoints, leases and
    // rate budgets too, under their own partition keys (`feed#NAME`, a backfill window's `feed#NAME#…`).
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [this.stateTable.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': feedStateKeys(this.feedName) } },
    }));
    this.stateTable.encryptionKey?.grant(pollerFunction, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    // Dead letters too large for an SQS message go to the bucket, under this feed's folder only.
    const deadLetters = this.bucket.arnForObjects(`${deadLetterPayloadPrefix(this.feedName)}*`);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [deadLetters] }));
    this.bucket.encryptionKey?.grant(pollerFunction, 'kms:GenerateDataKey');
    acknowledgeFindings(role, [`AwsSolutions-IAM5[${nagResource(this, deadLetters)}]`],
      'The poller writes oversized dead-letter payloads only under dead-letters/feed=NAME/ of its bucket.');
    if (this.deadLetterQueue.encryptionMasterKey) {
      // grantSendMessages grants the key's data-key actions with their aws-cdk-lib wildcards.
      acknowledgeFindings(role, ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]'],
        'kms:GenerateDataKey* and kms:ReEncrypt* on the dead-letter queue\'s own key, granted by aws-cdk-lib\'s Queue.grantSendMessages so messages can be encrypted; no other key.');
    }
  }

  /**
   * The event the schedule sends: the feed name and the source's spec, validated at synth (the
   * spec only unless the source did, in `ApiSource.fromSpec`), small enough for the schedule's input.
   */
  private pollerEvent(source: BoundApiSource, defaultName: boolean): PollerEvent {
    const nameIssue = feedNameProblem(this.feedName);
    const problems = [
      // The feed name is the construct's prop (or made from its id), not a spec field.
      ...(nameIssue ? [{
        path: 'feedName',
        message: `'${this.feedName}' ${nameIssue}${defaultName ? ' (made from the construct id or the spec: set feedName)' : ''}`,
      }] : []),
      ...(source.validated ? [] : specProblemsAtSynth(source.spec).filter((problem) => problem.path !== 'spec.feed').map((problem) => {
        // Name what the user set beside the spec path they never wrote.
        const prop = source.propOf?.(problem.path);
        return prop ? { path: `${prop} at ${problem.path}`, message: problem.message } : problem;
      })),
    ];
    if (problems.length > 0) {
      this.synthError(`the feed spec is invalid (${problems.length} problem(s)):\n${formatSpecProblems(problems)}`);
    }
    const event: PollerEvent = {
      spec: source.spec,
      scheduledTime: scheduler.ContextAttribute.scheduledTime,
      executionId: scheduler.ContextAttribute.executionId,
    };
    // Unresolved tokens (a URL from another resource) count with their placeholder's length,
    // which is close enough: the limit is far above any realistic token's value.
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (bytes > SCHEDULER_INPUT_MAX_BYTES) {
      this.synthError(`the feed spec is ${bytes} bytes as JSON, but it travels in the `
        + `schedule's input, which EventBridge Scheduler limits to ${SCHEDULER_INPUT_MAX_BYTES} bytes. Shorten `
        + 'the spec (fewer static partitions or headers), or move long lists to a parent request.');
    }
    return event;
  }
}

/** The tag every resource of a feed carries, so AWS cost allocation can split the bill per feed. */
const FEED_TAG_KEY = 'cdk-api-ingestion:feed';

// What AWS accepts in a tag (letters, digits, spaces and _ . : / = + - @; keys up to 128, values up to 256).
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Tags every resource the construct creates with the feed's name and the user's cost tags. */
function tagFeedResources(scope: Construct, feed: string, costTags: { [key: string]: string }, synthError: SynthError): void {
  for (const [key, value] of Object.entries(costTags)) {
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key) || key.toLowerCase().startsWith('aws:')) {
      synthError(`costTags key '${key}' is not a valid tag key: 1-128 letters, digits, spaces or _ . : / = + - @, not starting with "aws:"`);
    }
    if (key === FEED_TAG_KEY) {
      synthError(`costTags sets '${FEED_TAG_KEY}', which the construct sets to the feed name; use another key`);
    }
    if (value.length > 256 || !TAG_TEXT.test(value)) {
      synthError(`costTags value of '${key}' is not a valid tag value: up to 256 letters, digits, spaces or _ . : / = + - @`);
    }
  }
  Tags.of(scope).add(FEED_TAG_KEY, feed);
  for (const [key, value] of Object.entries(costTags)) Tags.of(scope).add(key, value);
}

/** Checks the monitoring props against each other. */
function checkMonitoringProps(props: ApiToFirehoseIngestionProps, synthError: SynthError): void {
  if (props.alarmsEnabled === false && props.alarmTopic) {
    synthError('alarmTopic is set but alarmsEnabled is false; remove alarmTopic, or enable the alarms');
  }
  const noRecordsPeriods = props.noRecordsAlarmPeriods ?? 3;
  if (!Number.isInteger(noRecordsPeriods) || noRecordsPeriods < 1 || noRecordsPeriods > 24) {
    synthError(`noRecordsAlarmPeriods must be a whole number from 1 to 24 (got ${noRecordsPeriods})`);
  }
  if (props.alarmsEnabled === false && props.noRecordsAlarmPeriods !== undefined) {
    synthError('noRecordsAlarmPeriods is set but alarmsEnabled is false; remove noRecordsAlarmPeriods, or enable the alarms');
  }
  if (props.alarmsEnabled === false && props.schemaDriftAlarmEnabled) {
    synthError('schemaDriftAlarmEnabled is true but alarmsEnabled is false; remove schemaDriftAlarmEnabled, or enable the alarms');
  }
}

/** The named props only, so a helper is given what it uses and nothing else. */
function pick<T extends object, K extends keyof T>(props: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, props[key]])) as Pick<T, K>;
}

/** `WeatherFeed` → `weatherfeed`, `My Feed!` → `my-feed-`: a valid feed name from a construct id. */
function defaultFeedName(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-_]/g, '-').slice(0, 64);
}

/** The folders of a prefix before its first expression: `feed=a/year=!{…}` → `feed=a/`. */

/** What writing back a rotated refresh token needs: a new version, and moving AWSCURRENT to it. */
function grantRotatedTokenWrite(secret: secretsmanager.ISecret, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
    resourceArns: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
    resource: secret,
  });
  secret.encryptionKey?.grantEncrypt(grantee);
}

/**
 * The spec's fingerprint for the poller's environment (see feed-spec/spec-binding.ts): the poller
 * runs only the spec this construct wrote, whoever invokes it.
 */
function specBindingEnvironment(scope: Construct, spec: FeedSpecInput): Record<string, string> {
  const fingerprint = specFingerprint(spec, (value) => (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value));
  return {
    [POLLER_ENV.specSha256]: fingerprint.sha256,
    ...(fingerprint.tokenPaths.length > 0 ? {
      [POLLER_ENV.specTokenPaths]: JSON.stringify(fingerprint.tokenPaths),
      [POLLER_ENV.specTokenValues]: Stack.of(scope).toJsonString(fingerprint.tokenValues),
    } : {}),
  };
}
