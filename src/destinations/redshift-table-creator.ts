/**
 * Creates the feed's Redshift table at deployment (`Destination.redshift({ createTable: true })`):
 * a custom resource whose function runs the DDL with the Redshift Data API, with the same secret
 * Firehose uses, and waits for the statement to finish, so a failed DDL fails the deployment
 * instead of every COPY afterwards. Deleting the stack keeps the table and its data.
 */
import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RedshiftTarget } from './redshift';
import { skipCheckovChecks } from '../private/checkov';
import { createInlineFunction } from '../private/inline-function';
import { acknowledgeFindings, nagResource } from '../private/nag-acknowledgements';

export interface RedshiftTableProps {
  readonly ddl: string;
  readonly target: RedshiftTarget;
  readonly database: string;
  readonly credentials: secretsmanager.ISecret;
}

/**
 * The function's code, inline (CloudFormation's ZipFile; the Lambda runtime carries the AWS SDK).
 * It answers CloudFormation itself: a statement that FAILED or ABORTED fails the resource with
 * Redshift's error, which names the statement's problem, never the credentials.
 */
export const REDSHIFT_TABLE_HANDLER = `
const { RedshiftDataClient, ExecuteStatementCommand, DescribeStatementCommand } = require('@aws-sdk/client-redshift-data');
const client = new RedshiftDataClient({});
const answer = (event, status, reason) => fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body: JSON.stringify({
  Status: status, Reason: reason, PhysicalResourceId: event.PhysicalResourceId || event.LogicalResourceId,
  StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId }) });
exports.handler = async (event, context) => {
  try {
    if (event.RequestType !== 'Delete') {
      const p = event.ResourceProperties;
      const { Id } = await client.send(new ExecuteStatementCommand({
        Sql: p.Sql, Database: p.Database, SecretArn: p.SecretArn, ClusterIdentifier: p.ClusterIdentifier, WorkgroupName: p.WorkgroupName }));
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const statement = await client.send(new DescribeStatementCommand({ Id }));
        if (statement.Status === 'FINISHED') break;
        if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') throw new Error('the table DDL ' + statement.Status + ': ' + statement.Error);
        if (context.getRemainingTimeInMillis() < 10000) throw new Error('the table DDL did not finish in time (statement ' + Id + ')');
      }
    }
    await answer(event, 'SUCCESS', 'done');
  } catch (err) {
    console.error(err);
    await answer(event, 'FAILED', String(err && err.message || err).slice(0, 1000));
  }
};
`;

export function createRedshiftTable(scope: Construct, props: RedshiftTableProps): CustomResource {
  const stack = Stack.of(scope);
  // Its role: its own log group, the Data API on this warehouse, the secret.
  const { fn, role } = createInlineFunction(scope, 'RedshiftTable', {
    description: 'Creates the feed\'s Redshift table with the Redshift Data API',
    code: REDSHIFT_TABLE_HANDLER,
    timeout: Duration.minutes(10),
  });
  const target = props.target._dataApiTarget;
  const workgroups = stack.formatArn({ service: 'redshift-serverless', resource: 'workgroup', resourceName: '*' });
  role.addToPolicy(new iam.PolicyStatement({
    actions: ['redshift-data:ExecuteStatement'],
    resources: [target.ClusterIdentifier
      ? stack.formatArn({ service: 'redshift', resource: 'cluster', resourceName: target.ClusterIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME })
      // A workgroup's ARN holds its id, which its name does not give: any workgroup of the account, this one by the request.
      : workgroups],
  }));
  // Statement ids have no ARN: DescribeStatement takes no resource-level permission.
  role.addToPolicy(new iam.PolicyStatement({ actions: ['redshift-data:DescribeStatement'], resources: ['*'] }));
  props.credentials.grantRead(role);
  acknowledgeFindings(role, ['AwsSolutions-IAM5[Resource::*]', ...(target.WorkgroupName ? [`AwsSolutions-IAM5[${nagResource(scope, workgroups)}]`] : [])],
    'redshift-data:DescribeStatement and X-Ray\'s PutTraceSegments/PutTelemetryRecords take no resource-level permission; '
    + 'a Serverless workgroup\'s ARN holds an id its name does not give, so ExecuteStatement names it in the request.');
  acknowledgeFindings(fn, ['Serverless-LambdaDLQ'],
    'CloudFormation invokes the function for the custom resource and waits for its answer: a failure fails the deployment, there is no event to keep.');
  skipCheckovChecks(fn, [
    { id: 'CKV_AWS_116', comment: 'CloudFormation invokes it and waits for its answer: a failure fails the deployment.' },
    { id: 'CKV_AWS_117', comment: 'It calls the Redshift Data API (a public AWS endpoint), not the warehouse\'s network.' },
    { id: 'CKV_AWS_115', comment: 'Runs once per deployment.' },
    { id: 'CKV_AWS_173', comment: 'No environment variables.' },
  ]);
  const resource = new CustomResource(scope, 'RedshiftTableResource', {
    serviceToken: fn.functionArn,
    resourceType: 'Custom::RedshiftTable',
    properties: { Sql: props.ddl, Database: props.database, SecretArn: props.credentials.secretArn, ...target },
    // The table holds the feed's data: deleting the stack keeps it.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return resource;
}
