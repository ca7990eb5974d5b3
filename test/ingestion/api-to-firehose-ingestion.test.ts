import { Match } from 'aws-cdk-lib/assertions';
import { ApiSource, ApiToFirehoseIngestion, HttpMethod, Records } from '../../src';
import { weatherFeed } from '../helpers/example-feeds';
import { templateOf, testStack } from '../helpers/synth';

describe('ApiToFirehoseIngestion (defaults)', () => {
  const stack = testStack();
  weatherFeed(stack);
  const template = templateOf(stack);

  test('creates one of each wrapped resource', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    // the data bucket and its server access log bucket
    template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  test('the schedule has an explicit retry policy, no flexible window and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  test('the schedule carries the versioned spec and the run\'s scheduler context as JSON', () => {
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0];
    const event = JSON.parse(schedule.Properties.Target.Input);
    expect(event).toEqual({
      spec: {
        version: 1,
        feed: 'weather',
        // What the user set; the poller's schema supplies the defaults (GET, JSON).
        request: { url: 'https://api.example-weather.com/v1/observations', query: { city: 'Seoul' } },
        records: { path: 'data' },
      },
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    });
  });

  test('the poller runs on the latest Node.js runtime with deliberate async retries and an on-failure DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          DELIVERY_STREAM_NAME: Match.anyValue(),
          DEAD_LETTER_QUEUE_URL: Match.anyValue(),
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  test('the poller\'s and the delivery stream\'s log groups keep logs for a finite time', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.RetentionInDays)).toEqual([90, 90]);
  });

  test('the delivery stream is encrypted and delivers GZIP to time-partitioned per-feed prefixes', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        CompressionFormat: 'GZIP',
        Prefix: 'feed=weather/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/feed=weather/!\\{firehose:error-output-type\\}/'),
      },
    });
  });

  test('the data bucket is encrypted, SSL-only, private and logs access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'data-bucket/' },
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    const sslOnly = policies.filter((p) => p.Properties.PolicyDocument.Statement.some(
      (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
    expect(sslOnly).toHaveLength(2);
  });

  test('the dead-letter queue is encrypted and SSL-only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the state table is on-demand, encrypted, point-in-time recoverable and retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  test('the poller may read and write items of its table, nothing more in DynamoDB', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/StateTable/);
  });

  test('the poller may write objects only under the bucket\'s dead-letters/ prefix', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('PollerRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(statements).toEqual([expect.objectContaining({ Action: 's3:PutObject' })]);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/"\/dead-letters\/feed=weather\/\*"/);
  });

  test('the poller role does not use the AWSLambdaBasicExecutionRole managed policy', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('the poller may put records to its stream and nothing else in Firehose', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const firehoseStatements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('firehose:')));
    expect(firehoseStatements).toEqual([
      expect.objectContaining({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/DeliveryStream/), 'Arn'] },
      }),
    ]);
  });
});

describe('ApiToFirehoseIngestion options', () => {
  test('feedName defaults to the construct id, lowercased', () => {
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'StationList', {
      source: ApiSource.http({ url: 'https://api.example.com/stations', records: Records.wholeResponse() }),
    });
    expect(feed.feedName).toBe('stationlist');
    templateOf(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { Prefix: Match.stringLikeRegexp('^feed=stationlist/') },
    });
  });

  test('method, headers and the whole-response records path reach the spec', () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Feed', {
      feedName: 'post-feed',
      source: ApiSource.http({
        url: 'https://api.example.com/search',
        method: HttpMethod.POST,
        headers: { 'x-client': 'cdk-api-ingestion' },
        records: Records.wholeResponse(),
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    expect(JSON.parse(schedule.Properties.Target.Input).spec).toEqual({
      version: 1,
      feed: 'post-feed',
      request: { url: 'https://api.example.com/search', method: 'POST', headers: { 'x-client': 'cdk-api-ingestion' } },
      records: { path: '$' },
    });
  });

  test('the schedule defaults to once an hour', () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Feed', {
      source: ApiSource.http({ url: 'https://api.example.com/items', records: Records.at('items') }),
    });
    templateOf(stack).hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
  });
});
