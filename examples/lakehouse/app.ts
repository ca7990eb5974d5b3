/**
 * Typed feeds for Athena: quotes with a schema, delivered by Firehose as Parquet into a Glue table
 * (partition projection, no crawler), and trades into an Apache Iceberg table, both in the lake's
 * shared database, analysts allowed to query them; and order books into an Iceberg table in
 * Amazon S3 Tables. examples/python/lakehouse.py is the same app in Python (a test checks that both
 * synthesize the same template).
 *
 * Synthesize it: `npx ts-node --project tsconfig.dev.json examples/lakehouse/app.ts`.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ParquetCompression } from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3tables from 'aws-cdk-lib/aws-s3tables';
// In your own app: import { ... } from 'cdk-api-ingestion';
import { ApiSource, ApiToFirehoseIngestion, Column, Format, Records, RecordSchema, SchemaContract, TimePartitioning, TimestampFormat, Transform } from '../../src';

export const LAKEHOUSE_STACK_NAME = 'LakehouseIngestion';

export function buildLakehouseApp(outdir?: string): { app: App; stack: Stack } {
  const app = new App({ outdir });
  const stack = new Stack(app, LAKEHOUSE_STACK_NAME, { env: { account: '123456789012', region: 'us-east-1' } });
  const marketData = new glue.Database(stack, 'MarketData', { databaseName: 'market_data' });

  const quotes = new ApiToFirehoseIngestion(stack, 'Quotes', {
    feedName: 'quotes',
    source: ApiSource.http({
      url: 'https://api.example-prices.com/v2/quotes',
      records: Records.at('quotes'),
      // Applied to each record first (JSONata): symbols in upper case, test listings left out.
      transform: Transform.jsonata('test = true ? undefined : $merge([$, { "symbol": $uppercase(symbol) }])'),
      // `api-ingest infer-schema SPEC --write` proposes this from a few pages of the API.
      schema: RecordSchema.of({
        symbol: Column.string(),
        price: Column.number(),
        volume: Column.integer(),
        quoted_at: Column.timestamp({ path: 'ts', format: TimestampFormat.UNIX_MS }),
        venue: Column.struct({ mic: Column.string(), open: Column.boolean() }),
        tags: Column.array(Column.string()),
      }, { contract: SchemaContract.EVOLVE }),
    }),
    format: Format.parquet({ database: marketData, compression: ParquetCompression.GZIP }),
    // Filed under when each quote was made, not when it arrived: a backfill lands in its own days.
    timePartitioning: TimePartitioning.eventTime({ column: 'quoted_at' }),
  });

  // Trades into an Apache Iceberg table: a trade delivered twice (a retried run) replaces the
  // first, by record_id, instead of duplicating it.
  const trades = new ApiToFirehoseIngestion(stack, 'Trades', {
    feedName: 'trades',
    source: ApiSource.http({
      url: 'https://api.example-prices.com/v2/trades',
      records: Records.at('trades'),
      schema: RecordSchema.of({
        trade_id: Column.string(),
        symbol: Column.string(),
        quantity: Column.integer(),
        price: Column.number(),
        executed_at: Column.timestamp(),
      }, { contract: SchemaContract.FREEZE }),
    }),
    format: Format.iceberg({ database: marketData }),
  });

  // Order-book snapshots into Amazon S3 Tables, which compacts and expires snapshots itself.
  const tableBucket = new s3tables.CfnTableBucket(stack, 'MarketTables', { tableBucketName: 'market-tables' });
  new ApiToFirehoseIngestion(stack, 'Books', {
    feedName: 'books',
    source: ApiSource.http({
      url: 'https://api.example-prices.com/v2/books',
      records: Records.at('books'),
      schema: RecordSchema.of({
        symbol: Column.string(),
        bids: Column.array(Column.struct({ price: Column.number(), size: Column.integer() })),
        taken_at: Column.timestamp(),
      }),
    }),
    format: Format.iceberg({ s3TablesBucketArn: tableBucket.attrTableBucketArn, namespace: 'market' }),
  });

  // Analysts query the quotes and trades tables with Athena, and read nothing else in the lake.
  const analysts = iam.Role.fromRoleName(stack, 'Analysts', 'data-analysts');
  for (const feed of [quotes, trades]) {
    // The folder grant is a wildcard by nature; grantQuery acknowledges that one cdk-nag finding on the role.
    feed.grantQuery(analysts);
  }
  return { app, stack };
}

if (require.main === module) {
  const { app, stack } = buildLakehouseApp(process.env.CDK_OUTDIR ?? path.join(process.cwd(), 'cdk.out'));
  const assembly = app.synth();
  console.log(`Synthesized ${stack.stackName} into ${assembly.getStackByName(stack.stackName).templateFile}`);
}
