/**
 * A run on demand through the run endpoint: a caller allowed by `grantStartRun` POSTs two of the
 * feed's three stations; exactly their observations must arrive, and none of the third's.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import { expectDelivered, runThroughEndpoint } from './support/feed-under-test';
import { expectedIds, STATIONS } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { S3_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const CHOSEN = ['north', 'east'];

const { app, stack, api, checker } = integStack('RunEndpoint');
const feed = feedUnderTest(stack, {
  source: observationsSource(api, { listedStations: STATIONS }),
  runEndpointEnabled: true,
  bufferingInterval: Duration.seconds(0),
});
feed.grantReadData(checker.fn);

const integ = new IntegTest(app, 'RunEndpoint', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runThroughEndpoint(integ, feed, checker, { partitions: CHOSEN.map((station) => ({ station })) }), {
  feed,
  checker,
  deliveryMetrics: S3_DELIVERY_METRICS,
  read: { kind: 's3', bucket: feed.bucket.bucketName, prefix: 'feed=observations/', idPath: 'record.id' },
  expectedIds: expectedIds({ stations: CHOSEN }),
});
app.synth();
