/**
 * Firehose's Amazon OpenSearch Service and OpenSearch Serverless destinations, which aws-cdk-lib's
 * Firehose L2 does not have (only the L1 configurations exist): an `IDestination` for the L2
 * `DeliveryStream`. One document per Firehose record; what the domain refused is backed up to
 * the feed's bucket; the role may write only the feed's index and its backup and error folders.
 */
import { Duration, Names, Resource, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearchserverless from 'aws-cdk-lib/aws-opensearchserverless';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  bufferingHints, cloudWatchLogging, firehoseRole, grantFolders, processingConfiguration, roleDependables, s3Configuration,
} from './destination-role';
import type { IndexRotation, OpenSearchDocumentId, OpenSearchVpcDeliveryProps } from '../destinations/opensearch';
import { skipCheckovChecks } from '../private/checkov';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

export interface OpenSearchDeliveryProps extends OpenSearchVpcDeliveryProps {
  readonly bucket: s3.IBucket;
  /** Where documents the domain refused are backed up. */
  readonly backupPrefix: string;
  readonly errorOutputPrefix: string;
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly logGroup: logs.ILogGroup;
  readonly processorFunction?: lambda.IFunction;
  readonly indexName: string;
  readonly retryDuration?: Duration;
  /** A managed domain ... */
  readonly domain?: opensearch.IDomain;
  readonly indexRotation?: IndexRotation;
  readonly documentId?: OpenSearchDocumentId;
  /** ... or a Serverless collection. */
  readonly collection?: { readonly name: string; readonly arn: string; readonly endpoint: string };
}

/** What Firehose's VPC delivery does with network interfaces; EC2 has no resource-level permission for the Describe calls. */
const VPC_ACTIONS = [
  'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkInterfaces',
  'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
];

export class OpenSearchDestination implements firehose.IDestination {
  /** The role Firehose delivers with, once the stream has bound the destination. */
  public role?: iam.Role;
  /**
   * For a domain: the statements its access policy needs (added to a domain the stack owns). For a
   * collection: the data access policy the construct creates, as a statement-like description.
   */
  public readonly accessStatements: iam.PolicyStatement[] = [];

  constructor(private readonly props: OpenSearchDeliveryProps) {}

  public bind(scope: Construct, _options: firehose.DestinationBindOptions): firehose.DestinationConfig {
    const { props } = this;
    const role = firehoseRole(scope, 'OpenSearch Destination Role');
    this.role = role;
    grantFolders(role, props.bucket, [props.backupPrefix, props.errorOutputPrefix]);
    const buffering = { interval: props.bufferingInterval, size: props.bufferingSize };
    const common = {
      indexName: props.indexName,
      roleArn: role.roleArn,
      bufferingHints: bufferingHints(buffering),
      cloudWatchLoggingOptions: cloudWatchLogging(scope, 'OpenSearchDestination', props.logGroup, role),
      retryOptions: { durationInSeconds: (props.retryDuration ?? Duration.seconds(300)).toSeconds() },
      // Only the documents OpenSearch refused are backed up, under the feed's backup folder.
      s3BackupMode: 'FailedDocumentsOnly',
      s3Configuration: s3Configuration({
        bucket: props.bucket, role, prefix: props.backupPrefix, errorOutputPrefix: props.errorOutputPrefix, buffering,
      }),
      ...processingConfiguration(role, props.processorFunction),
      ...this.vpcConfiguration(scope, role),
    };
    const config = props.domain ? {
      amazonopensearchserviceDestinationConfiguration: {
        ...common,
        domainArn: props.domain.domainArn,
        indexRotationPeriod: props.indexRotation,
        documentIdOptions: { defaultDocumentIdFormat: props.documentId },
      },
    } : {
      amazonOpenSearchServerlessDestinationConfiguration: { ...common, collectionEndpoint: props.collection!.endpoint },
    };
    if (props.domain) this.grantDomain(role, props.domain); else this.grantCollection(scope, role);
    // DestinationConfig names only the L2's own destinations; the DeliveryStream passes every key on to its L1.
    return { ...config, dependables: roleDependables(role) } as unknown as firehose.DestinationConfig;
  }

  /**
   * AWS's documented permissions for a domain destination: describe the domain, post bulk
   * requests, and read the cluster and index statistics Firehose checks, for the feed's indices only.
   */
  private grantDomain(role: iam.Role, domain: opensearch.IDomain): void {
    const index = `${this.props.indexName}*`;
    const write = new iam.PolicyStatement({
      actions: ['es:DescribeDomain', 'es:DescribeDomains', 'es:DescribeDomainConfig', 'es:ESHttpPost', 'es:ESHttpPut'],
      resources: [domain.domainArn, `${domain.domainArn}/*`],
    });
    const read = new iam.PolicyStatement({
      actions: ['es:ESHttpGet'],
      resources: ['_all/_settings', '_cluster/stats', `${index}/_mapping/*`, '_nodes', '_nodes/stats', '_nodes/*/stats', '_stats', `${index}/_stats`]
        .map((path) => `${domain.domainArn}/${path}`),
    });
    role.addToPrincipalPolicy(write);
    role.addToPrincipalPolicy(read);
    // The same statements, for the domain's resource-based access policy.
    for (const statement of [write, read]) {
      const forDomain = statement.copy({ principals: [new iam.ArnPrincipal(role.roleArn)] });
      this.accessStatements.push(forDomain);
    }
    const owned = domain as Partial<opensearch.Domain>;
    if (Resource.isOwnedResource(domain) && typeof owned.addAccessPolicies === 'function') {
      owned.addAccessPolicies(...this.accessStatements);
      acknowledgeAccessPolicyProvider(domain);
    }
  }

  /** A collection: IAM lets the role call OpenSearch Serverless, and a data access policy lets it write the feed's indices. */
  private grantCollection(scope: Construct, role: iam.Role): void {
    const collection = this.props.collection!;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [collection.arn] }));
    new opensearchserverless.CfnAccessPolicy(scope, 'OpenSearch Data Access', {
      // 3-32 characters, unique in the account and region.
      name: `firehose-${Names.uniqueResourceName(scope, { maxLength: 23, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 32),
      type: 'data',
      description: `Firehose delivers ${this.props.indexName} documents into ${collection.name}`,
      policy: Stack.of(scope).toJsonString([{
        Rules: [{
          ResourceType: 'index',
          Resource: [`index/${collection.name}/${this.props.indexName}*`],
          Permission: ['aoss:CreateIndex', 'aoss:UpdateIndex', 'aoss:DescribeIndex', 'aoss:WriteDocument'],
        }],
        Principal: [role.roleArn],
      }]),
    });
  }

  /** Delivery into the VPC: Firehose's network interfaces, in a security group allowed to reach the domain on 443. */
  private vpcConfiguration(scope: Construct, role: iam.Role) {
    const vpc = this.props.vpc;
    if (!vpc) return {};
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: VPC_ACTIONS, resources: ['*'] }));
    const reason = 'Firehose\'s VPC delivery manages its own network interfaces; these EC2 actions take no resource-level permission (AWS\'s documented policy).';
    skipCheckovChecks(role.node.findChild('DefaultPolicy'), [{ id: 'CKV_AWS_111', comment: reason }, { id: 'CKV_AWS_109', comment: reason }]);
    let groups = this.props.securityGroups;
    if (!groups) {
      const group = new ec2.SecurityGroup(scope, 'OpenSearch Delivery', {
        vpc,
        allowAllOutbound: false,
        description: `Firehose network interfaces delivering to ${this.props.indexName}`,
      });
      group.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'HTTPS to the OpenSearch endpoint');
      const domain = this.props.domain as Partial<ec2.IConnectable> | undefined;
      if (domain && Resource.isOwnedResource(domain as Construct) && 'connections' in domain) {
        domain.connections!.allowFrom(group, ec2.Port.tcp(443), 'Firehose delivers documents');
      }
      groups = [group];
    }
    return {
      vpcConfiguration: {
        roleArn: role.roleArn,
        // By default the private subnets, as aws-cdk-lib selects them.
        subnetIds: vpc.selectSubnets(this.props.vpcSubnets).subnetIds,
        securityGroupIds: groups.map((group) => group.securityGroupId),
      },
    };
  }
}

/**
 * `Domain.addAccessPolicies` writes the access policy through aws-cdk-lib's AwsCustomResource,
 * whose provider function (one per stack, `AWS679f53fac002430cb0da5b7982bd2287`) draws findings
 * about the provider itself, none about the domain or the feed. The library called it, so the
 * library acknowledges them, each by its exact id, on that function only.
 */
function acknowledgeAccessPolicyProvider(domain: opensearch.IDomain): void {
  const accessPolicy = domain.node.tryFindChild('AccessPolicy') as { grantPrincipal?: iam.IPrincipal } | undefined;
  const providerRole = accessPolicy?.grantPrincipal;
  const provider = providerRole && Construct.isConstruct(providerRole) ? providerRole.node.scope : undefined;
  if (!provider) {
    return;
  }
  const why = 'aws-cdk-lib\'s AwsCustomResource provider, which CloudFormation runs only at deploy to write the OpenSearch domain\'s '
    + 'access policy (Domain.addAccessPolicies, called for the feed\'s Firehose role)';
  acknowledgeFindings(provider, ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]'],
    `${why}: aws-cdk-lib gives it the basic execution role to write its logs.`);
  acknowledgeFindings(provider, ['Serverless-LambdaDefaultMemorySize', 'Serverless-LambdaDLQ', 'Serverless-LambdaTracing'],
    `${why}: a CloudFormation custom resource reports its failure to the stack (which rolls back), so a dead-letter target, tracing and a tuned memory size add nothing.`);
}
