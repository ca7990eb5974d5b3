/**
 * Raw JSON lines into S3, the default shape: the feed runs as its schedule runs it, and the
 * bucket must hold exactly the fixture API's records (each once), with the dead-letter queue
 * empty, the lease released and the alarms OK.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import { expectDelivered, runAsScheduled } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { S3_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('S3Json');
const feed = feedUnderTest(stack, { source: observationsSource(api), bufferingInterval: Duration.seconds(0) });
feed.grantReadData(checker.fn);

const integ = new IntegTest(app, 'S3Json', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runAsScheduled(integ, feed, checker), {
  feed,
  checker,
  deliveryMetrics: S3_DELIVERY_METRICS,
  read: { kind: 's3', bucket: feed.bucket.bucketName, prefix: 'feed=observations/', idPath: 'record.id' },
  expectedIds: expectedIds(),
});
app.synth();
