/**
 * A data platform's feeds: APIs into the company's existing, KMS-encrypted data lake
 * bucket, with a customer-managed key, a VPC poller, market-hours schedules in New York time,
 * dynamic partitioning, a distributed run over 1,500 partitions, a durable run that waits for
 * 40-minute export jobs, alarms to the on-call topic and a dashboard. examples/python/data_platform.py
 * is the same app in Python (a test checks that both synthesize the same template).
 *
 * Synthesize it: `npx ts-node --project tsconfig.dev.json examples/platform/app.ts`.
 */
import * as path from 'node:path';
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
// In your own app: import { ... } from 'cdk-api-ingestion';
import {
  ApiSource, ApiToFirehoseIngestion, Auth, Destination, DynamicPartitioning, ExecutionMode, ExportJob, ExportResults, HttpMethod, Incremental,
  Partitions, Records, SharedRateBudget,
} from '../../src';

export const PLATFORM_STACK_NAME = 'DataPlatformIngestion';

export function buildPlatformApp(outdir?: string): { app: App; stack: Stack } {
  const app = new App({ outdir });
  const stack = new Stack(app, PLATFORM_STACK_NAME, { env: { account: '123456789012', region: 'us-east-1' } });

  // What the platform already has: the lake bucket and its key, a VPC, the on-call topic.
  const lake = s3.Bucket.fromBucketAttributes(stack, 'Lake', {
    bucketArn: 'arn:aws:s3:::corp-data-lake',
    encryptionKey: kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
  });
  const onCall = sns.Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:us-east-1:123456789012:data-on-call');
  const feedKey = new kms.Key(stack, 'FeedKey', { enableKeyRotation: true, description: 'Streams, dead letters and state of the API feeds' });

  // Quotes every 15 minutes during New York market hours, partitioned by exchange.
  const prices = new ApiToFirehoseIngestion(stack, 'Prices', {
    feedName: 'prices',
    source: ApiSource.http({
      url: 'https://api.example-prices.com/v2/quotes',
      auth: Auth.apiKeyHeader('X-Api-Key', secretsmanager.Secret.fromSecretNameV2(stack, 'PricesKey', 'prices-api-key')),
      records: Records.at('quotes'),
    }),
    schedule: ScheduleExpression.cron({ minute: '0/15', hour: '9-16', weekDay: 'MON-FRI' }),
    scheduleOptions: { timeZone: TimeZone.AMERICA_NEW_YORK },
    existingBucket: lake,
    encryptionKey: feedKey,
    dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }),
    pollerOptions: {
      vpc,
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
      logRetention: logs.RetentionDays.ONE_MONTH,
    },
    alarmTopic: onCall,
    dashboardEnabled: true,
  });

  // Hourly weather into the same bucket, sharing the first feed's dead-letter queue and table.
  new ApiToFirehoseIngestion(stack, 'Weather', {
    feedName: 'weather',
    source: ApiSource.http({
      url: 'https://api.open-meteo.com/v1/forecast',
      query: { latitude: '40.71', longitude: '-74.01', hourly: 'temperature_2m' },
      records: Records.wholeResponse(),
    }),
    existingBucket: lake,
    encryptionKey: feedKey,
    existingDeadLetterQueue: prices.deadLetterQueue,
    existingStateTable: prices.stateTable,
    alarmTopic: onCall,
  });

  // Status-page incidents forwarded to the observability platform's HTTP intake; what it does not
  // accept is kept in the lake bucket under backups/feed=incidents/.
  new ApiToFirehoseIngestion(stack, 'Incidents', {
    feedName: 'incidents',
    source: ApiSource.http({ url: 'https://status.example-saas.com/api/v2/incidents.json', records: Records.at('incidents') }),
    destination: Destination.httpEndpoint({
      url: 'https://intake.example-observability.com/v1/firehose',
      accessKey: secretsmanager.Secret.fromSecretNameV2(stack, 'IntakeKey', 'observability-intake-key'),
    }),
    existingBucket: lake,
    encryptionKey: feedKey,
    existingDeadLetterQueue: prices.deadLetterQueue,
    existingStateTable: prices.stateTable,
    alarmTopic: onCall,
  });

  // The weather API's account limit, which every feed of that host keeps to together (its counter
  // in the shared state table).
  const weatherApi = new SharedRateBudget(stack, 'WeatherApiBudget', {
    host: 'api.example-weather.com', requestsPerSecond: 250, existingTable: prices.stateTable,
  });

  // Observations of 1,500 weather stations: more than one invocation takes, so a distributed run
  // (Step Functions Distributed Map) with the API's 100 requests per second shared by every worker.
  const stations = new ApiToFirehoseIngestion(stack, 'Stations', {
    feedName: 'stations',
    source: ApiSource.http({
      url: 'https://api.example-weather.com/v1/stations/{{ partition.id }}/observations',
      records: Records.at('observations'),
      partitions: Partitions.list(Array.from({ length: 1500 }, (_, i) => ({ id: `WS${String(i).padStart(4, '0')}` }))),
      limits: { requestsPerSecond: 100 },
    }),
    executionMode: ExecutionMode.distributed({ itemsPerBatch: 50 }),
    sharedRateBudgets: [weatherApi],
    existingBucket: lake,
    encryptionKey: feedKey,
    existingDeadLetterQueue: prices.deadLetterQueue,
    existingStateTable: prices.stateTable,
    alarmTopic: onCall,
  });
  // The on-call engineers may start a run now, beside the schedule.
  stations.grantStartRun(iam.Role.fromRoleName(stack, 'OnCallEngineers', 'data-on-call'));

  // The reporting API prepares an export of the orders in about 40 minutes: a durable run waits
  // for it without compute (Lambda durable functions), and a backfill of a quarter runs its days
  // two at a time in one execution.
  new ApiToFirehoseIngestion(stack, 'Orders', {
    feedName: 'orders',
    source: ApiSource.http({
      url: 'https://api.example-reports.com/v1/exports',
      method: HttpMethod.POST,
      body: { report: 'orders', updatedFrom: '{{ window.start }}', updatedTo: '{{ window.end }}' },
      auth: Auth.bearer(secretsmanager.Secret.fromSecretNameV2(stack, 'ReportsToken', 'reports-api-token')),
      records: Records.ndjson(),
      exportJob: ExportJob.poll({
        jobIdPath: 'id',
        statusUrl: 'https://api.example-reports.com/v1/exports/{{ job.id }}',
        statusPath: 'state',
        readyStates: ['done'],
        failedStates: ['failed'],
        results: ExportResults.fromUrl('https://api.example-reports.com/v1/exports/{{ job.id }}/file'),
        pollInterval: Duration.minutes(1),
        maxPollInterval: Duration.minutes(10),
      }),
      incremental: Incremental.datetime({ recordPath: 'updated_at', start: '2026-01-01T00:00:00Z' }),
    }),
    schedule: ScheduleExpression.rate(Duration.hours(6)),
    executionMode: ExecutionMode.durable({ executionTimeout: Duration.hours(12), backfillConcurrency: 2 }),
    existingBucket: lake,
    encryptionKey: feedKey,
    existingDeadLetterQueue: prices.deadLetterQueue,
    existingStateTable: prices.stateTable,
    alarmTopic: onCall,
  });

  // Analysts read the prices feed, and nothing else in the lake.
  const analysts = iam.Role.fromRoleName(stack, 'Analysts', 'data-analysts');
  // The folder grant is a wildcard by nature; grantReadData acknowledges that one cdk-nag finding on the role.
  prices.grantReadData(analysts);
  return { app, stack };
}

if (require.main === module) {
  const { app, stack } = buildPlatformApp(process.env.CDK_OUTDIR ?? path.join(process.cwd(), 'cdk.out'));
  const assembly = app.synth();
  console.log(`Synthesized ${stack.stackName} into ${assembly.getStackByName(stack.stackName).templateFile}`);
}
