/**
 * Typed rows COPYed into a Redshift Serverless table the construct creates at deployment (through
 * the Data API). The workgroup is publicly accessible from Firehose's published address range for
 * the region only, as Firehose requires for Redshift. The query must return exactly the fixture
 * API's ids.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { CfnMapping, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Destination, RedshiftTarget } from '../../src';
import { expectDelivered, runAsScheduled } from './support/feed-under-test';
import { expectedIds } from './support/fixture-data';
import { feedUnderTest, integStack } from './support/integ-stack';
import { observationsSource } from './support/observations-source';
import { REDSHIFT_DELIVERY_METRICS } from '../../src/monitoring/feed-metrics';

const { app, stack, api, checker } = integStack('RedshiftServerless');
// Firehose's address range for Redshift destinations, per region (Amazon Data Firehose developer guide, "Grant Firehose access to a Redshift destination").
const firehoseCidr = new CfnMapping(stack, 'FirehoseCidr', {
  mapping: {
    'us-east-1': { cidr: '52.70.63.192/27' },
    'us-east-2': { cidr: '13.58.135.96/27' },
    'us-west-2': { cidr: '52.89.255.224/27' },
    'eu-west-1': { cidr: '52.19.239.192/27' },
  },
});
const vpc = new ec2.Vpc(stack, 'Warehouse', {
  availabilityZones: [0, 1, 2].map((index) => Fn.select(index, Fn.getAzs())),
  natGateways: 0,
  subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
});
const group = new ec2.SecurityGroup(stack, 'WarehouseAccess', { vpc, allowAllOutbound: false, description: 'Firehose COPY into the workgroup' });
group.addIngressRule(ec2.Peer.ipv4(firehoseCidr.findInMap(stack.region, 'cidr')), ec2.Port.tcp(5439), 'Firehose');
const user = new secretsmanager.Secret(stack, 'WarehouseUser', {
  generateSecretString: { secretStringTemplate: JSON.stringify({ username: 'firehose' }), generateStringKey: 'password', excludeCharacters: '"@/\\\' `', passwordLength: 32 },
});
const namespace = new redshiftserverless.CfnNamespace(stack, 'Namespace', {
  namespaceName: 'apiingest-integ',
  dbName: 'dev',
  adminUsername: user.secretValueFromJson('username').unsafeUnwrap(),
  adminUserPassword: user.secretValueFromJson('password').unsafeUnwrap(),
});
namespace.applyRemovalPolicy(RemovalPolicy.DESTROY);
const workgroup = new redshiftserverless.CfnWorkgroup(stack, 'Workgroup', {
  workgroupName: 'apiingest-integ',
  namespaceName: namespace.namespaceName,
  baseCapacity: 8,
  publiclyAccessible: true,
  subnetIds: vpc.publicSubnets.map((subnet) => subnet.subnetId),
  securityGroupIds: [group.securityGroupId],
});
workgroup.node.addDependency(namespace);
workgroup.applyRemovalPolicy(RemovalPolicy.DESTROY);

const feed = feedUnderTest(stack, {
  source: observationsSource(api, { typed: true }),
  destination: Destination.redshift({
    target: RedshiftTarget.serverlessWorkgroup({ workgroupName: workgroup.workgroupName, endpointAddress: workgroup.attrWorkgroupEndpointAddress }),
    database: 'dev',
    tableName: 'public.observations',
    credentials: user,
    createTable: true,
  }),
  bufferingInterval: Duration.seconds(60),
});
feed.node.addDependency(workgroup);
user.grantRead(checker.fn);
checker.fn.addToRolePolicy(new iam.PolicyStatement({
  actions: ['redshift-data:ExecuteStatement', 'redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-serverless:GetCredentials'],
  resources: ['*'],
}));

const integ = new IntegTest(app, 'RedshiftServerless', { testCases: [stack], diffAssets: false });
expectDelivered(integ, runAsScheduled(integ, feed, checker), {
  feed,
  checker,
  deliveryMetrics: REDSHIFT_DELIVERY_METRICS,
  read: { kind: 'redshift', workgroupName: workgroup.workgroupName, database: 'dev', sql: 'SELECT id FROM public.observations', secretArn: user.secretArn },
  expectedIds: expectedIds(),
});
app.synth();
