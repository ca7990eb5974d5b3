/**
 * Typed rows as Parquet, with the Glue table the construct creates, queried through Athena: the
 * query must return exactly the fixture API's ids, in the declared column.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Format } from '../../src';
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
  read: { kind: 'athena', database: feed.database!.databaseName, table: feed.table!.tableName, column: 'id', workGroup: 'primary', output: results.s3UrlForObject('athena/') },
  expectedIds: expectedIds(),
});
app.synth();
