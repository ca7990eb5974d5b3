/**
 * Typed rows into a small OpenSearch domain the stack owns. Before the first run the test installs
 * what the construct hands the user (`openSearchIndexTemplate`, `openSearchIngestPipeline`), as a
 * user would. What it settles (docs/DESTINATIONS.md): that the ingest pipeline's `_id` from
 * `record_id` wins over the id Firehose sends, so every document's `_id` is its record_id and a
 * retried batch overwrites instead of duplicating.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Destination } from '../../src';
import { expectDelivered, runAsScheduled, setUpSearch } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { OPENSEARCH_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('OpenSearchDomain');
const domain = new opensearch.Domain(stack, 'Search', {
  version: opensearch.EngineVersion.OPENSEARCH_2_17,
  capacity: { dataNodes: 1, dataNodeInstanceType: 't3.small.search', multiAzWithStandbyEnabled: false },
  ebs: { volumeSize: 10 },
  encryptionAtRest: { enabled: true },
  nodeToNodeEncryption: true,
  enforceHttps: true,
  removalPolicy: RemovalPolicy.DESTROY,
});
const feed = feedUnderTest(stack, {
  source: observationsSource(api, { typed: true }),
  destination: Destination.openSearch({ domain, indexName: 'observations' }),
  bufferingInterval: Duration.seconds(0),
});
domain.grantReadWrite(checker.fn);
domain.grantIndexReadWrite('*', checker.fn);
domain.grantPathReadWrite('_index_template/*', checker.fn);
domain.grantPathReadWrite('_ingest/pipeline/*', checker.fn);

const template = JSON.parse(feed.openSearchIndexTemplate!);
const pipeline = template.template.settings['index.default_pipeline'];
const endpoint = `https://${domain.domainEndpoint}`;
const integ = new IntegTest(app, 'OpenSearchDomain', { testCases: [stack], diffAssets: false });
const setup = setUpSearch(integ, checker, endpoint, 'es', [
  { path: `/_ingest/pipeline/${pipeline}`, body: feed.openSearchIngestPipeline! },
  { path: '/_index_template/observations', body: feed.openSearchIndexTemplate! },
]);
expectDelivered(integ, runAsScheduled(integ, feed, checker, setup), {
  feed,
  checker,
  deliveryMetrics: OPENSEARCH_DELIVERY_METRICS,
  read: { kind: 'search', endpoint, index: 'observations*', idPath: 'id', service: 'es', checkDocumentIds: true },
  expectedIds: expectedIds(),
  expectedExtra: { documentIdIsRecordId: true },
});
app.synth();
