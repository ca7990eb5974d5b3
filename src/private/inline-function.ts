/**
 * A small Node.js 24 function with inline code (CloudFormation's ZipFile; the Lambda runtime
 * carries the AWS SDK) for the construct's own helpers: the Redshift table creator, the run
 * endpoint. Its own log group (three months, kept) and an explicit role instead of
 * AWSLambdaBasicExecutionRole, allowed to write that log group only; the caller adds what the
 * function may do, and its acknowledgements.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_GROUP_ENCRYPTION, skipCheckovChecks } from './checkov';
import { dependOnRolePolicyOnly } from './function-dependencies';

export interface InlineFunctionProps {
  readonly description: string;
  readonly code: string;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
}

export interface InlineFunction {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
}

/** Creates `${id}Logs`, `${id}Role` and the function `${id}` in `scope`. */
export function createInlineFunction(scope: Construct, id: string, props: InlineFunctionProps): InlineFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
  skipCheckovChecks(logGroup, [LOG_GROUP_ENCRYPTION]);
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new lambda.Function(scope, id, {
    description: props.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    code: lambda.Code.fromInline(props.code),
    handler: 'index.handler',
    role,
    logGroup,
    memorySize: 256,
    timeout: props.timeout,
    tracing: lambda.Tracing.ACTIVE,
    environment: props.environment,
  });
  dependOnRolePolicyOnly(fn, role);
  return { fn, role };
}
