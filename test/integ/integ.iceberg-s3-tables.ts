/**
 * Typed rows into an Iceberg table in Amazon S3 Tables (the table bucket, namespace, table, Glue
 * resource link and Lake Formation grants for Firehose all made by the construct), queried through
 * Athena over the resource link. What it settles: that those grants are enough for Firehose to
 * write and for a reader granted SELECT to read (docs/DESTINATIONS.md), and that Firehose writes
 * into a table partitioned by `day(observed_at)`.
 *
 * Needs, once per account and region (outside CloudFormation): S3 Tables' integration with AWS
 * analytics services enabled, and the deploying role a Lake Formation administrator.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3tables from 'aws-cdk-lib/aws-s3tables';
import { Format, TimePartitioning } from '../../src';
import { expectDelivered, runAsScheduled } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { ICEBERG_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('IcebergS3Tables');
const tableBucket = new s3tables.CfnTableBucket(stack, 'Tables', { tableBucketName: 'apiingest-integ-tables' });
tableBucket.applyRemovalPolicy(RemovalPolicy.DESTROY);
const feed = feedUnderTest(stack, {
  source: observationsSource(api, { typed: true }),
  format: Format.iceberg({ s3TablesBucketArn: tableBucket.attrTableBucketArn, namespace: 'integ' }),
  // The table is partitioned by day(observed_at): Firehose's Iceberg writes must accept that partition spec.
  timePartitioning: TimePartitioning.eventTime(),
  bufferingInterval: Duration.seconds(60),
});
const results = new s3.Bucket(stack, 'QueryResults', { enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
feed.grantQuery(checker.fn);
results.grantReadWrite(checker.fn);
// The reader's own Lake Formation grants, as grantQuery's documentation asks for S3 Tables.
const principal = { dataLakePrincipalIdentifier: checker.fn.role!.roleArn };
const catalogId = Fn.join('', [stack.account, ':s3tablescatalog/', Fn.select(1, Fn.split('/', tableBucket.attrTableBucketArn))]);
new lakeformation.CfnPrincipalPermissions(stack, 'CheckerTableGrant', {
  principal,
  resource: { table: { catalogId, databaseName: 'integ', name: feed.table!.tableName } },
  permissions: ['SELECT', 'DESCRIBE'],
  permissionsWithGrantOption: [],
}).node.addDependency(feed);
new lakeformation.CfnPrincipalPermissions(stack, 'CheckerLinkGrant', {
  principal,
  resource: { database: { catalogId: stack.account, name: feed.database!.databaseName } },
  permissions: ['DESCRIBE'],
  permissionsWithGrantOption: [],
}).node.addDependency(feed);

const integ = new IntegTest(app, 'IcebergS3Tables', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runAsScheduled(integ, feed, checker), {
  feed,
  checker,
  deliveryMetrics: ICEBERG_DELIVERY_METRICS,
  read: { kind: 'athena', database: feed.database!.databaseName, table: feed.table!.tableName, column: 'id', workGroup: 'primary', output: results.s3UrlForObject('athena/') },
  expectedIds: expectedIds(),
});
app.synth();
