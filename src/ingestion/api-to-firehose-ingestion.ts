import * as path from 'path';
import { CfnElement, Duration, Lazy, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct, IConstruct } from 'constructs';
import { FeedAlarms } from '../monitoring/feed-alarms';
import { feedMetric, METRICS_NAMESPACE, schedulePeriodSeconds } from '../monitoring/feed-metrics';
import { ApiSource } from '../source/api-source';
import { FeedSpecInput, formatSpecProblems, validateFeedSpec } from '../spec/feed-spec';
import { PollerEvent, SCHEDULER_INPUT_MAX_BYTES } from '../spec/poller-event';

/** Where oversized dead-letter payloads go in the bucket (the poller's default). */
const DEAD_LETTER_PREFIX = 'dead-letters/';

/** Where the prebundled poller Lambda lives (built by `projen bundle`, shipped in the package). */
const POLLER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'poller');

/**
 * Properties of an `ApiToFirehoseIngestion`.
 */
export interface ApiToFirehoseIngestionProps {
  /**
   * The third-party API to pull, and where its records are.
   */
  readonly source: ApiSource;

  /**
   * How often the API is polled.
   *
   * @default ScheduleExpression.rate(Duration.hours(1))
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * The feed's name: used in S3 prefixes, record envelopes and resource descriptions.
   * 1-64 lowercase letters, digits, `-` or `_`.
   *
   * @default - the construct id in lowercase, with other characters replaced by `-`
   */
  readonly feedName?: string;

  /**
   * Create the feed's CloudWatch alarms: poller errors, dead letters waiting, Firehose data
   * freshness, Firehose throttled records, and no records delivered for several schedule periods.
   *
   * @default true
   */
  readonly alarmsEnabled?: boolean;

  /**
   * An SNS topic notified when an alarm goes into or out of alarm.
   *
   * @default - the alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when no records were delivered for this many schedule periods in a row. Set it higher
   * for APIs that often have nothing new.
   *
   * @default 3
   */
  readonly noRecordsAlarmPeriods?: number;
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
  /** The feed's name, as used in prefixes and record envelopes. */
  public readonly feedName: string;
  /** The bucket the records are delivered to. */
  public readonly bucket: s3.IBucket;
  /** The Firehose delivery stream the poller writes to. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The poller Lambda function. */
  public readonly pollerFunction: lambda.IFunction;
  /** The dead-letter queue for failed invocations. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The schedule that invokes the poller. */
  public readonly schedule: scheduler.ISchedule;
  /** The table that holds the feed's incremental cursors. */
  public readonly stateTable: dynamodb.ITable;
  /** The feed's alarms (empty when `alarmsEnabled` is false). */
  public readonly alarms: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: ApiToFirehoseIngestionProps) {
    super(scope, id);
    // Deliver server access logs through a bucket policy, not the legacy LogDeliveryWrite ACL,
    // whatever the app's feature flags say (set before any child construct reads it).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    if (props.alarmsEnabled === false && props.alarmTopic) {
      throw new Error(`ApiToFirehoseIngestion '${this.node.path}': alarmTopic is set but alarmsEnabled is false; remove alarmTopic, or enable the alarms`);
    }
    const noRecordsPeriods = props.noRecordsAlarmPeriods ?? 3;
    if (!Number.isInteger(noRecordsPeriods) || noRecordsPeriods < 1 || noRecordsPeriods > 24) {
      throw new Error(`ApiToFirehoseIngestion '${this.node.path}': noRecordsAlarmPeriods must be a whole number from 1 to 24 (got ${noRecordsPeriods})`);
    }
    this.feedName = props.feedName ?? props.source._defaultFeedName() ?? defaultFeedName(id);
    const source = props.source._bind(this, this.feedName);
    const event = this.buildPollerEvent(source.spec);

    const accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the data bucket\'s server access logs; logging it into itself would loop.',
    });

    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;

    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the schedule and the poller.',
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself the dead-letter queue; its messages are redriven by the documented redrive procedure.',
    });
    this.deadLetterQueue = deadLetterQueue;

    const deliveryLogGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(bucket, {
        compression: firehose.Compression.GZIP,
        dataOutputPrefix: `feed=${this.feedName}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
        errorOutputPrefix: `errors/feed=${this.feedName}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
        bufferingInterval: Duration.seconds(300),
        bufferingSize: Size.mebibytes(64),
        loggingConfig: new firehose.EnableLogging(deliveryLogGroup),
      }),
    });
    this.deliveryStream = deliveryStream;
    // aws-cdk-lib's S3 destination grants Firehose read/write on the bucket's objects, as its
    // delivery and error-retry protocol needs; every wildcard is confined to this one bucket.
    acknowledgeFindings(deliveryStream, [
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/*]`,
    ], 'Firehose\'s S3 destination role needs read/write on the objects of its own bucket (granted by aws-cdk-lib\'s S3Bucket destination), scoped to that bucket only.');

    // Incremental cursors, per feed and partition.
    const stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateTable = stateTable;

    const logGroup = new logs.LogGroup(this, 'PollerLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write only to its own log group.
    const role = new iam.Role(this, 'PollerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Poller of the ${this.feedName} API feed`,
    });
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));

    const pollerFunction = new lambda.Function(this, 'Poller', {
      description: `Polls the ${this.feedName} API into Firehose`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(POLLER_ASSET_DIR),
      handler: 'index.handler',
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      memorySize: 512,
      timeout: Duration.minutes(5),
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        DELIVERY_STREAM_NAME: deliveryStream.deliveryStreamName,
        DEAD_LETTER_QUEUE_URL: deadLetterQueue.queueUrl,
        STATE_TABLE_NAME: stateTable.tableName,
        DEAD_LETTER_BUCKET: bucket.bucketName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      // A failed run is retried once; after that the next scheduled run picks the feed up again.
      // The event may not wait longer than an hour, so a stale retry never overtakes a newer run.
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.SqsDestination(deadLetterQueue),
    });
    deliveryStream.grantPutRecords(pollerFunction);
    deadLetterQueue.grantSendMessages(pollerFunction);
    // Dead letters too large for an SQS message go to the bucket, under their own prefix only.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${DEAD_LETTER_PREFIX}*`)] }));
    acknowledgeFindings(role, [`AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${DEAD_LETTER_PREFIX}*]`],
      'The poller writes oversized dead-letter payloads only under the dead-letters/ prefix of its own bucket.');
    // Item reads and writes on its own table only (no scans, no table management).
    stateTable.grant(pollerFunction, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    // The API's secrets: read at run time, never written into the template or the environment.
    for (const secret of source.secrets) {
      secret.grantRead(pollerFunction);
    }
    acknowledgeFindings(role, ['AwsSolutions-IAM5[Resource::*]'],
      'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no resource-level permissions.');
    acknowledgeFindings(pollerFunction, ['Serverless-LambdaDLQ'],
      'Failed async invocations go to the SQS dead-letter queue through an on-failure destination (EventInvokeConfig), which carries more context than the legacy DeadLetterConfig.');
    // Lambda makes the function depend on its role as well as the role's policy; the role is
    // already referenced by GetAtt, and cfn-lint flags the redundant DependsOn (W3005). Keep only
    // the policy, so the function is not created before it may write logs and put records.
    const cfnFunction = pollerFunction.node.defaultChild as lambda.CfnFunction;
    cfnFunction.addOverride('DependsOn', Lazy.list({
      produce: () => [Stack.of(this).getLogicalId(role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy)],
    }));
    this.pollerFunction = pollerFunction;

    // An own role for the schedule (instead of Scheduler's shared per-stack role), trusted only
    // for schedules of this account.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Invokes the poller of the ${this.feedName} API feed`,
    });
    acknowledgeFindings(scheduleRole, [`AwsSolutions-IAM5[Resource::<${logicalIdOf(pollerFunction)}.Arn>:*]`],
      'lambda:InvokeFunction on the poller function and its versions/aliases (function:poller:*), granted by aws-cdk-lib\'s LambdaInvoke target; nothing else.');

    const scheduleExpression = props.schedule ?? scheduler.ScheduleExpression.rate(Duration.hours(1));
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Polls the ${this.feedName} API`,
      schedule: scheduleExpression,
      // A flexible window would let runs drift and overlap; polls are meant to be on time.
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.LambdaInvoke(pollerFunction, {
        input: scheduler.ScheduleTargetInput.fromObject(event),
        // Scheduler's own default is 185 retries over 24 hours; an invocation that cannot be
        // delivered within an hour is better dead-lettered and superseded by the next run.
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        deadLetterQueue,
        role: scheduleRole,
      }),
    });
    this.schedule = schedule;

    this.alarms = props.alarmsEnabled === false ? [] : new FeedAlarms(this, 'Alarms', {
      feed: this.feedName,
      pollerFunction,
      deadLetterQueue,
      deliveryStream,
      schedulePeriodSeconds: schedulePeriodSeconds(scheduleExpression.expressionString),
      noRecordsPeriods,
      freshnessThreshold: Duration.seconds(900),
      topic: props.alarmTopic,
    }).alarms;
  }

  /** Records the poller delivered to Firehose (sum over 5 minutes by default). */
  public metricRecordsDelivered(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return feedMetric(this.feedName, 'RecordsDelivered', 'Sum').with(props);
  }

  /** Records the poller sent to the dead-letter queue (sum over 5 minutes by default). */
  public metricRecordsDeadLettered(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return feedMetric(this.feedName, 'RecordsDeadLettered', 'Sum').with(props);
  }

  /** Lets a principal read the feed's delivered data (its prefix of the bucket), nothing else. */
  public grantReadData(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee, `feed=${this.feedName}/*`);
  }

  /** Builds the event the schedule sends, validating the spec and its size at synth. */
  private buildPollerEvent(spec: FeedSpecInput): PollerEvent {
    const validation = validateFeedSpec(spec);
    if (!validation.ok) {
      throw new Error(
        `ApiToFirehoseIngestion '${this.node.path}': the feed spec is invalid (${validation.problems.length} problem(s)):\n`
        + formatSpecProblems(validation.problems),
      );
    }
    const event: PollerEvent = {
      spec,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    };
    // Unresolved tokens (a URL from another resource) count with their placeholder's length,
    // which is close enough: the limit is far above any realistic token's value.
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (bytes > SCHEDULER_INPUT_MAX_BYTES) {
      throw new Error(
        `ApiToFirehoseIngestion '${this.node.path}': the feed spec is ${bytes} bytes as JSON, but it travels in the `
        + `schedule's input, which EventBridge Scheduler limits to ${SCHEDULER_INPUT_MAX_BYTES} bytes. Shorten `
        + 'the spec (fewer static partitions or headers), or move long lists to a parent request.',
      );
    }
    return event;
  }
}

/** Acknowledges named cdk-nag findings on a construct, each with the same reason. */
function acknowledgeFindings(scope: IConstruct, ids: string[], reason: string): void {
  for (const id of ids) {
    Validations.of(scope).acknowledge({ id, reason });
  }
}

/** The CloudFormation logical id of a construct's resource, as cdk-nag names it in findings. */
function logicalIdOf(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));
}

/** `WeatherFeed` → `weatherfeed`, `My Feed!` → `my-feed-`: a valid feed name from a construct id. */
function defaultFeedName(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-_]/g, '-').slice(0, 64);
}
