/**
 * Typed rows as Parquet, with the Glue table the construct creates, queried through Athena: the
 * query must return exactly the fixture API's ids, in the declared column. Rows are filed under
 * their event time (`observed_at`, all on 2026-01-01) by Firehose's dynamic partitioning with the
 * construct's jq query, and must be in that day's folder only, whatever day the test runs.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Format, TimePartitioning } from '../../src';
import { expectDelivered, runAsScheduled } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { S3_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('ParquetAthena');
// Record format conversion buffers at least 60 seconds.
const feed = feedUnderTest(stack, {
  source: observationsSource(api, { typed: true }),
  format: Format.parquet(),
  timePartitioning: TimePartitioning.eventTime(),
  bufferingInterval: Duration.seconds(60),
});
const results = new s3.Bucket(stack, 'QueryResults', { enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
feed.grantQuery(checker.fn);
results.grantReadWrite(checker.fn);

const integ = new IntegTest(app, 'ParquetAthena', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runAsScheduled(integ, feed, checker), {
  feed,
  checker,
  deliveryMetrics: S3_DELIVERY_METRICS,
  read: {
    kind: 'athena',
    database: feed.database!.databaseName,
    table: feed.table!.tableName,
    column: 'id',
    workGroup: 'primary',
    output: results.s3UrlForObject('athena/'),
    folders: { bucket: feed.bucket.bucketName, prefix: 'feed=observations/' },
  },
  expectedIds: expectedIds(),
  expectedExtra: { dayFolders: ['year=2026/month=01/day=01'] },
});
app.synth();
