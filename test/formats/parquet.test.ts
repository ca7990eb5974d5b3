/**
 * `Format.parquet()`: the Glue table from the spec's schema, partition projection from the S3 key
 * layout, Firehose's record format conversion reading that table, least privilege, and a synth
 * error for each combination AWS refuses or that would lose a setting silently.
 *
 * moto does not run Firehose's record format conversion, so this wiring is tested here by the
 * template, and by cdk-nag, cfn-lint and checkov in configurations.test.ts.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Compression, ParquetCompression } from 'aws-cdk-lib/aws-kinesisfirehose';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, Format, FormatKind, Records } from '../../src';
import { CONFIGURATIONS, typedPricesSource } from '../helpers/configurations';
import { testStack } from '../helpers/synth';

const GLUE_COLUMNS = [
  ['feed', 'string'], ['record_id', 'string'], ['fetched_at', 'timestamp'], ['source_url', 'string'], ['partition', 'string'],
  ['symbol', 'string'], ['exchange', 'string'], ['price', 'double'], ['volume', 'bigint'], ['halted', 'boolean'],
  ['quoted_at', 'timestamp'], ['trade_date', 'date'], ['venue', 'struct<mic:string,open:boolean>'], ['tags', 'array<string>'],
  ['raw_flags', 'string'], ['extra_fields', 'string'],
].map(([Name, Type]) => ({ Name, Type }));

describe('Format.parquet() with a new database', () => {
  const { stack, feeds: [feed] } = CONFIGURATIONS['Parquet with a Glue table']();
  const template = Template.fromStack(stack);

  test('the table has the envelope\'s columns, the schema\'s in Glue types, and extra_fields under evolve', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'prices',
        StorageDescriptor: Match.objectLike({
          Columns: GLUE_COLUMNS,
          Location: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^PricesBucket') }, '/feed=prices/']] },
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });
    expect(feed.format.kind).toBe(FormatKind.PARQUET);
    expect(feed.table).toBeDefined();
  });

  test('partitions are projected from the key layout: Athena needs no crawler', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        PartitionKeys: [{ Name: 'year', Type: 'int' }, { Name: 'month', Type: 'int' }, { Name: 'day', Type: 'int' }, { Name: 'hour', Type: 'int' }],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.year.range': '2024,2099',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.hour.range': '0,23',
          'storage.location.template': { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^PricesBucket') }, '/feed=prices/year=${year}/month=${month}/day=${day}/hour=${hour}/']] },
        }),
      }),
    });
  });

  test('Firehose converts with that table: OpenX JSON in, Snappy Parquet out, no second compression', () => {
    const stream = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;
    expect(stream.DataFormatConversionConfiguration).toEqual(expect.objectContaining({
      Enabled: true,
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
      SchemaConfiguration: expect.objectContaining({ DatabaseName: { Ref: expect.stringMatching(/^PricesDatabase/) }, TableName: { Ref: expect.stringMatching(/^PricesTable/) } }),
    }));
    expect(stream.CompressionFormat).toBeUndefined();
    expect(stream.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 64 });
  });

  test('the Firehose role reads only the feed\'s own table (glue:GetSchemaVersion on * is aws-cdk-lib\'s, acknowledged)', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('S3DestinationRole') } });
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
    const glueStatements = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('glue:')));
    expect(glueStatements).toHaveLength(2);
    expect(glueStatements[0].Action).toEqual(['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']);
    expect(JSON.stringify(glueStatements[0].Resource)).toMatch(/:catalog".*:database\/.*:table\//);
    expect(glueStatements[1]).toEqual({ Action: 'glue:GetSchemaVersion', Effect: 'Allow', Resource: '*' });
  });
});

describe('Format.parquet() in a shared database with dynamic partitioning', () => {
  const { stack } = CONFIGURATIONS['Parquet in a shared database, dynamic partitioning, a customer-managed key']();
  const template = Template.fromStack(stack);

  test('the table goes in the given database, under the given name, without extra_fields under freeze', () => {
    const input = Object.values(template.findResources('AWS::Glue::Table'))[0].Properties;
    expect(input.DatabaseName).toEqual({ Ref: expect.stringMatching(/^Lake/) });
    expect(input.TableInput.Name).toBe('quotes');
    expect(input.TableInput.StorageDescriptor.Columns.map((c: any) => c.Name)).not.toContain('extra_fields');
    template.resourceCountIs('AWS::Glue::Database', 1);
  });

  test('a dynamic partition key is an injected partition, before the time partitions', () => {
    const input = Object.values(template.findResources('AWS::Glue::Table'))[0].Properties.TableInput;
    expect(input.PartitionKeys[0]).toEqual({ Name: 'market', Type: 'string' });
    expect(input.Parameters['projection.market.type']).toBe('injected');
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/feed=prices/market=${market}/year=${year}/');
  });

  test('with a schema, lines are rows: the partition query reads the column, not .record', () => {
    const stream = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;
    const extraction = stream.ProcessingConfiguration.Processors.find((p: any) => p.Type === 'MetadataExtraction');
    expect(extraction.Parameters).toContainEqual({ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"market":.exchange}' });
    // Conversion reads JSON objects; no newline is appended to them.
    expect(stream.ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['RecordDeAggregation', 'MetadataExtraction']);
    expect(stream.DataFormatConversionConfiguration.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression).toBe('GZIP');
  });
});

test('JSON lines with a schema: dynamic partitioning reads the row\'s column too', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Prices', {
    feedName: 'prices',
    source: typedPricesSource(),
    dynamicPartitioning: DynamicPartitioning.byRecordFields({ market: 'exchange' }),
  });
  const stream = Object.values(Template.fromStack(stack).findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;
  expect(JSON.stringify(stream.ProcessingConfiguration)).toContain('{\\"market\\":.exchange}');
  expect(stream.CompressionFormat).toBe('GZIP');
});

describe('grantQuery', () => {
  test('Glue reads on the feed\'s table, Athena queries in the workgroup, the feed\'s data', () => {
    const { stack, feeds: [feed] } = CONFIGURATIONS['Parquet with a Glue table']();
    const analyst = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    feed.grantQuery(analyst, 'analytics');
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^Analyst') } }))[0];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => s.Action)).toEqual([
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      's3:GetObject',
      's3:ListBucket',
    ]);
    expect(JSON.stringify(statements[1].Resource)).toContain(':athena:us-east-1:123456789012:workgroup/analytics');
    expect(JSON.stringify(statements[2].Resource)).toContain('/feed=prices/*');
  });

  test('without a table, it says what to set', () => {
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', source: typedPricesSource() });
    expect(() => feed.grantQuery(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() })))
      .toThrow(/grantQuery needs a table to query: set format: Format.parquet\(\) or Format.iceberg\(\)/);
  });
});

describe('Format.parquet() filed under each row\'s event time', () => {
  const { stack } = CONFIGURATIONS['Parquet filed under each row\'s event time, beside a partition key of its own']();
  const template = Template.fromStack(stack);

  test('the table\'s time partitions are the event time folders, projected as integers from 2000 on (a backfill reaches back)', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        PartitionKeys: [
          { Name: 'market', Type: 'string' }, { Name: 'year', Type: 'int' }, { Name: 'month', Type: 'int' }, { Name: 'day', Type: 'int' }, { Name: 'hour', Type: 'int' },
        ],
        Parameters: Match.objectLike({
          'projection.year.type': 'integer',
          'projection.year.range': '2000,2099',
          'projection.month.digits': '2',
          'projection.hour.range': '0,23',
          'projection.market.type': 'injected',
        }),
      }),
    });
  });

  test('Firehose reads the market and the time folders from each row: the quoted_at column, which the poller writes in ISO 8601 UTC', () => {
    const s3 = Object.values<any>(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;
    const query = JSON.stringify(s3.ProcessingConfiguration.Processors);
    expect(query).toContain('\\"year\\":((.quoted_at) // .fetched_at)[0:4]');
    expect(query).toContain('\\"market\\":.exchange');
    expect(s3.Prefix).toBe('feed=prices/market=!{partitionKeyFromQuery:market}/year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/'
      + 'day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/');
  });
});

const untyped = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });

/** Each case: the props that are wrong, and what the error must say. */
const CASES: Array<[string, (stack: Stack) => ApiToFirehoseIngestionProps, RegExp]> = [
  ['Parquet without a schema', () => ({ source: untyped(), format: Format.parquet() }),
    /Format.parquet\(\) needs the spec's schema.*RecordSchema.of\(\).*api-ingest infer-schema SPEC --write/],
  ['Parquet with the stream\'s compression', () => ({ source: typedPricesSource(), format: Format.parquet(), compression: Compression.GZIP }),
    /compression is for JSON lines: with Format.parquet\(\).*Format.parquet\(\{ compression: ParquetCompression.GZIP \}\)/],
  // aws-cdk-lib's DeliveryStream checks the conversion's buffering minimum; this holds that it still does.
  ['Parquet with a 32 MiB buffer', () => ({ source: typedPricesSource(), format: Format.parquet(), bufferingSize: Size.mebibytes(32) }),
    /When data format conversion or dynamic partitioning is enabled, buffering size must be at least 64 MiBs, got 32 MiBs/],
  ['a prefix whose folders cannot be projected', () => ({ source: typedPricesSource(), format: Format.parquet(), dataOutputPrefix: 'feed=prices/dt=!{timestamp:yyyy-MM-dd}/' }),
    /Format.parquet\(\) projects the table's partitions from dataOutputPrefix.*'dt=!\{timestamp:yyyy-MM-dd\}' is not/],
  ['a partition key named like a column', () => ({
    source: typedPricesSource(),
    format: Format.parquet(),
    dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }),
    bufferingInterval: Duration.seconds(60),
  }), /the partition key 'exchange' of dataOutputPrefix is also a column of the table.*rename the key/],
  ['an invalid table name', () => ({ source: typedPricesSource(), format: Format.parquet({ tableName: 'Prices-Table' }) }),
    /tableName 'Prices-Table' is not a name Athena accepts unquoted/],
  ['a shared database whose name Athena cannot query', (stack) => ({
    source: typedPricesSource(), format: Format.parquet({ database: new glue.Database(stack, 'Lake', { databaseName: 'Market-Data' }) }),
  }), /Format.parquet\(\) database 'Market-Data' is not a database name Athena can query.*\(for example 'market_data'\)/],
  ['an Iceberg table in a database named with a hyphen', (stack) => ({
    source: typedPricesSource(), format: Format.iceberg({ database: glue.Database.fromDatabaseArn(stack, 'Lake', 'arn:aws:glue:us-east-1:123456789012:database/raw-lake') }),
  }), /Format.iceberg\(\) database 'raw-lake' is not a database name Athena can query/],
  ['partitioning by a field that is not a column', () => ({ source: typedPricesSource(), dynamicPartitioning: DynamicPartitioning.byRecordFields({ region: 'region' }) }),
    /with a schema, records are written as rows of its columns, so DynamicPartitioning.byRecordFields names a column; 'region' \(key 'region'\) is not one of feed, record_id/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  const stack = testStack();
  expect(() => new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', ...props(stack) })).toThrow(message);
});

test('Parquet compression choices pass through', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', source: typedPricesSource(), format: Format.parquet({ compression: ParquetCompression.UNCOMPRESSED }) });
  Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
    ExtendedS3DestinationConfiguration: Match.objectLike({
      DataFormatConversionConfiguration: Match.objectLike({ OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'UNCOMPRESSED' } } } }),
    }),
  });
});
