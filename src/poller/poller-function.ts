/**
 * The poller Lambda function, its own least-privilege role and its log group. What the poller
 * may touch (stream, queue, table, secrets) is granted by the construct that owns those.
 */
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { pollerNodeOptions } from './node-options';
import { PollerOptions } from './poller-options';
import { POLLER_ENV } from '../feed-spec/poller-contract';
import { LOG_GROUP_ENCRYPTION, skipCheckovChecks } from '../private/checkov';
import { dependOnRolePolicyOnly } from '../private/function-dependencies';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

/** Where the prebundled poller Lambda lives (built by `projen bundle`, shipped in the package). */
const POLLER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'poller');
/** The same runtime behind the durable execution SDK (`ExecutionMode.durable()`), bundled apart. */
const DURABLE_POLLER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'poller-durable');

/** The alias the schedule and the run endpoint invoke a durable poller by (durable functions are invoked qualified). */
export const DURABLE_POLLER_ALIAS = 'live';

/** Variables the construct sets; a user's `environment` may not replace them. */
const POLLER_ENVIRONMENT_NAMES: ReadonlyArray<string> = Object.values(POLLER_ENV);

export interface PollerFunctionProps {
  readonly feed: string;
  readonly environment: Record<string, string>;
  readonly pollerOptions?: PollerOptions;
  /** Where failed asynchronous invocations go after Lambda's retry. */
  readonly onFailure: lambda.IDestination;
  /** The feed's customer-managed key, which then encrypts the function's environment too. @default AWS-managed */
  readonly encryptionKey?: kms.IKey;
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: (message: string) => never;
  /** Run as a durable function with this configuration. @default a plain function */
  readonly durable?: lambda.DurableConfig;
}

export interface PollerFunction {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  /** A durable poller's `live` alias, on the version of this deployment: what invokes it must invoke this. */
  readonly alias?: lambda.Alias;
}

/** Creates the poller (ids `PollerLogs`, `PollerRole`, `Poller`) after checking `pollerOptions`. */
export function createPollerFunction(scope: Construct, props: PollerFunctionProps): PollerFunction {
  const options = props.pollerOptions ?? {};
  checkPollerOptions(options, props.synthError);

  const logGroup = new logs.LogGroup(scope, 'PollerLogs', {
    retention: options.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = pollerRole(scope, props.feed, logGroup, options.vpc !== undefined);

  const fn = new lambda.Function(scope, 'Poller', {
    description: `Polls the ${props.feed} API into Firehose`,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    code: lambda.Code.fromAsset(props.durable ? DURABLE_POLLER_ASSET_DIR : POLLER_ASSET_DIR),
    durableConfig: props.durable,
    handler: 'index.handler',
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    memorySize: options.memorySize ?? 512,
    timeout: options.timeout ?? Duration.minutes(5),
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    vpc: options.vpc,
    vpcSubnets: options.vpcSubnets,
    securityGroups: options.securityGroups,
    tracing: lambda.Tracing.ACTIVE,
    environment: { ...options.environment, ...nodeOptions(options), ...props.environment },
    environmentEncryption: props.encryptionKey,
    // A failed run is retried once; after that the next scheduled run picks the feed up again.
    // The event may not wait longer than an hour, so a stale retry never overtakes a newer run.
    retryAttempts: 1,
    maxEventAge: Duration.hours(1),
    onFailure: props.onFailure,
  });
  skipCheckovChecks(logGroup, [LOG_GROUP_ENCRYPTION]);
  skipCheckovChecks(fn, checkovSkips(options, props.encryptionKey !== undefined));
  dependOnRolePolicyOnly(fn, role);
  if (!props.durable) return { fn, role };
  return { fn, role, alias: durableAlias(scope, fn, role, props.onFailure) };
}

/**
 * A durable poller's alias on this deployment's version, and what its executions may do: checkpoint
 * and read their state, and start the execution that goes on with a run too long for one (all on
 * the function's versions, `function:poller:*`, the form Lambda authorizes durable executions by).
 * The policy is the role's own, apart from its default policy, which the function depends on: it
 * names the function, and the function does not need it until it runs.
 */
function durableAlias(scope: Construct, fn: lambda.Function, role: iam.Role, onFailure: lambda.IDestination): lambda.Alias {
  const alias = new lambda.Alias(scope, 'PollerAlias', {
    aliasName: DURABLE_POLLER_ALIAS,
    version: fn.currentVersion,
    description: 'The version each durable run of the feed starts on; runs in progress finish on theirs',
    // The same as the function's own (they apply per qualifier).
    retryAttempts: 1,
    maxEventAge: Duration.hours(1),
    onFailure,
  });
  const policy = new iam.Policy(scope, 'PollerDurablePolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['lambda:CheckpointDurableExecution', 'lambda:GetDurableExecutionState', 'lambda:InvokeFunction'],
        resources: [`${fn.functionArn}:*`],
      }),
    ],
  });
  acknowledgeFindings(policy, [`AwsSolutions-IAM5[Resource::<${Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`],
    'A durable execution checkpoints and reads its state on the function version it runs on (Lambda authorizes these by '
    + 'function:poller:VERSION/durable-execution/..., so AWS documents function:poller:*), and starts the execution that goes on with a run too long for one.');
  // The schedule invokes the alias: nothing runs before the policy is there.
  alias.node.addDependency(policy);
  return alias;
}

/** The poller's own role: it may write only to its own log group (and manage ENIs in a VPC). */
function pollerRole(scope: Construct, feed: string, logGroup: logs.ILogGroup, inVpc: boolean): iam.Role {
  // An explicit role instead of AWSLambdaBasicExecutionRole: it may write only to its own log group.
  const role = new iam.Role(scope, 'PollerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Poller of the ${feed} API feed`,
  });
  role.addToPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));

  if (inVpc) {
    // What AWSLambdaVPCAccessExecutionRole grants, inline on the poller's own role (aws-cdk-lib
    // adds that managed policy only to roles it creates). EC2 supports no resource scoping here.
    role.addToPolicy(new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }));
    skipCheckovChecks(role.node.findChild('DefaultPolicy'), [{
      id: 'CKV_AWS_111',
      comment: 'The EC2 network-interface actions a function in a VPC needs (those of AWSLambdaVPCAccessExecutionRole) support no resource scoping.',
    }]);
  }
  return role;
}

/** Checkov checks the poller's configuration answers another way, each with the reason. */
function checkovSkips(options: PollerOptions, customerKey: boolean) {
  return [
    { id: 'CKV_AWS_116', comment: 'Failed asynchronous invocations go to the feed\'s dead-letter queue through an on-failure destination, which carries more context than DeadLetterConfig.' },
    ...(options.vpc ? [] : [{ id: 'CKV_AWS_117', comment: 'The poller calls a third-party API on the internet; set pollerOptions.vpc for an API inside a VPC.' }]),
    ...(options.reservedConcurrentExecutions !== undefined ? [] : [{
      id: 'CKV_AWS_115',
      comment: 'Overlapping runs are prevented by the run lease in the state table; reserved concurrency would take from the account\'s pool. Set pollerOptions.reservedConcurrentExecutions to reserve some.',
    }]),
    ...(customerKey ? [] : [{ id: 'CKV_AWS_173', comment: 'The environment holds resource names only, no secret; Lambda encrypts it at rest. Set encryptionKey for a customer-managed key.' }]),
  ];
}

/**
 * The poller's V8 heap sizes (see node-options.ts), merged with a user's `NODE_OPTIONS`. Nothing
 * is added where it cannot be worked out at synth (a memory size or `NODE_OPTIONS` given as a
 * token): the Lambda runtime's own sizes apply then.
 */
function nodeOptions(options: PollerOptions): Record<string, string> {
  const memory = options.memorySize ?? 512;
  const user = options.environment?.NODE_OPTIONS;
  if (Token.isUnresolved(memory) || (user !== undefined && Token.isUnresolved(user))) return {};
  return { NODE_OPTIONS: pollerNodeOptions(memory, user) };
}

/** Lambda's bounds for a durable function's configuration: an execution of 1 s to 366 days, a history kept 1 to 90 whole days. */
export function checkDurableConfig(config: lambda.DurableConfig, invocationTimeout: Duration, synthError: (message: string) => never): void {
  const timeout = config.executionTimeout;
  if (!timeout.isUnresolved()) {
    const ms = timeout.toMilliseconds();
    if (ms < 1000 || ms > 366 * 86_400_000 || ms % 1000 !== 0) {
      synthError(`ExecutionMode.durable({ executionTimeout }) is ${timeout.toHumanString()}: Lambda allows whole seconds from 1 second to 366 days; `
        + 'set e.g. Duration.days(1)');
    }
    if (!invocationTimeout.isUnresolved() && ms < invocationTimeout.toMilliseconds()) {
      synthError(`ExecutionMode.durable({ executionTimeout }) is ${timeout.toHumanString()}, shorter than one invocation (pollerOptions.timeout `
        + `${invocationTimeout.toHumanString()}): set an executionTimeout of at least ${invocationTimeout.toHumanString()}, or a shorter pollerOptions.timeout`);
    }
  }
  const retention = config.retentionPeriod;
  if (retention && !retention.isUnresolved()) {
    const ms = retention.toMilliseconds();
    if (ms % 86_400_000 !== 0 || ms < 86_400_000 || ms > 90 * 86_400_000) {
      synthError(`ExecutionMode.durable({ retentionPeriod }) is ${retention.toHumanString()}: Lambda keeps a closed execution's history `
        + 'for whole days from 1 to 90; set e.g. Duration.days(14)');
    }
  }
}

function checkPollerOptions(options: PollerOptions, synthError: (message: string) => never): void {
  const memory = options.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && (!Number.isInteger(memory) || memory < 128 || memory > 10240)) {
    synthError(`pollerOptions.memorySize must be a whole number of MB from 128 to 10240, Lambda's limits (got ${memory})`);
  }
  const timeout = options.timeout?.toSeconds();
  if (timeout !== undefined && (timeout < 30 || timeout > 900)) {
    synthError(`pollerOptions.timeout must be from 30 seconds to 15 minutes (got ${timeout} s): the poller keeps up to a minute back to commit its progress`);
  }
  const reserved = options.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    synthError(`pollerOptions.reservedConcurrentExecutions must be a whole number of at least 1 (got ${reserved}); to stop polling, set scheduleOptions.enabled to false instead`);
  }
  if (!options.vpc && (options.vpcSubnets || options.securityGroups)) {
    synthError('pollerOptions.vpcSubnets or securityGroups is set without pollerOptions.vpc; set vpc too, or remove them');
  }
  for (const name of Object.keys(options.environment ?? {})) {
    if (POLLER_ENVIRONMENT_NAMES.includes(name)) {
      synthError(`pollerOptions.environment sets ${name}, which the construct sets for the poller; remove it`);
    }
    if (name.startsWith('AWS_') || !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(name)) {
      synthError(`pollerOptions.environment has the name '${name}'; Lambda reserves AWS_* names and needs letters, digits and '_', starting with a letter`);
    }
  }
}
