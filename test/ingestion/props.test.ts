import { execFileSync } from 'node:child_process';
import { Duration, Size, Stack, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Compression } from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, Records } from '../../src';
import { CONFIGURATIONS, customerKey, LAKE_KEY_ARN } from '../helpers/configurations';
import { templateOf, testStack } from '../helpers/synth';

function feed(extra: Partial<ApiToFirehoseIngestionProps> = {}, stack: Stack = testStack(), id = 'Prices') {
  const construct = new ApiToFirehoseIngestion(stack, id, {
    feedName: id.toLowerCase(),
    source: ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') }),
    ...extra,
  });
  // Synthesized on first use, so a test can still add a grantee before it reads the template.
  return { construct, stack, get template() { return templateOf(stack); } };
}

function nodeOptionsOf(template: ReturnType<typeof templateOf>): string {
  const functions = Object.values<any>(template.findResources('AWS::Lambda::Function'))
    .filter((f) => f.Properties.Environment?.Variables?.DELIVERY_STREAM_NAME);
  expect(functions).toHaveLength(1);
  return functions[0].Properties.Environment.Variables.NODE_OPTIONS;
}

function s3Destination(template: ReturnType<typeof templateOf>): any {
  const streams = Object.values<any>(template.findResources('AWS::KinesisFirehose::DeliveryStream'));
  return streams[0].Properties.ExtendedS3DestinationConfiguration;
}

function pollerStatements(template: ReturnType<typeof templateOf>, roleMatch = 'PollerRole'): any[] {
  return Object.values<any>(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleMatch))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('bucket', () => {
  test('bucketProps are laid over the secure defaults: versioning and lifecycle added, SSL and logging kept', () => {
    const { template } = feed({
      bucketProps: {
        versioned: true,
        lifecycleRules: [{ expiration: Duration.days(365) }],
        // what a Python None or an unset optional field can arrive as: must not remove the default
        enforceSSL: undefined,
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data-bucket/' }),
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('bucketProps.serverAccessLogsBucket replaces the access-log bucket the construct would create', () => {
    const stack = testStack();
    const logsBucket = new s3.Bucket(stack, 'CentralAccessLogs', { enforceSSL: true });
    const { template } = feed({ bucketProps: { serverAccessLogsBucket: logsBucket } }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 2); // the central one and the data bucket
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('CentralAccessLogs') }, LogFilePrefix: 'data-bucket/' } });
  });

  test('encryptionKey encrypts the new bucket with SSE-KMS and an S3 Bucket Key', () => {
    const stack = testStack();
    const { template } = feed({ encryptionKey: customerKey(stack) }, stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('FeedKey'), 'Arn'] } } }] },
    });
  });

  test('an existing bucket is used as is: no bucket is created, and Firehose writes with its KMS key', () => {
    const { stack } = CONFIGURATIONS['existing bucket with KMS and a customer-managed key']();
    const template = templateOf(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    const destination = s3Destination(template);
    expect(destination.BucketARN).toBe('arn:aws:s3:::corp-data-lake');
    expect(destination.EncryptionConfiguration).toEqual({ KMSEncryptionConfig: { AWSKMSKeyARN: LAKE_KEY_ARN } });
    // The poller writes oversized dead letters into that bucket, so it needs that key too.
    expect(pollerStatements(template)).toContainEqual(expect.objectContaining({ Action: 'kms:GenerateDataKey', Resource: LAKE_KEY_ARN }));
  });

  test('Firehose\'s role on the bucket has the actions AWS documents for S3 delivery, on the feed\'s own folders: no delete, no wildcards', () => {
    const { stack } = CONFIGURATIONS['existing bucket with KMS and a customer-managed key']();
    const statements = pollerStatements(templateOf(stack), 'S3DestinationRole');
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('s3:'))).toEqual([
      { Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], Effect: 'Allow', Resource: 'arn:aws:s3:::corp-data-lake' },
      {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Effect: 'Allow',
        Resource: ['arn:aws:s3:::corp-data-lake/feed=prices/*', 'arn:aws:s3:::corp-data-lake/errors/feed=prices/*'],
      },
    ]);
    // The bucket's key: to write objects and to read back what was written. Nothing else on it.
    expect(statements).toContainEqual({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: LAKE_KEY_ARN });
    expect(JSON.stringify(statements)).not.toMatch(/s3:DeleteObject|s3:GetObject\*|s3:List\*|s3:PutObject(Legal|Retention|Tagging)/);
  });

  test('grantReadData on a KMS bucket grants reading and listing the feed\'s folder, and decrypting with the bucket\'s key; nothing else', () => {
    const { stack, feeds } = CONFIGURATIONS['existing bucket with KMS and a customer-managed key']();
    const reader = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    feeds[0].grantReadData(reader);
    expect(pollerStatements(templateOf(stack), 'Analyst')).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::corp-data-lake/feed=prices/*' },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: 'arn:aws:s3:::corp-data-lake', Condition: { StringLike: { 's3:prefix': ['feed=prices/*'] } } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: LAKE_KEY_ARN },
    ]);
  });
});

describe('delivery', () => {
  test('buffering, compression and prefixes reach the stream', () => {
    const { template } = feed({
      bufferingInterval: Duration.seconds(60),
      bufferingSize: Size.mebibytes(16),
      compression: Compression.SNAPPY,
      dataOutputPrefix: 'raw/prices/dt=!{timestamp:yyyy-MM-dd}/',
      errorOutputPrefix: 'raw-errors/prices/!{firehose:error-output-type}/',
    });
    expect(s3Destination(template)).toMatchObject({
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 16 },
      CompressionFormat: 'Snappy',
      Prefix: 'raw/prices/dt=!{timestamp:yyyy-MM-dd}/',
      ErrorOutputPrefix: 'raw-errors/prices/!{firehose:error-output-type}/',
    });
  });

  test('grantReadData follows a custom prefix to its fixed folder', () => {
    const { construct, stack } = feed({ dataOutputPrefix: 'raw/prices/dt=!{timestamp:yyyy-MM-dd}/' });
    const reader = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    construct.grantReadData(reader);
    expect(JSON.stringify(pollerStatements(templateOf(stack), 'Analyst'))).toContain('/raw/prices/*');
  });

  test('dynamic partitioning: key levels in the prefix, deaggregation, jq extraction, newline delimiter, and a poller that packs at most 500 lines', () => {
    const { stack } = CONFIGURATIONS['dynamic partitioning']();
    const template = templateOf(stack);
    const destination = s3Destination(template);
    expect(destination.Prefix).toBe('feed=prices/exchange=!{partitionKeyFromQuery:exchange}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(destination.DynamicPartitioningConfiguration).toEqual({ Enabled: true, RetryOptions: { DurationInSeconds: 300 } });
    expect(destination.ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['RecordDeAggregation', 'MetadataExtraction', 'AppendDelimiterToRecord']);
    expect(destination.ProcessingConfiguration.Processors[1].Parameters).toContainEqual({ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"exchange":.record.exchange}' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MAX_LINES_PER_RECORD: '500' }) } });
  });

  test('DynamicPartitioning.jq passes expressions over the envelope through, with a retry duration', () => {
    const { template } = feed({ dynamicPartitioning: DynamicPartitioning.jq({ city: '.partition.city' }, { retryDuration: Duration.minutes(10) }) });
    const destination = s3Destination(template);
    expect(destination.ProcessingConfiguration.Processors[1].Parameters).toContainEqual({ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"city":.partition.city}' });
    expect(destination.DynamicPartitioningConfiguration.RetryOptions).toEqual({ DurationInSeconds: 600 });
  });

  test('without dynamic partitioning the poller packs records without a line limit', () => {
    const { template } = feed();
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.Properties.Environment.Variables.MAX_LINES_PER_RECORD).toBeUndefined();
  });
});

describe('encryption with a customer-managed key', () => {
  const { stack } = CONFIGURATIONS['existing bucket with KMS and a customer-managed key']();
  const template = templateOf(stack);
  const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('FeedKey'), 'Arn'] };

  test('encrypts the stream, the queue and the table', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn } });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } });
  });

  test('the schedule may use the key, so its dead letters reach the encrypted queue', () => {
    const statements = pollerStatements(template, 'ScheduleRole');
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/FeedKey/), 'Arn'] }) }));
  });

  test('the poller may use the key for the queue (its dead letters and Lambda\'s on-failure destination) and the table', () => {
    const kmsActions = pollerStatements(template)
      .filter((s) => JSON.stringify(s.Resource).includes('FeedKey'))
      .flatMap((s) => [s.Action].flat());
    expect(kmsActions).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt', 'kms:Encrypt']));
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } } },
    });
  });
});

describe('dead-letter queue', () => {
  test('is retained on stack deletion and keeps messages 14 days', () => {
    const { template } = feed();
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true } });
  });

  test('deadLetterQueueProps are laid over the defaults', () => {
    const { template } = feed({ deadLetterQueueProps: { retentionPeriod: Duration.days(7), queueName: 'prices-dead-letters' } });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'prices-dead-letters', MessageRetentionPeriod: 604800, SqsManagedSseEnabled: true });
  });

  test('an existing queue receives the schedule\'s, Lambda\'s and the poller\'s dead letters', () => {
    const stack = testStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'OnCallQueue', 'arn:aws:sqs:us-east-1:123456789012:on-call-dead-letters');
    const { template } = feed({ existingDeadLetterQueue: queue }, stack);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:on-call-dead-letters' } } });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:on-call-dead-letters' } } });
  });
});

describe('state table', () => {
  test('an existing table is used for cursors; no table is created', () => {
    const stack = testStack();
    const table = dynamodb.Table.fromTableName(stack, 'FeedsState', 'api-feeds-state');
    const { template } = feed({ existingStateTable: table }, stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ STATE_TABLE_NAME: 'api-feeds-state' }) } });
  });

  test('feeds sharing a table: each poller reads and writes its own feed\'s items only (dynamodb:LeadingKeys), never another feed\'s', () => {
    const stack = testStack();
    const table = dynamodb.Table.fromTableName(stack, 'FeedsState', 'api-feeds-state');
    new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', existingStateTable: table, source: ApiSource.http({ url: 'https://api.example.com/prices', records: Records.at('data') }) });
    new ApiToFirehoseIngestion(stack, 'Prices2', { feedName: 'prices-eu', existingStateTable: table, source: ApiSource.http({ url: 'https://api.example.com/eu', records: Records.at('data') }) });
    const template = templateOf(stack);
    const dynamoStatements = Object.entries<any>(template.findResources('AWS::IAM::Policy'))
      .flatMap(([id, policy]) => policy.Properties.PolicyDocument.Statement.map((statement: any) => ({ id, statement })))
      .filter(({ statement }) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')));
    expect(dynamoStatements.map(({ id, statement }) => [id.replace(/[0-9A-F]{8}$/, ''), statement.Condition])).toEqual([
      ['PricesPollerRoleDefaultPolicy', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['feed#prices', 'feed#prices#*'] } }],
      ['Prices2PollerRoleDefaultPolicy', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['feed#prices-eu', 'feed#prices-eu#*'] } }],
    ]);
  });
});

describe('poller', () => {
  const { stack } = CONFIGURATIONS.VPC();
  const template = templateOf(stack);

  test('memory, timeout, reserved concurrency, VPC subnets and security groups, extra environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 600,
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'], SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('PollerSecurityGroup'), 'GroupId'] }] },
      Environment: { Variables: Match.objectLike({ HTTPS_PROXY: 'http://proxy.internal:3128', DELIVERY_STREAM_NAME: Match.anyValue() }) },
    });
  });

  test('log retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('V8 heap sizes follow the memory: a 4 MiB semi-space, and the old space the Lambda runtime would give', () => {
    const defaults = nodeOptionsOf(feed().template);
    expect(defaults).toBe('--max-semi-space-size=4 --max-old-space-size=461');
    // CONFIGURATIONS.VPC has 1,024 MB.
    expect(nodeOptionsOf(template)).toBe('--max-semi-space-size=4 --max-old-space-size=922');
    // Node.js accepts them in NODE_OPTIONS, and V8's heap limit is the old space plus three semi-spaces.
    const limit = execFileSync(process.execPath, ['-p', 'require("v8").getHeapStatistics().heap_size_limit / 1048576'], {
      env: { ...process.env, NODE_OPTIONS: defaults }, encoding: 'utf8',
    });
    expect(Number(limit)).toBe(461 + 3 * 4);
  });

  test('a user\'s NODE_OPTIONS is kept, and its own heap sizes replace the construct\'s', () => {
    const withOwn = feed({ pollerOptions: { environment: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=300' } } }).template;
    expect(nodeOptionsOf(withOwn)).toBe('--max-semi-space-size=4 --enable-source-maps --max-old-space-size=300');
    const withOther = feed({ pollerOptions: { memorySize: 2048, environment: { NODE_OPTIONS: '--max_semi_space_size=16' } } }).template;
    expect(nodeOptionsOf(withOther)).toBe('--max-old-space-size=1844 --max_semi_space_size=16');
  });

  test('a VPC poller may manage its network interfaces (inline, on its own role)', () => {
    expect(pollerStatements(template)).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']), Resource: '*' }));
    const role = Object.values<any>(template.findResources('AWS::IAM::Role')).find((r) => JSON.stringify(r).includes('lambda.amazonaws.com'));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('a poller outside a VPC has no EC2 permissions', () => {
    const { template: plain } = feed();
    expect(JSON.stringify(pollerStatements(plain))).not.toContain('ec2:');
  });

  test('the default log retention is finite (three months)', () => {
    const { template: plain } = feed();
    for (const group of Object.values<any>(plain.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(logs.RetentionDays.THREE_MONTHS);
    }
  });
});

describe('schedule', () => {
  test('time zone, start, end and enabled flag', () => {
    const { template } = feed({
      schedule: ScheduleExpression.cron({ hour: '18', minute: '30' }),
      scheduleOptions: {
        timeZone: TimeZone.ASIA_SEOUL,
        start: new Date('2027-01-01T00:00:00Z'),
        end: new Date('2028-01-01T00:00:00Z'),
        enabled: false,
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 18 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      StartDate: '2027-01-01T00:00:00.000Z',
      EndDate: '2028-01-01T00:00:00.000Z',
      State: 'DISABLED',
    });
  });

  test('a cron expression\'s own time zone is kept', () => {
    const { template } = feed({ schedule: ScheduleExpression.cron({ hour: '6', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'Europe/Berlin', State: 'ENABLED' });
  });
});

describe('dashboard', () => {
  test('off by default', () => {
    const { template, construct } = feed();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(construct.dashboard).toBeUndefined();
  });

  test('shows the feed\'s alarms, its metrics, the poller, the queue and Firehose', () => {
    const { template, construct } = feed({ dashboardEnabled: true });
    expect(construct.dashboard).toBeDefined();
    const body = JSON.stringify(Object.values<any>(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const expected of ['RecordsDelivered', 'RecordsDeadLettered', 'CursorLag', 'AWS/Lambda', 'ApproximateNumberOfMessagesVisible', 'DeliveryToS3.DataFreshness', 'ThrottledRecords', 'alarm', '\\"Feed\\",\\"prices\\"']) {
      expect(body).toContain(expected);
    }
  });
});

describe('several feeds', () => {
  const { stack } = CONFIGURATIONS['two feeds sharing a bucket, a queue and a table']();
  const template = templateOf(stack);

  test('share one bucket under separate prefixes, with separate streams and pollers', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2); // the shared bucket and its access-log bucket
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    const prefixes = Object.values<any>(template.findResources('AWS::KinesisFirehose::DeliveryStream'))
      .map((s) => s.Properties.ExtendedS3DestinationConfiguration.Prefix.split('/')[0]);
    expect(prefixes.sort()).toEqual(['feed=prices', 'feed=weather']);
  });

  test('each poller may write dead letters only under its own feed\'s folder', () => {
    expect(JSON.stringify(pollerStatements(template, 'WeatherPollerRole'))).toContain('/dead-letters/feed=weather/*');
    expect(JSON.stringify(pollerStatements(template, 'WeatherPollerRole'))).not.toContain('feed=prices');
    expect(JSON.stringify(pollerStatements(template, 'PricesPollerRole'))).toContain('/dead-letters/feed=prices/*');
  });

  test('each poller may put records only to its own stream', () => {
    const firehoseResources = (role: string) => pollerStatements(template, role)
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('firehose:'))).map((s) => JSON.stringify(s.Resource));
    expect(firehoseResources('WeatherPollerRole')).toEqual([expect.stringContaining('WeatherDeliveryStream')]);
    expect(firehoseResources('PricesPollerRole')).toEqual([expect.stringContaining('PricesDeliveryStream')]);
  });

  test('grantReadData of one feed does not reach the other feed\'s data', () => {
    const { stack: fresh, feeds: freshFeeds } = CONFIGURATIONS['two feeds sharing a bucket, a queue and a table']();
    const reader = new iam.Role(fresh, 'WeatherAnalyst', { assumedBy: new iam.AccountRootPrincipal() });
    freshFeeds[0].grantReadData(reader);
    const granted = JSON.stringify(pollerStatements(templateOf(fresh), 'WeatherAnalyst'));
    expect(granted).toContain('/feed=weather/*');
    expect(granted).not.toContain('feed=prices');
  });

  test('metrics and alarms are per feed', () => {
    const dimensions = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.MetricName === 'RecordsDelivered')
      .map((a) => a.Properties.Dimensions.find((d: any) => d.Name === 'Feed').Value);
    expect(dimensions.sort()).toEqual(['prices', 'weather']);
  });

  test('several feeds each with their own resources live in one stack', () => {
    const own = testStack();
    new ApiToFirehoseIngestion(own, 'Prices', { source: ApiSource.http({ url: 'https://api.example-prices.com/q', records: Records.at('q') }) });
    new ApiToFirehoseIngestion(own, 'Weather', { source: ApiSource.http({ url: 'https://api.example-weather.com/w', records: Records.at('w') }) });
    const t = templateOf(own);
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 2);
    t.resourceCountIs('AWS::SQS::Queue', 2);
    t.resourceCountIs('AWS::DynamoDB::Table', 2);
  });
});

describe('the poller in a VPC gets the subnets it asked for', () => {
  test('isolated subnets can be selected', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], isolatedSubnetIds: ['subnet-0123456789abcdef0'] });
    const { template } = feed({ pollerOptions: { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } } }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SubnetIds: ['subnet-0123456789abcdef0'] }) });
  });
});
