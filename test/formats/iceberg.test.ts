/**
 * `Format.iceberg()`: a Glue Iceberg table (format version 2) from the spec's schema, Firehose's
 * Iceberg destination writing into it with `record_id` as the unique key, failed rows backed up to
 * the bucket, least privilege on the feed's table and folder, alarms on the Iceberg metrics, and a
 * synth error for what the Iceberg destination does not have.
 *
 * moto runs no Firehose Iceberg delivery: this wiring is tested by the template, and by cdk-nag,
 * cfn-lint and checkov in configurations.test.ts; the table's columns are compared with what
 * pyiceberg makes of the same rows in iceberg-local.test.ts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Compression } from 'aws-cdk-lib/aws-kinesisfirehose';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, Format, FormatKind, Records } from '../../src';
import { CONFIGURATIONS, typedPricesSource } from '../helpers/configurations';
import { testStack } from '../helpers/synth';

const { stack, feeds: [feed] } = CONFIGURATIONS['Iceberg table with record_id as its unique key']();
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

test('the table is an Iceberg v2 table in Glue, at the feed\'s folder, with the envelope\'s and the schema\'s columns', () => {
  const [[tableId, table]] = ofType('AWS::Glue::Table');
  expect(table.Properties.OpenTableFormatInput).toEqual({ IcebergInput: { MetadataOperation: 'CREATE', Version: '2' } });
  const input = table.Properties.TableInput;
  expect(input.Name).toBe('prices');
  expect(input.StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^PricesBucket/) }, '/feed=prices/']] });
  expect(input.StorageDescriptor.Columns.map((c: any) => c.Name)).toEqual([
    'feed', 'record_id', 'fetched_at', 'source_url', 'partition',
    'symbol', 'exchange', 'price', 'volume', 'halted', 'quoted_at', 'trade_date', 'venue', 'tags', 'raw_flags', 'extra_fields',
  ]);
  // Firehose needs the table to exist before a stream with unique keys.
  const [[, stream]] = ofType('AWS::KinesisFirehose::DeliveryStream');
  expect(stream.DependsOn).toContain(tableId);
  expect(feed.format.kind).toBe(FormatKind.ICEBERG);
});

test('Firehose writes into that table with record_id as the unique key, and backs up only failed rows', () => {
  const [[, stream]] = ofType('AWS::KinesisFirehose::DeliveryStream');
  const config = stream.Properties.IcebergDestinationConfiguration;
  expect(stream.Properties.ExtendedS3DestinationConfiguration).toBeUndefined();
  expect(config.DestinationTableConfigurationList).toEqual([{
    DestinationDatabaseName: { Ref: expect.stringMatching(/^PricesDatabase/) },
    DestinationTableName: 'prices',
    UniqueKeys: ['record_id'],
    S3ErrorOutputPrefix: expect.stringMatching(/^errors\/feed=prices\/!\{firehose:error-output-type\}\//),
  }]);
  expect(config.s3BackupMode).toBe('FailedDataOnly');
  expect(config.CatalogConfiguration.CatalogArn).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:us-east-1:123456789012:catalog']] });
  expect(config.CloudWatchLoggingOptions).toEqual(expect.objectContaining({ Enabled: true }));
  expect(config.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 64 });
});

test('the Iceberg role writes only the table\'s and the error folders, and reads and updates only the feed\'s table', () => {
  const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.includes('IcebergDestinationRole'));
  const statements = policy.Properties.PolicyDocument.Statement;
  const text = JSON.stringify(statements);
  const objects = statements.find((s: any) => [s.Action].flat().includes('s3:DeleteObject'));
  expect(JSON.stringify(objects.Resource)).toMatch(/\/feed=prices\/\*"\]\]\}$/);
  const glue = statements.find((s: any) => [s.Action].flat().includes('glue:UpdateTable'));
  expect(glue.Action).toEqual(['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable']);
  expect(JSON.stringify(glue.Resource)).toMatch(/:catalog".*:database\/".*:table\/".*"\/prices"/);
  expect(text).not.toMatch(/"Resource":"\*"/);
});

test('the alarms read the Iceberg destination\'s metrics, including rows backed up to S3', () => {
  const names = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.MetricName);
  expect(names).toEqual(expect.arrayContaining(['DeliveryToIceberg.DataFreshness', 'DeliveryToIceberg.FailedRowCount']));
  expect(names).not.toContain('DeliveryToS3.DataFreshness');
});

test('grantQuery reads the Iceberg table and the feed\'s folder', () => {
  const fresh = CONFIGURATIONS['Iceberg table with record_id as its unique key']();
  const analyst = new iam.Role(fresh.stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
  fresh.feeds[0].grantQuery(analyst);
  const policy = Template.fromStack(fresh.stack).toJSON().Resources;
  const document = JSON.stringify(Object.entries(policy).find(([id]) => id.startsWith('AnalystDefaultPolicy'))![1]);
  expect(document).toMatch(/glue:GetTable/);
  expect(document).toMatch(/:table\/".*"\/prices"/);
  expect(document).toMatch(/\/feed=prices\/\*/);
});

const CASES: Array<[string, (stack: Stack) => Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  ['Iceberg without a schema', () => ({ source: ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') }), format: Format.iceberg() }),
    /Format.iceberg\(\) needs the spec's schema, which gives the table its columns/],
  ['Iceberg with dynamic partitioning', () => ({
    format: Format.iceberg(), dynamicPartitioning: DynamicPartitioning.byRecordFields({ market: 'exchange' }), bufferingInterval: Duration.seconds(60),
  }), /dynamicPartitioning is for S3 objects: Firehose's Iceberg destination writes into the table.*Remove dynamicPartitioning/],
  ['Iceberg with compression', () => ({ format: Format.iceberg(), compression: Compression.SNAPPY }),
    /compression is for JSON lines: Iceberg writes Parquet data files of its own/],
  ['Iceberg with a data prefix', () => ({ format: Format.iceberg(), dataOutputPrefix: 'lake/prices/' }),
    /dataOutputPrefix is for S3 objects: with Format.iceberg\(\) the table's location is the feed's folder/],
  ['Iceberg with a table name Athena refuses', () => ({ format: Format.iceberg({ tableName: 'Prices' }) }),
    /Format.iceberg\(\) tableName 'Prices' is not a name Athena accepts unquoted/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  const fresh = testStack();
  expect(() => new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: typedPricesSource(), ...props(fresh) })).toThrow(message);
});

describe('Format.iceberg() in Amazon S3 Tables', () => {
  const tables = CONFIGURATIONS['Iceberg in Amazon S3 Tables, partitioned by the day of each row\'s event time']();
  const all = Template.fromStack(tables.stack).toJSON().Resources as Record<string, any>;
  const byType = (type: string) => Object.entries(all).filter(([, r]) => r.Type === type);

  test('the namespace, the table with Iceberg types and record_id as its identifier, and a Glue resource link to the namespace', () => {
    const [[, namespace]] = byType('AWS::S3Tables::Namespace');
    expect(namespace.Properties.Namespace).toBe('market');
    const [[tableId, table]] = byType('AWS::S3Tables::Table');
    expect(table.Properties).toMatchObject({ Namespace: 'market', TableName: 'prices', OpenTableFormat: 'ICEBERG' });
    const schema = table.Properties.IcebergMetadata.IcebergSchemaV2;
    const byName = Object.fromEntries(schema.SchemaV2FieldList.map((f: any) => [f.Name, f]));
    expect(byName.record_id).toMatchObject({ Id: 2, Required: true, Type: 'string' });
    expect(schema.IdentifierFieldIds).toEqual([2]);
    expect(byName.volume.Type).toBe('long');
    expect(byName.quoted_at.Type).toBe('timestamptz');
    expect(byName.venue.Type).toEqual({ type: 'struct', fields: [{ id: 17, name: 'mic', required: false, type: 'string' }, { id: 18, name: 'open', required: false, type: 'boolean' }] });
    expect(byName.tags.Type).toEqual({ 'type': 'list', 'element-id': 19, 'element': 'string', 'element-required': false });
    const [[, link]] = byType('AWS::Glue::Database');
    expect(link.Properties.DatabaseInput).toMatchObject({ Name: 'market_link', TargetDatabase: { DatabaseName: 'market' } });
    const [[, stream]] = byType('AWS::KinesisFirehose::DeliveryStream');
    expect(stream.Properties.IcebergDestinationConfiguration.DestinationTableConfigurationList[0]).toMatchObject({
      DestinationDatabaseName: 'market_link', DestinationTableName: 'prices', UniqueKeys: ['record_id'],
    });
    expect(stream.DependsOn).toContain(tableId);
  });

  test('Lake Formation grants the Firehose role the table and the link, before the stream is created; no S3 grant on the table', () => {
    const grants = byType('AWS::LakeFormation::PrincipalPermissions');
    expect(grants).toHaveLength(2);
    const onTable = grants.find(([, g]) => g.Properties.Resource.Table)![1];
    expect(onTable.Properties.Permissions).toEqual(['SELECT', 'INSERT', 'DELETE', 'ALTER', 'DESCRIBE']);
    expect(onTable.Properties.Resource.Table).toMatchObject({ DatabaseName: 'market', Name: 'prices' });
    expect(JSON.stringify(onTable.Properties.Resource.Table.CatalogId)).toContain(':s3tablescatalog/');
    expect(onTable.Properties.Principal.DataLakePrincipalIdentifier).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/IcebergDestinationRole/), 'Arn'] });
    const [[, stream]] = byType('AWS::KinesisFirehose::DeliveryStream');
    for (const [id] of grants) expect(stream.DependsOn).toContain(id);
    const [[, policy]] = byType('AWS::IAM::Policy').filter(([id]) => id.includes('IcebergDestinationRole'));
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({ Action: 'lakeformation:GetDataAccess', Effect: 'Allow', Resource: '*' });
    expect(JSON.stringify(statements)).not.toContain('s3:DeleteObject');
  });

  test.each([
    ['a database and a table bucket', () => Format.iceberg({ s3TablesBucketArn: 'arn:aws:s3tables:us-east-1:123456789012:bucket/t', database: {} as any }),
      /Format.iceberg\(\) database is for a Glue Iceberg table; with s3TablesBucketArn the table is in the S3 Tables namespace/],
    ['a namespace without a table bucket', () => Format.iceberg({ namespace: 'market' }), /namespace is for S3 Tables: set s3TablesBucketArn too/],
    ['a namespace S3 Tables refuses', () => Format.iceberg({ s3TablesBucketArn: 'arn:aws:s3tables:us-east-1:123456789012:bucket/t', namespace: 'Market-Data' }),
      /namespace 'Market-Data' is not a name S3 Tables accepts/],
    ['a table name S3 Tables refuses', () => Format.iceberg({ s3TablesBucketArn: 'arn:aws:s3tables:us-east-1:123456789012:bucket/t', tableName: '_prices' }),
      /tableName '_prices' is not a name S3 Tables accepts: 1-255 lowercase letters, digits and '_', starting and ending with a letter or digit/],
    ['a namespace starting with aws', () => Format.iceberg({ s3TablesBucketArn: 'arn:aws:s3tables:us-east-1:123456789012:bucket/t', namespace: 'aws_data' }),
      /namespace 'aws_data' is not a name S3 Tables accepts.*not starting with "aws"/],
  ])('%s fails at synth with what to change', (_name, format, message) => {
    const fresh = testStack();
    expect(() => new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: typedPricesSource(), format: format() })).toThrow(message);
  });
});
