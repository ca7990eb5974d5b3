/**
 * JSON documents into an OpenSearch Serverless collection the stack owns (its encryption, network
 * and data access policies; the construct adds Firehose's own data access policy). The search must
 * return exactly the fixture API's ids. Collections take no document id option and no ingest
 * pipeline, so duplicates after a retried batch are possible there (docs/DESTINATIONS.md).
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearchserverless from 'aws-cdk-lib/aws-opensearchserverless';
import { Destination } from '../../src';
import { expectDelivered, runAsScheduled } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { OPENSEARCH_SERVERLESS_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('OpenSearchServerless');
const name = 'apiingest-integ';
const encryption = new opensearchserverless.CfnSecurityPolicy(stack, 'Encryption', {
  name: `${name}-enc`,
  type: 'encryption',
  policy: JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }], AWSOwnedKey: true }),
});
const network = new opensearchserverless.CfnSecurityPolicy(stack, 'Network', {
  name: `${name}-net`,
  type: 'network',
  policy: JSON.stringify([{ Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }], AllowFromPublic: true }]),
});
const collection = new opensearchserverless.CfnCollection(stack, 'Collection', { name, type: 'SEARCH' });
collection.node.addDependency(encryption);
collection.node.addDependency(network);
collection.applyRemovalPolicy(RemovalPolicy.DESTROY);
new opensearchserverless.CfnAccessPolicy(stack, 'CheckerAccess', {
  name: `${name}-checker`,
  type: 'data',
  policy: stack.toJsonString([{
    Rules: [{ ResourceType: 'index', Resource: [`index/${name}/*`], Permission: ['aoss:ReadDocument', 'aoss:DescribeIndex'] }],
    Principal: [checker.fn.role!.roleArn],
  }]),
});
checker.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [collection.attrArn] }));

const feed = feedUnderTest(stack, {
  source: observationsSource(api),
  destination: Destination.openSearchServerless({
    collectionName: name, collectionArn: collection.attrArn, collectionEndpoint: collection.attrCollectionEndpoint, indexName: 'observations',
  }),
  bufferingInterval: Duration.seconds(0),
});

const integ = new IntegTest(app, 'OpenSearchServerless', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runAsScheduled(integ, feed, checker), {
  feed,
  checker,
  deliveryMetrics: OPENSEARCH_SERVERLESS_DELIVERY_METRICS,
  read: { kind: 'search', endpoint: collection.attrCollectionEndpoint, index: 'observations', idPath: 'record.id', service: 'aoss' },
  expectedIds: expectedIds(),
});
app.synth();
