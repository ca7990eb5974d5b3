/**
 * `TimePartitioning.eventTime()`: the time folders and the Glue table's partitions follow each
 * row's event time column. The metadata extraction query the construct gives Firehose is run with
 * jq 1.6 (Debian's package, the JQ-1.6 Firehose names) on the very rows the poller writes for the
 * spec, against a loopback API: a backfilled November row lands in November's folders.
 */
import { execFileSync } from 'node:child_process';
import { Duration } from 'aws-cdk-lib';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import {
  ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Column, Destination, DynamicPartitioning, Format, Incremental, Records,
  RecordSchema, TimePartitioning, TimestampFormat,
} from '../../src';
import { CONFIGURATIONS } from '../helpers/configurations';
import { baseSpec, runSpec } from '../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { templateOf, testStack } from '../helpers/synth';

const schema = () => RecordSchema.of({ id: Column.integer(), at: Column.timestamp({ path: 'ts', format: TimestampFormat.UNIX_MS }), note: Column.string() });
const source = (overrides: Record<string, unknown> = {}) => ApiSource.http({
  url: 'https://api.example.com/v1/events',
  query: { since: '{{ cursor }}' },
  records: Records.at('data'),
  incremental: Incremental.datetime({ recordPath: 'ts', start: '2026-01-01T00:00:00Z' }),
  schema: schema(),
  ...overrides,
});

function stream(props: Partial<ApiToFirehoseIngestionProps>) {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Events', { feedName: 'events', source: source(), timePartitioning: TimePartitioning.eventTime(), ...props });
  const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
  return Object.values(resources).find((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream').Properties.ExtendedS3DestinationConfiguration;
}

describe('the construct', () => {
  test('the time folders are dynamic keys from the row\'s event time column, with deaggregation and no arrival time folders', () => {
    const s3 = stream({});
    expect(s3.Prefix).toBe('feed=events/year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/');
    expect(s3.DynamicPartitioningConfiguration).toEqual({ Enabled: true, RetryOptions: { DurationInSeconds: 300 } });
    expect(s3.ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['RecordDeAggregation', 'MetadataExtraction', 'AppendDelimiterToRecord']);
    // Firehose's dynamic partitioning needs at least 60 s and 64 MiB of buffering: the defaults are 300 s and 64 MiB.
    expect(s3.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 64 });
  });

  test.each<[string, Partial<ApiToFirehoseIngestionProps>, RegExp]>([
    ['no schema', { source: ApiSource.http({ url: 'https://api.example.com/v1/events', records: Records.at('data') }) },
      /TimePartitioning.eventTime\(\) needs the spec's schema: the time folders come from a timestamp column/],
    ['a column that is not a timestamp', { timePartitioning: TimePartitioning.eventTime({ column: 'note' }) },
      /event time column 'note' is a string column; name a timestamp column/],
    ['a column that is not in the schema', { timePartitioning: TimePartitioning.eventTime({ column: 'when' }) },
      /event time column 'when' is not a column of the schema \(id, at, note\)/],
    ['a schema whose timestamp does not read the cursor, none named', {
      source: source({ incremental: Incremental.datetime({ recordPath: 'updated', start: '2026-01-01T00:00:00Z' }), query: { since: '{{ cursor }}' } }),
    }, /no timestamp column of the schema reads the datetime cursor's field 'updated': name the event time column \(one of at\)/],
    ['a Glue-catalog Iceberg table', { format: Format.iceberg() }, /with Format.iceberg\(\) partitions an S3 Tables table \(set s3TablesBucketArn\); a Glue-catalog Iceberg table is created unpartitioned/],
    ['an OpenSearch destination', {
      destination: Destination.openSearch({ domain: opensearch.Domain.fromDomainAttributes(testStack(), 'D', { domainArn: 'arn:aws:es:us-east-1:123456789012:domain/d', domainEndpoint: 'https://d' }), indexName: 'events' }),
    }, /is for S3 objects: Firehose's dynamic partitioning works only with an S3 destination, not openSearch/],
    ['a partition key of its own named year', { dynamicPartitioning: DynamicPartitioning.jq({ year: '.feed' }) },
      /dynamicPartitioning defines key\(s\) year, which TimePartitioning.eventTime\(\) uses for the time folders: rename them/],
    ['a buffering interval under dynamic partitioning\'s 60 s', { bufferingInterval: Duration.seconds(10) },
      /When dynamic partitioning is enabled, buffering interval must be at least 60 seconds/],
  ])('%s fails at synth with what to change', (_name, props, message) => {
    expect(() => stream(props)).toThrow(message);
  });
});

test('an Iceberg table in S3 Tables is partitioned by the day of the event time column (Iceberg\'s hidden partitioning), with no dynamic partitioning', () => {
  const { stack } = CONFIGURATIONS['Iceberg in Amazon S3 Tables, partitioned by the day of each row\'s event time']();
  const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
  const table = Object.values(resources).find((r) => r.Type === 'AWS::S3Tables::Table').Properties.IcebergMetadata;
  const quotedAt = table.IcebergSchemaV2.SchemaV2FieldList.find((field: any) => field.Name === 'quoted_at');
  expect(table.IcebergPartitionSpec).toEqual({ SpecId: 0, Fields: [{ SourceId: quotedAt.Id, Transform: 'day', Name: 'quoted_at_day', FieldId: 1000 }] });
  const deliveryStream = Object.values(resources).find((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream').Properties;
  expect(JSON.stringify(deliveryStream)).not.toContain('DynamicPartitioning');
});

describe('the query Firehose runs, on the rows the poller writes (jq 1.6)', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/v1/events': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        data: [
          { id: 1, ts: Date.parse('2026-11-01T07:59:59.999Z'), note: 'backfilled' },
          { id: 2, ts: Date.parse('2026-12-31T23:00:00Z'), note: 'late' },
          { id: 3, note: 'no event time' },
        ],
      })),
    });
  });
  afterAll(() => api.close());

  test('each row lands in its own hour; a row without an event time in the hour it was fetched', async () => {
    const s3 = stream({});
    const query = s3.ProcessingConfiguration.Processors.find((p: any) => p.Type === 'MetadataExtraction')
      .Parameters.find((p: any) => p.ParameterName === 'MetadataExtractionQuery').ParameterValue;
    const { sink } = await runSpec(baseSpec(`${api.url}/v1/events`, {
      records: { path: 'data' },
      schema: { columns: { id: { type: 'integer' }, at: { type: 'timestamp', path: 'ts', format: 'unixms' }, note: { type: 'string' } } },
    }));
    const keys = sink.lines.map((line) => JSON.parse(execFileSync('jq', ['-c', query], { input: line }).toString()));
    const fetched = JSON.parse(sink.lines[2]).fetched_at as string;
    expect(keys).toEqual([
      { year: '2026', month: '11', day: '01', hour: '07' },
      { year: '2026', month: '12', day: '31', hour: '23' },
      { year: fetched.slice(0, 4), month: fetched.slice(5, 7), day: fetched.slice(8, 10), hour: fetched.slice(11, 13) },
    ]);
    expect(execFileSync('jq', ['--version']).toString().trim()).toMatch(/^jq-1\.[67]/);
  });
});
