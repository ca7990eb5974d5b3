/**
 * The representative configurations of the construct. Each one is snapshotted, checked by
 * cdk-nag and cfn-lint, and asserted on, so they are built in one place.
 */
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import { ParquetCompression } from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3tables from 'aws-cdk-lib/aws-s3tables';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { weatherFeed } from './example-feeds';
import { testStack } from './synth';
import {
  ApiSource, ApiToFirehoseIngestion, Auth, Column, Destination, DynamicPartitioning, ExecutionMode, ExportJob, ExportResults, Format, HttpMethod,
  Incremental, IndexRotation, Partitions, Records,
  RecordSchema, RedshiftTarget, SchemaContract, SharedRateBudget,
  TimePartitioning, TimestampFormat, Transform,
} from '../../src';

export const LAKE_BUCKET_ARN = 'arn:aws:s3:::corp-data-lake';
export const LAKE_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export interface Configuration {
  readonly stack: Stack;
  readonly feeds: ApiToFirehoseIngestion[];
}

function pricesSource(): ApiSource {
  return ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });
}

/** The prices feed with a schema: every column type, for the typed formats. */
export function typedPricesSource(contract = SchemaContract.EVOLVE): ApiSource {
  return ApiSource.http({
    url: 'https://api.example-prices.com/v2/quotes',
    records: Records.at('quotes'),
    schema: RecordSchema.of({
      symbol: Column.string(),
      exchange: Column.string(),
      price: Column.number(),
      volume: Column.integer(),
      halted: Column.boolean(),
      quoted_at: Column.timestamp({ format: TimestampFormat.UNIX_MS, path: 'ts' }),
      trade_date: Column.date(),
      venue: Column.struct({ mic: Column.string(), open: Column.boolean() }),
      tags: Column.array(Column.string()),
      raw_flags: Column.json({ path: 'flags' }),
    }, { contract }),
  });
}

/**
 * A feed into a small OpenSearch domain the stack owns, in an isolated VPC: the construct writes
 * the domain's access policy itself (through aws-cdk-lib's AwsCustomResource).
 */
export function pricesIntoOwnedDomain(stack: Stack): { vpc: ec2.Vpc; domain: opensearch.Domain; feed: ApiToFirehoseIngestion } {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const domain = new opensearch.Domain(stack, 'Search', {
    version: opensearch.EngineVersion.OPENSEARCH_2_17,
    vpc,
    vpcSubnets: [{ subnets: [vpc.isolatedSubnets[0]] }],
    capacity: { dataNodes: 1, multiAzWithStandbyEnabled: false },
  });
  const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
    feedName: 'prices',
    source: typedPricesSource(),
    destination: Destination.openSearch({ domain, indexName: 'prices', vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }),
  });
  return { vpc, domain, feed };
}

/** A customer-managed key as a security team would create it (rotation on). */
export function customerKey(stack: Stack, id = 'FeedKey'): kms.Key {
  return new kms.Key(stack, id, { enableKeyRotation: true, description: 'Key of the API feeds' });
}

export const CONFIGURATIONS: Record<string, (app?: App) => Configuration> = {
  'defaults': (app) => {
    const stack = testStack(app);
    return { stack, feeds: [weatherFeed(stack)] };
  },

  'existing bucket with KMS and a customer-managed key': (app) => {
    const stack = testStack(app);
    const lake = s3.Bucket.fromBucketAttributes(stack, 'Lake', {
      bucketArn: LAKE_BUCKET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'LakeKey', LAKE_KEY_ARN),
    });
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      existingBucket: lake,
      encryptionKey: customerKey(stack),
    });
    return { stack, feeds: [feed] };
  },

  'dynamic partitioning': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }),
      bufferingInterval: Duration.seconds(120),
      bufferingSize: Size.mebibytes(128),
    });
    return { stack, feeds: [feed] };
  },

  'Parquet with a Glue table': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      format: Format.parquet(),
    });
    return { stack, feeds: [feed] };
  },

  'Parquet in a shared database, dynamic partitioning, a customer-managed key': (app) => {
    const stack = testStack(app);
    const database = new glue.Database(stack, 'Lake', { databaseName: 'market_data' });
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(SchemaContract.FREEZE),
      format: Format.parquet({ database, tableName: 'quotes', compression: ParquetCompression.GZIP }),
      dynamicPartitioning: DynamicPartitioning.byRecordFields({ market: 'exchange' }),
      bufferingInterval: Duration.seconds(120),
      bufferingSize: Size.mebibytes(128),
      encryptionKey: customerKey(stack),
    });
    return { stack, feeds: [feed] };
  },

  'Parquet filed under each row\'s event time, beside a partition key of its own': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      format: Format.parquet(),
      timePartitioning: TimePartitioning.eventTime({ column: 'quoted_at' }),
      dynamicPartitioning: DynamicPartitioning.byRecordFields({ market: 'exchange' }),
      bufferingInterval: Duration.seconds(60),
    });
    return { stack, feeds: [feed] };
  },

  'Iceberg table with record_id as its unique key': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      format: Format.iceberg(),
    });
    return { stack, feeds: [feed] };
  },

  'Iceberg in Amazon S3 Tables, partitioned by the day of each row\'s event time': (app) => {
    const stack = testStack(app);
    const tables = new s3tables.CfnTableBucket(stack, 'Tables', { tableBucketName: 'market-tables' });
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      format: Format.iceberg({ s3TablesBucketArn: tables.attrTableBucketArn, namespace: 'market' }),
      timePartitioning: TimePartitioning.eventTime({ column: 'quoted_at' }),
    });
    return { stack, feeds: [feed] };
  },

  'an HTTP endpoint with its access key in Secrets Manager': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      destination: Destination.httpEndpoint({
        url: 'https://ingest.example-observability.com/v1/firehose',
        accessKey: secretsmanager.Secret.fromSecretNameV2(stack, 'IngestKey', 'observability-ingest-key'),
        name: 'observability',
        retryDuration: Duration.minutes(10),
      }),
    });
    return { stack, feeds: [feed] };
  },

  'an OpenSearch domain in a VPC, typed rows in daily indices': (app) => {
    const stack = testStack(app);
    // The search team's domain, in its own stack: imported, so its access policy is theirs to amend.
    const domain = opensearch.Domain.fromDomainAttributes(stack, 'Search', {
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/social-search',
      domainEndpoint: 'https://vpc-social-search-abc123.us-east-1.es.amazonaws.com',
    });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    });
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      destination: Destination.openSearch({ domain, indexName: 'prices', indexRotation: IndexRotation.ONE_DAY, vpc }),
    });
    return { stack, feeds: [feed] };
  },

  'an OpenSearch Serverless collection': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      destination: Destination.openSearchServerless({
        collectionName: 'market-data',
        collectionArn: 'arn:aws:aoss:us-east-1:123456789012:collection/k1x2y3z4w5v6u7t8',
        collectionEndpoint: 'https://k1x2y3z4w5v6u7t8.us-east-1.aoss.amazonaws.com',
        indexName: 'prices',
      }),
    });
    return { stack, feeds: [feed] };
  },

  'a Redshift Serverless workgroup, the table created with the Data API': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      destination: Destination.redshift({
        target: RedshiftTarget.serverlessWorkgroup({ workgroupName: 'analytics', endpointAddress: 'analytics.123456789012.us-east-1.redshift-serverless.amazonaws.com' }),
        database: 'dev',
        tableName: 'market.prices',
        credentials: secretsmanager.Secret.fromSecretNameV2(stack, 'FirehoseUser', 'redshift/firehose-user'),
        createTable: true,
        backup: true,
      }),
    });
    return { stack, feeds: [feed] };
  },

  'a distributed run over 2,000 stations, with a customer-managed key': (app) => {
    const stack = testStack(app);
    const key = customerKey(stack);
    // The weather API's account limit, shared with the app's other feeds of that host.
    const weatherApi = new SharedRateBudget(stack, 'WeatherApiBudget', { host: 'api.example-weather.com', requestsPerSecond: 250, encryptionKey: key });
    const feed = new ApiToFirehoseIngestion(stack, 'Stations', {
      feedName: 'stations',
      source: ApiSource.http({
        url: 'https://api.example-weather.com/v1/stations/{{ partition.id }}/observations',
        records: Records.at('observations'),
        partitions: Partitions.list(Array.from({ length: 2000 }, (_, i) => ({ id: `st${i}` }))),
        limits: { requestsPerSecond: 200 },
      }),
      executionMode: ExecutionMode.distributed(),
      runEndpointEnabled: true,
      sharedRateBudgets: [weatherApi],
      encryptionKey: key,
    });
    return { stack, feeds: [feed] };
  },

  'a durable run: a slow export API waited on without compute, backfilled in one execution': (app) => {
    const stack = testStack(app);
    const token = secretsmanager.Secret.fromSecretNameV2(stack, 'ReportsToken', 'reports/api-token');
    const feed = new ApiToFirehoseIngestion(stack, 'Orders', {
      feedName: 'orders',
      source: ApiSource.http({
        url: 'https://api.example-reports.com/v1/exports',
        method: HttpMethod.POST,
        body: { report: 'orders', since: '{{ cursor }}', until: '{{ window.end }}' },
        auth: Auth.bearer(token),
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
        limits: { requestsPerSecond: 0.1 },
      }),
      schedule: ScheduleExpression.rate(Duration.hours(6)),
      executionMode: ExecutionMode.durable({ executionTimeout: Duration.hours(12), retentionPeriod: Duration.days(30), backfillConcurrency: 2 }),
      runEndpointEnabled: true,
    });
    return { stack, feeds: [feed] };
  },

  'a transform and a Firehose processor of your own': (app) => {
    const stack = testStack(app);
    // The team's own function (its compliance is its own stack's): Firehose may invoke it, nothing else.
    const enrich = lambda.Function.fromFunctionArn(stack, 'Enrich', 'arn:aws:lambda:us-east-1:123456789012:function:enrich-quotes');
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: ApiSource.http({
        url: 'https://api.example-prices.com/v2/quotes',
        records: Records.at('quotes'),
        transform: Transform.jsonata('{ "symbol": symbol, "price": price }'),
      }),
      processorFunction: enrich,
    });
    return { stack, feeds: [feed] };
  },

  'VPC': (app) => {
    const stack = testStack(app);
    // The platform team's VPC, imported as most apps do (a VPC built in the same stack would
    // carry hardcoded availability zones into the template).
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    });
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      pollerOptions: {
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [new ec2.SecurityGroup(stack, 'PollerSecurityGroup', { vpc, description: 'Egress of the prices poller', allowAllOutbound: true })],
        memorySize: 1024,
        timeout: Duration.minutes(10),
        reservedConcurrentExecutions: 1,
        environment: { HTTPS_PROXY: 'http://proxy.internal:3128' },
        logRetention: logs.RetentionDays.ONE_MONTH,
      },
    });
    return { stack, feeds: [feed] };
  },

  'alarms off': (app) => {
    const stack = testStack(app);
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      alarmsEnabled: false,
    });
    return { stack, feeds: [feed] };
  },

  'two feeds sharing a bucket, a queue and a table': (app) => {
    const stack = testStack(app);
    const weather = weatherFeed(stack);
    const prices = new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: pricesSource(),
      schedule: ScheduleExpression.rate(Duration.minutes(5)),
      existingBucket: weather.bucket,
      existingDeadLetterQueue: weather.deadLetterQueue,
      existingStateTable: weather.stateTable,
      dashboardEnabled: true,
    });
    return { stack, feeds: [weather, prices] };
  },
};
