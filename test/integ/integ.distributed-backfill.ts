/**
 * The distributed mode with a backfill: a caller starts a backfill of two 6-hour windows through
 * the run endpoint (a POST signed with SigV4, as `grantStartRun` allows), the Step Functions
 * Distributed Map runs each window of each station, and the bucket must hold exactly the
 * observations inside the windows, each once. The workers take their requests from the feed's
 * shared budget (an UpdateItem on the state table under the grant scoped by `dynamodb:LeadingKeys`).
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

const { app, stack, api, checker } = integStack('DistributedBackfill');
const feed = feedUnderTest(stack, {
  // A distributed run plans its partitions up front: the stations are declared.
  // The workers share one request budget in the state table, under the poller's LeadingKeys-scoped grant.
  source: observationsSource(api, { windowed: true, listedStations: STATIONS, requestsPerSecond: 5 }),
  executionMode: ExecutionMode.distributed({ itemsPerBatch: 2 }),
  runEndpointEnabled: true,
  bufferingInterval: Duration.seconds(0),
});
feed.grantReadData(checker.fn);

const integ = new IntegTest(app, 'DistributedBackfill', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runThroughEndpoint(integ, feed, checker, { backfill: BACKFILL }), {
  feed,
  checker,
  deliveryMetrics: S3_DELIVERY_METRICS,
  read: { kind: 's3', bucket: feed.bucket.bucketName, prefix: 'feed=observations/', idPath: 'record.id' },
  expectedIds: expectedIds({ from: BACKFILL.from, to: BACKFILL.to }),
  // A Distributed Map of 6 items and its child executions take a few minutes more than one invocation.
  deliveryTimeout: Duration.minutes(20),
});
app.synth();
