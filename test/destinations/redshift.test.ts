/**
 * `Destination.redshift()`: Firehose writes the rows to the feed's bucket and COPYs them into a
 * table whose DDL is generated from the spec's schema, with credentials Firehose reads from
 * Secrets Manager; the table is optionally created at deployment with the Redshift Data API.
 *
 * moto does not deliver to Redshift. What can run for real does: the generated DDL is executed
 * by a PostgreSQL server (Debian's package), and the rows the poller writes for the same spec are
 * loaded into that table by column name, as COPY's JSON 'auto' maps keys to columns. PostgreSQL
 * has no SUPER type, the one part of the DDL outside the subset both dialects accept: the test
 * database defines `super` as a domain over jsonb, so the DDL runs unchanged.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Compression } from 'aws-cdk-lib/aws-kinesisfirehose';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Column, Destination, DynamicPartitioning, Format, Records, RecordSchema,
  RedshiftTarget,
} from '../../src';
import { redshiftTableDdl } from '../../src/destinations/redshift-table';
import { withSchemaDefaults } from '../../src/feed-spec/record-schema';
import { CONFIGURATIONS, typedPricesSource } from '../helpers/configurations';
import { runSpec } from '../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { Postgres, startPostgres } from '../helpers/postgres';
import { testStack } from '../helpers/synth';
import { quotesResponseBody, quotesSpec } from '../helpers/typed-quotes';

const { stack, feeds: [feed] } = CONFIGURATIONS['a Redshift Serverless workgroup, the table created with the Data API']();
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const config = () => ofType('AWS::KinesisFirehose::DeliveryStream')[0][1].Properties.RedshiftDestinationConfiguration;

describe('the delivery stream', () => {
  test('COPYs into the quoted table, every row column by name, from GZIP JSON lines, with a retry of an hour', () => {
    expect(config().ClusterJDBCURL).toBe('jdbc:redshift://analytics.123456789012.us-east-1.redshift-serverless.amazonaws.com:5439/dev');
    expect(config().CopyCommand).toEqual({
      DataTableName: '"market"."prices"',
      DataTableColumns: '"feed","record_id","fetched_at","source_url","partition","symbol","exchange","price","volume","halted","quoted_at",'
        + '"trade_date","venue","tags","raw_flags","extra_fields"',
      CopyOptions: 'FORMAT AS JSON \'auto\' GZIP TIMEFORMAT \'auto\' DATEFORMAT \'auto\'',
    });
    expect(config().S3Configuration.CompressionFormat).toBe('GZIP');
    expect(config().RetryOptions).toEqual({ DurationInSeconds: 3600 });
  });

  test('credentials come from Secrets Manager only: no user or password in the template', () => {
    expect(config().SecretsManagerConfiguration).toMatchObject({ Enabled: true, SecretARN: expect.anything() });
    expect(config().Username).toBeUndefined();
    expect(config().Password).toBeUndefined();
    const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.includes('RedshiftDestinationRole'));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }));
  });

  test('the files Firehose copies from stay under the feed\'s data folder; the backup and errors under their own', () => {
    expect(config().S3Configuration.Prefix).toMatch(/^feed=prices\/year=/);
    expect(config().S3BackupMode).toBe('Enabled');
    expect(config().S3BackupConfiguration.Prefix).toMatch(/^backups\/feed=prices\//);
    const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.includes('RedshiftDestinationRole'));
    const text = JSON.stringify(policy.Properties.PolicyDocument.Statement);
    expect(text).toMatch(/\/feed=prices\/\*".*\/errors\/feed=prices\/\*".*\/backups\/feed=prices\/\*"/);
    expect(text).not.toMatch(/s3:DeleteObject|s3:\*/);
  });

  test('the poller packs lines as for S3: COPY reads the files line by line', () => {
    const [[, poller]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('PricesPoller'));
    expect(poller.Properties.Environment.Variables.DOCUMENT_PER_RECORD).toBeUndefined();
  });

  test('alarms: failed COPY commands, and the freshness of the files they copy from', () => {
    const names = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.MetricName);
    expect(names).toEqual(expect.arrayContaining(['DeliveryToRedshift.Success', 'DeliveryToS3.DataFreshness']));
    const [[, failures]] = ofType('AWS::CloudWatch::Alarm').filter(([id]) => id.includes('DeliveryFailures'));
    expect(failures.Properties).toMatchObject({ Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
  });
});

describe('the table', () => {
  test('its DDL is exposed and created at deployment through the Data API, before the stream, and kept when the stack goes', () => {
    expect(feed.redshiftTableDdl).toMatch(/^CREATE TABLE IF NOT EXISTS "market"\."prices" \(\n {2}"feed" VARCHAR\(64\),/);
    const [[tableId, table]] = ofType('Custom::RedshiftTable');
    expect(table.Properties).toMatchObject({ Sql: feed.redshiftTableDdl, Database: 'dev', WorkgroupName: 'analytics' });
    expect(table.DeletionPolicy).toBe('Retain');
    const [[, stream]] = ofType('AWS::KinesisFirehose::DeliveryStream');
    expect(stream.DependsOn).toContain(tableId);
  });

  test('a provisioned cluster is named by its identifier, and only that cluster may run statements', () => {
    const fresh = testStack();
    new ApiToFirehoseIngestion(fresh, 'Prices', {
      feedName: 'prices',
      source: typedPricesSource(),
      destination: Destination.redshift({
        target: RedshiftTarget.cluster({ clusterIdentifier: 'warehouse', endpointAddress: 'warehouse.abc.us-east-1.redshift.amazonaws.com', port: 5440 }),
        database: 'analytics',
        tableName: 'prices',
        credentials: secretsmanager.Secret.fromSecretNameV2(fresh, 'User', 'redshift/firehose'),
        createTable: true,
      }),
    });
    const all = Template.fromStack(fresh).toJSON().Resources as Record<string, any>;
    const stream = Object.values(all).find((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream').Properties.RedshiftDestinationConfiguration;
    expect(stream.ClusterJDBCURL).toBe('jdbc:redshift://warehouse.abc.us-east-1.redshift.amazonaws.com:5440/analytics');
    expect(stream.S3BackupMode).toBe('Disabled');
    expect(Object.values(all).find((r) => r.Type === 'Custom::RedshiftTable').Properties.ClusterIdentifier).toBe('warehouse');
    const policy = Object.entries(all).find(([id]) => id.startsWith('PricesRedshiftTableRoleDefaultPolicy'))![1];
    const execute = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'redshift-data:ExecuteStatement');
    expect(JSON.stringify(execute.Resource)).toContain(':redshift:us-east-1:123456789012:cluster:warehouse');
  });

  test('without createTable no function is created: the DDL is the user\'s to run', () => {
    const fresh = testStack();
    const plain = new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: typedPricesSource(), destination: redshift(fresh) });
    expect(Object.values(Template.fromStack(fresh).toJSON().Resources as Record<string, any>).some((r) => r.Type === 'Custom::RedshiftTable')).toBe(false);
    expect(plain.redshiftTableDdl).toContain('"extra_fields" VARCHAR(65535)');
  });

  test('without a schema the table holds the envelope, with the partition and the record as SUPER', () => {
    const fresh = testStack();
    const plain = new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: source(), destination: redshift(fresh) });
    expect(plain.redshiftTableDdl).toBe([
      'CREATE TABLE IF NOT EXISTS "prices" (',
      '  "feed" VARCHAR(64),', '  "record_id" VARCHAR(32),', '  "fetched_at" TIMESTAMPTZ,', '  "source_url" VARCHAR(65535),',
      '  "partition" SUPER,', '  "record" SUPER', ');',
    ].join('\n'));
  });
});

describe('the DDL in PostgreSQL, loaded with the rows the poller writes', () => {
  let pg: Postgres;
  let api: LoopbackApi;

  beforeAll(async () => {
    pg = await startPostgres();
    // Redshift's SUPER holds JSON values; jsonb is PostgreSQL's.
    pg.sql('CREATE DOMAIN super AS jsonb; CREATE SCHEMA market;');
    const body = quotesResponseBody();
    api = await startLoopbackApi({ '/quotes': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body) });
  });
  afterAll(async () => {
    pg?.stop();
    await api?.close();
  });

  test('the typed table is created, and each row loads by column name with exact 64-bit integers, timestamps and nested values', async () => {
    const spec = quotesSpec(`${api.url}/quotes`);
    pg.sql(redshiftTableDdl('market.quotes', withSchemaDefaults(spec.schema)));
    const { sink } = await runSpec(spec);
    expect(sink.lines).toHaveLength(3);
    for (const line of sink.lines) {
      // COPY ... JSON 'auto': each key into the column of the same name; a key with no column is an error here (not ignored).
      const keys = Object.keys(JSON.parse(line));
      const columns = pg.sql('SELECT column_name FROM information_schema.columns WHERE table_name = \'quotes\' ORDER BY ordinal_position').split('\n');
      expect(keys).toEqual(columns);
      pg.sql(`INSERT INTO market.quotes SELECT * FROM jsonb_populate_record(NULL::market.quotes, '${line.replace(/'/g, '\'\'')}'::jsonb);`);
    }
    expect(pg.sql('SELECT symbol, volume, price, quoted_at AT TIME ZONE \'UTC\', trade_date, venue->>\'mic\', tags->>0 FROM market.quotes WHERE symbol = \'ACME\''))
      .toBe('ACME|1234567890123456789|101.25|2025-12-02 08:00:00.123|2025-12-02|XNYS|tech');
    // Values as strings are converted; drift under evolve: the unknown field and the unconvertible price are in extra_fields.
    expect(pg.sql('SELECT price, volume, halted FROM market.quotes WHERE symbol = \'BOLT\'')).toBe('7.5|1200|t');
    expect(JSON.parse(pg.sql('SELECT extra_fields FROM market.quotes WHERE symbol = \'CRUX\''))).toEqual({ rating: 'A', price: 'halted' });
  });

  test('without a schema, the envelope table takes the envelope lines', async () => {
    pg.sql(redshiftTableDdl('market.raw_quotes', undefined));
    const { sink } = await runSpec({ ...quotesSpec(`${api.url}/quotes`), schema: undefined });
    for (const line of sink.lines) {
      pg.sql(`INSERT INTO market.raw_quotes SELECT * FROM jsonb_populate_record(NULL::market.raw_quotes, '${line.replace(/'/g, '\'\'')}'::jsonb);`);
    }
    expect(pg.sql('SELECT record->>\'symbol\', partition->>\'desk\' FROM market.raw_quotes ORDER BY 1')).toBe('ACME|equities\nBOLT|equities\nCRUX|equities');
  });
});

const source = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });
const redshift = (scope: Stack, overrides: Partial<Parameters<typeof Destination.redshift>[0]> = {}) => Destination.redshift({
  target: RedshiftTarget.serverlessWorkgroup({ workgroupName: 'wg', endpointAddress: 'wg.123456789012.us-east-1.redshift-serverless.amazonaws.com' }),
  database: 'dev',
  tableName: 'prices',
  credentials: secretsmanager.Secret.fromSecretNameV2(scope, 'User', 'redshift/firehose'),
  ...overrides,
});

const CASES: Array<[string, (stack: Stack) => Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  ['an uppercase table name', (s) => ({ destination: redshift(s, { tableName: 'Prices' }) }),
    /Destination.redshift\(\) tableName 'Prices' must be TABLE or SCHEMA.TABLE, each part 1-127 lowercase letters/],
  ['a table name with a quote', (s) => ({ destination: redshift(s, { tableName: 'prices"; DROP TABLE x; --' }) }), /tableName .* must be TABLE or SCHEMA.TABLE/],
  ['COPY options without GZIP', (s) => ({ destination: redshift(s, { copyOptions: 'FORMAT AS JSON \'auto\'' }) }),
    /copyOptions "FORMAT AS JSON 'auto'" must include GZIP: Firehose GZIP-compresses the files it copies from/],
  ['COPY options reading CSV', (s) => ({ destination: redshift(s, { copyOptions: 'CSV GZIP' }) }), /must read JSON \(FORMAT AS JSON 'auto'\): the poller writes JSON lines/],
  ['an uppercase database', (s) => ({ destination: redshift(s, { database: 'Dev' }) }), /database 'Dev' must be 1-64 lowercase letters/],
  ['a column name over Redshift\'s 127 bytes', (s) => ({
    source: ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes'), schema: RecordSchema.of({ [`p${'x'.repeat(127)}`]: Column.number() }) }),
    destination: redshift(s),
  }), /Destination.redshift\(\) cannot hold the feed's rows: column 'px+…' is 128 bytes long; Redshift identifiers are at most 127 bytes/],
  ['more columns than Redshift\'s 1,600', (s) => ({
    source: ApiSource.http({
      url: 'https://api.example-prices.com/v2/quotes',
      records: Records.at('quotes'),
      schema: RecordSchema.of(Object.fromEntries(Array.from({ length: 1596 }, (_, i) => [`c${i}`, Column.string()]))),
    }),
    destination: redshift(s),
  }), /the table would have 1602 columns \(the envelope's and the schema's\); Redshift allows at most 1600/],
  ['Parquet into Redshift', (s) => ({ source: typedPricesSource(), destination: redshift(s), format: Format.parquet() }), /format parquet needs the S3 destination/],
  ['dynamic partitioning into Redshift', (s) => ({
    destination: redshift(s), dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }), bufferingInterval: Duration.seconds(60),
  }), /dynamicPartitioning is for S3 objects: Firehose allows it only with an S3 destination, not Redshift/],
  ['compression with Redshift', (s) => ({ destination: redshift(s), compression: Compression.SNAPPY }),
    /compression is for S3 objects: with Redshift Firehose GZIP-compresses the files it COPYs from/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  const fresh = testStack();
  expect(() => new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: source(), ...props(fresh) })).toThrow(message);
});
