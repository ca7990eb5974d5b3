/**
 * `Destination.httpEndpoint()`: Firehose's HTTP endpoint destination (aws-cdk-lib's L2), with the
 * access key read by Firehose from Secrets Manager, failed data backed up to the feed's bucket
 * (its backup and error folders only), alarms on the HTTP endpoint's metrics, and a synth error
 * for each combination Firehose refuses.
 *
 * moto does not deliver to HTTP endpoints: the wiring is tested here by the template, and by
 * cdk-nag, cfn-lint and checkov in configurations.test.ts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Compression } from 'aws-cdk-lib/aws-kinesisfirehose';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Destination, DestinationKind, DynamicPartitioning, Format, Records } from '../../src';
import { CONFIGURATIONS, typedPricesSource } from '../helpers/configurations';
import { testStack } from '../helpers/synth';

const { stack, feeds: [feed] } = CONFIGURATIONS['an HTTP endpoint with its access key in Secrets Manager']();
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

test('Firehose posts GZIP requests to the endpoint with the access key from Secrets Manager, never in the template', () => {
  const [[, stream]] = ofType('AWS::KinesisFirehose::DeliveryStream');
  const config = stream.Properties.HttpEndpointDestinationConfiguration;
  expect(stream.Properties.ExtendedS3DestinationConfiguration).toBeUndefined();
  expect(config.EndpointConfiguration).toEqual({ Url: 'https://ingest.example-observability.com/v1/firehose', Name: 'observability' });
  expect(config.SecretsManagerConfiguration).toMatchObject({ Enabled: true, SecretARN: expect.anything() });
  expect(JSON.stringify(config)).not.toContain('AccessKey');
  expect(config.RequestConfiguration).toEqual({ ContentEncoding: 'GZIP' });
  expect(config.RetryOptions).toEqual({ DurationInSeconds: 600 });
  expect(feed.destination.kind).toBe(DestinationKind.HTTP_ENDPOINT);
});

test('failed data only is backed up to the feed\'s bucket, under backups/feed=NAME/, and the role writes only there and in the error folder', () => {
  const [[, stream]] = ofType('AWS::KinesisFirehose::DeliveryStream');
  const config = stream.Properties.HttpEndpointDestinationConfiguration;
  expect(config.S3BackupMode).toBe('FailedDataOnly');
  expect(config.S3Configuration.Prefix).toMatch(/^backups\/feed=prices\/year=!\{timestamp:yyyy\}\//);
  expect(config.S3Configuration.ErrorOutputPrefix).toMatch(/^errors\/feed=prices\//);
  const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.includes('HttpDestinationRole'));
  const statements = policy.Properties.PolicyDocument.Statement;
  const objects = statements.find((s: any) => [s.Action].flat().includes('s3:PutObject'));
  expect(JSON.stringify(objects.Resource)).toMatch(/\/backups\/feed=prices\/\*".*\/errors\/feed=prices\/\*"/);
  expect(JSON.stringify(statements)).not.toMatch(/s3:DeleteObject|s3:\*/);
  expect(statements).toContainEqual(expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }));
});

test('the alarms read the HTTP endpoint\'s delivery metrics', () => {
  const names = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.MetricName);
  expect(names).toContain('DeliveryToHttpEndpoint.DataFreshness');
  expect(names).not.toContain('DeliveryToS3.DataFreshness');
});

const endpoint = (scope: Stack) => Destination.httpEndpoint({
  url: 'https://ingest.example.com/v1', accessKey: secretsmanager.Secret.fromSecretNameV2(scope, 'Key', 'key'),
});
const source = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });

const CASES: Array<[string, (stack: Stack) => Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  ['Parquet to an HTTP endpoint', (s) => ({ source: typedPricesSource(), destination: endpoint(s), format: Format.parquet() }),
    /format parquet needs the S3 destination: Firehose converts records and writes tables only into S3/],
  ['Iceberg to an HTTP endpoint', (s) => ({ source: typedPricesSource(), destination: endpoint(s), format: Format.iceberg() }),
    /format iceberg needs the S3 destination/],
  ['dynamic partitioning to an HTTP endpoint', (s) => ({
    destination: endpoint(s), dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }), bufferingInterval: Duration.seconds(60),
  }), /dynamicPartitioning is for S3 objects: Firehose allows it only with an S3 destination/],
  ['compression with an HTTP endpoint', (s) => ({ destination: endpoint(s), compression: Compression.SNAPPY }),
    /compression is for S3 objects: Firehose GZIP-compresses the requests to the HTTP endpoint/],
  ['a data prefix with an HTTP endpoint', (s) => ({ destination: endpoint(s), dataOutputPrefix: 'feed=prices/' }),
    /dataOutputPrefix is for S3 objects: with Destination.httpEndpoint\(\) only failed data is kept in the bucket/],
  ['an http:// endpoint', () => ({ destination: Destination.httpEndpoint({ url: 'http://ingest.example.com/v1' }) }),
    /Destination.httpEndpoint\(\) url 'http:\/\/ingest.example.com\/v1' must be an https:\/\/ URL/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  const fresh = testStack();
  expect(() => new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: source(), ...props(fresh) })).toThrow(message);
});
