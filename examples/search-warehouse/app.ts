/**
 * Feeds into search and the warehouse, as the original design has them: social posts made
 * searchable in the search team's OpenSearch domain (in its VPC), support tickets in an
 * OpenSearch Serverless collection, and IoT sensor readings loaded into a Redshift Serverless
 * table that the stack creates. examples/python/search_warehouse.py is the same app in Python (a
 * test checks that both synthesize the same template).
 *
 * Synthesize it: `npx ts-node --project tsconfig.dev.json examples/search-warehouse/app.ts`.
 */
import * as path from 'node:path';
import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
// In your own app: import { ... } from 'cdk-api-ingestion';
import {
  ApiSource, ApiToFirehoseIngestion, Column, Destination, IndexRotation, Records, RecordSchema, RedshiftTarget, SchemaContract, TimestampFormat,
} from '../../src';

export const SEARCH_WAREHOUSE_STACK_NAME = 'SearchWarehouseIngestion';

export function buildSearchWarehouseApp(outdir?: string): { app: App; stack: Stack } {
  const app = new App({ outdir });
  const stack = new Stack(app, SEARCH_WAREHOUSE_STACK_NAME, { env: { account: '123456789012', region: 'us-east-1' } });

  // The search team's domain and its VPC, owned by their stack: imported here.
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'SearchVpc', {
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
  });
  const domain = opensearch.Domain.fromDomainAttributes(stack, 'SocialSearch', {
    domainArn: 'arn:aws:es:us-east-1:123456789012:domain/social-search',
    domainEndpoint: 'https://vpc-social-search-abc123.us-east-1.es.amazonaws.com',
  });

  // Posts every 5 minutes into daily indices; typed, so the index template maps each field.
  const posts = new ApiToFirehoseIngestion(stack, 'Posts', {
    feedName: 'posts',
    source: ApiSource.http({
      url: 'https://api.example-social.com/v1/posts',
      records: Records.at('data'),
      schema: RecordSchema.of({
        id: Column.string(),
        author: Column.string(),
        text: Column.string(),
        lang: Column.string(),
        likes: Column.integer(),
        posted_at: Column.timestamp(),
        hashtags: Column.array(Column.string()),
      }, { contract: SchemaContract.EVOLVE }),
    }),
    destination: Destination.openSearch({ domain, indexName: 'posts', indexRotation: IndexRotation.ONE_DAY, vpc }),
  });
  // For the search team: the statements their domain's access policy needs, the index template
  // and the pipeline that makes record_id the document id.
  new CfnOutput(stack, 'PostsDomainAccessStatements', {
    value: stack.toJsonString(posts.destinationAccessStatements.map((statement) => statement.toStatementJson())),
  });
  new CfnOutput(stack, 'PostsIndexTemplate', { value: posts.openSearchIndexTemplate! });
  new CfnOutput(stack, 'PostsIngestPipeline', { value: posts.openSearchIngestPipeline! });

  // Support tickets into an OpenSearch Serverless collection (the support team's).
  new ApiToFirehoseIngestion(stack, 'Tickets', {
    feedName: 'tickets',
    source: ApiSource.http({ url: 'https://support.example-saas.com/api/v2/tickets', records: Records.at('tickets') }),
    destination: Destination.openSearchServerless({
      collectionName: 'support',
      collectionArn: 'arn:aws:aoss:us-east-1:123456789012:collection/k1x2y3z4w5v6u7t8',
      collectionEndpoint: 'https://k1x2y3z4w5v6u7t8.us-east-1.aoss.amazonaws.com',
      indexName: 'tickets',
    }),
  });

  // Sensor readings every minute into Redshift Serverless: Firehose COPYs them into a table the
  // stack creates at deployment, with a database user whose credentials are in Secrets Manager.
  const readings = new ApiToFirehoseIngestion(stack, 'Readings', {
    feedName: 'readings',
    source: ApiSource.http({
      url: 'https://iot.example-sensors.com/api/readings',
      records: Records.at('readings'),
      schema: RecordSchema.of({
        sensor_id: Column.string(),
        site: Column.string(),
        temperature_c: Column.number(),
        humidity_pct: Column.number(),
        battery_mv: Column.integer(),
        measured_at: Column.timestamp({ format: TimestampFormat.UNIX, path: 'ts' }),
      }, { contract: SchemaContract.FREEZE }),
    }),
    bufferingInterval: Duration.seconds(60),
    destination: Destination.redshift({
      target: RedshiftTarget.serverlessWorkgroup({
        workgroupName: 'analytics',
        endpointAddress: 'analytics.123456789012.us-east-1.redshift-serverless.amazonaws.com',
      }),
      database: 'dev',
      tableName: 'iot.readings',
      credentials: secretsmanager.Secret.fromSecretNameV2(stack, 'FirehoseUser', 'redshift/firehose-user'),
      createTable: true,
    }),
  });
  new CfnOutput(stack, 'ReadingsTableDdl', { value: readings.redshiftTableDdl! });
  return { app, stack };
}

if (require.main === module) {
  const { app, stack } = buildSearchWarehouseApp(process.env.CDK_OUTDIR ?? path.join(process.cwd(), 'cdk.out'));
  const assembly = app.synth();
  console.log(`Synthesized ${stack.stackName} into ${assembly.getStackByName(stack.stackName).templateFile}`);
}
