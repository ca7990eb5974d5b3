/**
 * The durable mode: a caller starts a backfill of two 6-hour windows through the run endpoint (a
 * POST signed with SigV4, as `grantStartRun` allows); the endpoint invokes the poller's `live`
 * alias, and one durable execution runs the windows of every station, two windows at a time, each
 * pass a checkpointed step. The bucket must hold exactly the observations inside the windows, each
 * once, and the feed's lease must be free: what a Lambda durable function needs (the alias, the
 * checkpoint permissions on `function:poller:*`, the durable bundle) is proven by the run itself.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import { ExecutionMode } from '../../src';
import { expectDelivered, runThroughEndpoint } from './support/feed-under-test';
import { expectedIds, STATIONS } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { S3_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const BACKFILL = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T12:00:00Z', windowSeconds: 6 * 3600 };

const { app, stack, api, checker } = integStack('DurableBackfill');
const feed = feedUnderTest(stack, {
  source: observationsSource(api, { windowed: true, listedStations: STATIONS, requestsPerSecond: 5 }),
  executionMode: ExecutionMode.durable({ executionTimeout: Duration.hours(1), retentionPeriod: Duration.days(1), backfillConcurrency: 2 }),
  runEndpointEnabled: true,
  bufferingInterval: Duration.seconds(0),
});
feed.grantReadData(checker.fn);

const integ = new IntegTest(app, 'DurableBackfill', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runThroughEndpoint(integ, feed, checker, { backfill: BACKFILL }), {
  feed,
  checker,
  deliveryMetrics: S3_DELIVERY_METRICS,
  read: { kind: 's3', bucket: feed.bucket.bucketName, prefix: 'feed=observations/', idPath: 'record.id' },
  expectedIds: expectedIds({ from: BACKFILL.from, to: BACKFILL.to }),
});
app.synth();
