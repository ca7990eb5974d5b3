import { Duration, Size, Stack, TimeZone } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, Records } from '../../src';
import { customerKey } from '../helpers/configurations';
import { testStack } from '../helpers/synth';

const source = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });
const byExchange = () => DynamicPartitioning.byRecordFields({ exchange: 'exchange' });

/** Each case: the props that are wrong (built in a fresh stack), and what the error must say. */
const CASES: Array<[string, (stack: Stack) => Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  // bucket
  ['existingBucket with bucketProps', (stack) => ({ existingBucket: s3.Bucket.fromBucketName(stack, 'B', 'lake'), bucketProps: { versioned: true } }),
    /existingBucket and bucketProps are both set.*Remove one of them/],
  ['two different keys for the bucket', (stack) => ({ encryptionKey: customerKey(stack, 'K1'), bucketProps: { encryptionKey: customerKey(stack, 'K2') } }),
    /bucketProps\.encryptionKey and encryptionKey are different keys/],
  ['an unencrypted bucket', () => ({ bucketProps: { encryption: s3.BucketEncryption.UNENCRYPTED } }),
    /bucketProps\.encryption is UNENCRYPTED.*S3_MANAGED or KMS/],
  ['a public bucket', () => ({ bucketProps: { publicReadAccess: true } }),
    /bucketProps\.publicReadAccess is true.*grantReadData/],
  // dead-letter queue
  ['existingDeadLetterQueue with deadLetterQueueProps', (stack) => ({ existingDeadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:us-east-1:123456789012:dlq'), deadLetterQueueProps: {} }),
    /existingDeadLetterQueue and deadLetterQueueProps are both set/],
  ['an existing FIFO queue', (stack) => ({ existingDeadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:us-east-1:123456789012:dlq.fifo') }),
    /existingDeadLetterQueue is a FIFO queue.*standard queue/],
  ['a new FIFO queue', () => ({ deadLetterQueueProps: { fifo: true } }),
    /deadLetterQueueProps\.fifo is true.*standard queue/],
  ['an unencrypted queue', () => ({ deadLetterQueueProps: { encryption: sqs.QueueEncryption.UNENCRYPTED } }),
    /deadLetterQueueProps\.encryption is UNENCRYPTED/],
  ['two different keys for the queue', (stack) => ({ encryptionKey: customerKey(stack, 'K1'), deadLetterQueueProps: { encryptionMasterKey: customerKey(stack, 'K2') } }),
    /deadLetterQueueProps\.encryptionMasterKey and encryptionKey are different keys/],
  // buffering: aws-cdk-lib's DeliveryStream checks Firehose's limits; these hold that it still does
  ['a buffering interval over 900 s', () => ({ bufferingInterval: Duration.seconds(901) }), /Buffering interval must be less than 900 seconds, got 901 seconds/],
  ['a buffering size over 128 MiB', () => ({ bufferingSize: Size.mebibytes(129) }), /Buffering size must be at most 128 MiBs, got 129 MiBs/],
  ['a buffering size under 1 MiB', () => ({ bufferingSize: Size.kibibytes(512) }), /cannot be converted into a whole number of mebibytes/],
  ['dynamic partitioning with a short buffering interval', () => ({ dynamicPartitioning: byExchange(), bufferingInterval: Duration.seconds(30) }),
    /When dynamic partitioning is enabled, buffering interval must be at least 60 seconds, got 30 seconds/],
  ['dynamic partitioning with a small buffering size', () => ({ dynamicPartitioning: byExchange(), bufferingSize: Size.mebibytes(32) }),
    /When data format conversion or dynamic partitioning is enabled, buffering size must be at least 64 MiBs, got 32 MiBs/],
  // prefixes
  ['a data prefix starting with /', () => ({ dataOutputPrefix: '/prices/' }), /dataOutputPrefix '\/prices\/' starts with '\/'.*Remove the leading/],
  ['a data prefix inside dead-letters/', () => ({ dataOutputPrefix: 'dead-letters/prices/' }), /dataOutputPrefix 'dead-letters\/prices\/' is inside dead-letters\//],
  ['a data prefix over 1024 characters', () => ({ dataOutputPrefix: `${'a'.repeat(1025)}/` }), /dataOutputPrefix must be 1-1024 characters \(got 1026\)/],
  ['a data prefix without a fixed folder', () => ({ dataOutputPrefix: '!{timestamp:yyyy}/' }), /must start with a fixed folder such as 'feed=prices\/'/],
  ['partition keys without dynamic partitioning', () => ({ dataOutputPrefix: 'p/x=!{partitionKeyFromQuery:x}/' }),
    /uses partition keys \(x\) but dynamicPartitioning is not set/],
  ['a dynamic partitioning prefix missing a key', () => ({ dynamicPartitioning: byExchange(), dataOutputPrefix: 'prices/!{timestamp:yyyy}/' }),
    /does not use the dynamic partition key\(s\) exchange; add !\{partitionKeyFromQuery:exchange\}/],
  ['a dynamic partitioning prefix with an undefined key', () => ({ dynamicPartitioning: byExchange(), dataOutputPrefix: 'prices/!{partitionKeyFromQuery:exchange}/!{partitionKeyFromQuery:region}/' }),
    /uses partition key\(s\) region that dynamicPartitioning does not define/],
  ['an error prefix with expressions but no error type', () => ({ errorOutputPrefix: 'errors/!{timestamp:yyyy}/' }),
    /errorOutputPrefix .* must include !\{firehose:error-output-type\}|to include !\{firehose:error-output-type\}/],
  ['an error prefix with a partition key', () => ({ dynamicPartitioning: byExchange(), errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{partitionKeyFromQuery:exchange}/' }),
    /errorOutputPrefix .* uses a partition key/],
  // poller
  ['too little memory', () => ({ pollerOptions: { memorySize: 100 } }), /pollerOptions\.memorySize must be a whole number of MB from 128 to 10240.*got 100/],
  ['too much memory', () => ({ pollerOptions: { memorySize: 10241 } }), /pollerOptions\.memorySize .*got 10241/],
  ['a fractional memory size', () => ({ pollerOptions: { memorySize: 512.5 } }), /pollerOptions\.memorySize .*got 512\.5/],
  ['a timeout under 30 s', () => ({ pollerOptions: { timeout: Duration.seconds(10) } }), /pollerOptions\.timeout must be from 30 seconds to 15 minutes \(got 10 s\)/],
  ['a timeout over 15 minutes', () => ({ pollerOptions: { timeout: Duration.minutes(16) } }), /pollerOptions\.timeout .*got 960 s/],
  ['zero reserved concurrency', () => ({ pollerOptions: { reservedConcurrentExecutions: 0 } }),
    /reservedConcurrentExecutions must be a whole number of at least 1 \(got 0\); to stop polling, set scheduleOptions\.enabled to false/],
  ['subnets without a VPC', () => ({ pollerOptions: { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } }),
    /pollerOptions\.vpcSubnets or securityGroups is set without pollerOptions\.vpc/],
  ['an environment variable the construct sets', () => ({ pollerOptions: { environment: { DELIVERY_STREAM_NAME: 'other' } } }),
    /pollerOptions\.environment sets DELIVERY_STREAM_NAME, which the construct sets/],
  ['an environment variable Lambda reserves', () => ({ pollerOptions: { environment: { AWS_REGION: 'eu-west-1' } } }),
    /environment has the name 'AWS_REGION'; Lambda reserves AWS_\*/],
  // schedule
  ['a time zone with a rate schedule', () => ({ schedule: ScheduleExpression.rate(Duration.hours(1)), scheduleOptions: { timeZone: TimeZone.ASIA_SEOUL } }),
    /scheduleOptions\.timeZone is set but the schedule is rate\(1 hour\), which has no time zone/],
  ['two time zones', () => ({ schedule: ScheduleExpression.cron({ hour: '6', timeZone: TimeZone.EUROPE_BERLIN }), scheduleOptions: { timeZone: TimeZone.ASIA_SEOUL } }),
    /expression is in Europe\/Berlin but scheduleOptions\.timeZone is Asia\/Seoul; set the time zone in one place/],
  ['a start after the end', () => ({ scheduleOptions: { start: new Date('2028-01-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') } }),
    /scheduleOptions\.start \(2028-01-01T00:00:00\.000Z\) must be before scheduleOptions\.end/],
  // alarms
  ['noRecordsAlarmPeriods with alarms off', () => ({ alarmsEnabled: false, noRecordsAlarmPeriods: 6 }),
    /noRecordsAlarmPeriods is set but alarmsEnabled is false/],
  ['the schema drift alarm without a schema', () => ({ schemaDriftAlarmEnabled: true }),
    /schemaDriftAlarmEnabled needs a schema in the spec to measure drift against/],
  ['the schema drift alarm with alarms off', () => ({ schemaDriftAlarmEnabled: true, alarmsEnabled: false }),
    /schemaDriftAlarmEnabled is true but alarmsEnabled is false/],
  ['noRecordsAlarmPeriods out of range', () => ({ noRecordsAlarmPeriods: 0 }), /noRecordsAlarmPeriods must be a whole number from 1 to 24 \(got 0\)/],
];

describe('an invalid combination of props fails at synth, naming the prop and the fix', () => {
  test.each(CASES)('%s', (_name, props, message) => {
    const stack = testStack();
    expect(() => new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', source: source(), ...props(stack) }))
      .toThrow(message);
  });

  test('the error names the construct path', () => {
    const stack = testStack();
    expect(() => new ApiToFirehoseIngestion(stack, 'Prices', { source: source(), pollerOptions: { memorySize: 64 } }))
      .toThrow(/^ApiToFirehoseIngestion 'TestStack\/Prices': /);
  });
});

describe('feeds that would clash', () => {
  test('two feeds with the same name in one stack', () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'A', { feedName: 'prices', source: source() });
    expect(() => new ApiToFirehoseIngestion(stack, 'B', { feedName: 'prices', source: source() }))
      .toThrow(/feedName 'prices' is already used by 'TestStack\/A' in this stack/);
  });

  test('two feeds of a shared bucket whose folders overlap', () => {
    const stack = testStack();
    const first = new ApiToFirehoseIngestion(stack, 'A', { feedName: 'a', source: source(), dataOutputPrefix: 'raw/!{timestamp:yyyy}/' });
    expect(() => new ApiToFirehoseIngestion(stack, 'B', { feedName: 'b', source: source(), existingBucket: first.bucket, dataOutputPrefix: 'raw/b/!{timestamp:yyyy}/' }))
      .toThrow(/data folder 'raw\/b\/' overlaps 'raw\/' of 'TestStack\/A' in the same bucket/);
  });

  test('the same custom prefix on different buckets is fine', () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'A', { feedName: 'a', source: source(), dataOutputPrefix: 'raw/!{timestamp:yyyy}/' });
    expect(() => new ApiToFirehoseIngestion(stack, 'B', { feedName: 'b', source: source(), dataOutputPrefix: 'raw/!{timestamp:yyyy}/' })).not.toThrow();
  });
});

describe('DynamicPartitioning rejects what Firehose would', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['no keys', () => DynamicPartitioning.jq({}), /give at least one partition key/],
    ['a key with a slash', () => DynamicPartitioning.jq({ 'a/b': '.record.a' }), /partition key 'a\/b' must be 1-64 letters, digits, '_' or '-'/],
    ['an empty query', () => DynamicPartitioning.jq({ city: ' ' }), /query of partition key 'city' is empty/],
    ['a field that is not a path', () => DynamicPartitioning.byRecordFields({ city: 'address[0]' }), /use a dotted path of plain field names.*or DynamicPartitioning\.jq\(\)/],
    ['a retry duration over 2 hours', () => DynamicPartitioning.jq({ city: '.partition.city' }, { retryDuration: Duration.hours(3) }), /retryDuration must be from 0 to 7200 seconds \(got 10800\)/],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});
