/**
 * A feed's distributed run (`ExecutionMode.distributed()`): a Standard Step Functions state
 * machine that calls the poller function in its three modes (see `feed-spec/poller-event.ts`):
 *
 *   Plan ──skipped──▶ Skipped
 *     └──▶ Slices (Distributed Map: JSONL items from the bucket, batched, results to the bucket)
 *            └──(done, or failed beyond tolerance)──▶ Aggregate
 *
 * The plan takes the feed's lease for the run; the aggregate gives it back, so two runs never
 * overlap. Logging (ALL, without execution data: the spec is in the input), X-Ray, and the
 * feed's key when it has one.
 */
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DistributedExecutionProps } from './execution-mode';
import { feedControlPrefix } from '../feed-spec/poller-event';
import { LOG_GROUP_ENCRYPTION, skipCheckovChecks } from '../private/checkov';
import { dependOnPoliciesOnly } from '../private/function-dependencies';
import { acknowledgeFindings, logicalIdOf, nagResource } from '../private/nag-acknowledgements';

export interface DistributedRunProps extends DistributedExecutionProps {
  readonly feed: string;
  readonly pollerFunction: lambda.IFunction;
  /** The feed's bucket: the run's work items and the Map's results, under `control/feed=NAME/`. */
  readonly bucket: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
  /** The spec's `limits.requestsPerSecond`, which the default concurrency follows. */
  readonly requestsPerSecond?: number;
  readonly synthError: (message: string) => never;
}

/** Regions whose Firehose Direct PUT quota is 5 MiB/s (1 MiB/s elsewhere). */
const HIGH_QUOTA_REGIONS = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);

/** The Map's concurrency unless set: what the rate budget can keep busy, within what the stream takes. */
export function defaultMaxConcurrency(region: string, requestsPerSecond: number | undefined): number {
  const cap = !Token.isUnresolved(region) && HIGH_QUOTA_REGIONS.has(region) ? 50 : 10;
  return requestsPerSecond ? Math.min(cap, Math.max(1, Math.ceil(requestsPerSecond / 5))) : Math.min(cap, 10);
}

/**
 * The Map's result writer, granted the feed's control folder only. aws-cdk-lib grants a writer
 * named by a bucket path `s3:PutObject` on every bucket (`*`), and one named by a bucket every
 * object of it; the item reader (by path) gets no grant, so its read is here too.
 */
class ControlFolderResultWriter extends sfn.ResultWriterV2 {
  constructor(private readonly controlObjects: string, props: sfn.ResultWriterV2Props) {
    super(props);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], resources: [this.controlObjects],
    })];
  }
}

export function createDistributedRun(scope: Construct, props: DistributedRunProps): sfn.StateMachine {
  const maxConcurrency = props.maxConcurrency ?? defaultMaxConcurrency(Stack.of(scope).region, props.requestsPerSecond);
  const itemsPerBatch = props.itemsPerBatch ?? 10;
  const tolerated = props.toleratedFailurePercentage ?? 10;
  const timeout = props.runTimeout ?? Duration.hours(6);
  checkProps(maxConcurrency, itemsPerBatch, tolerated, timeout, props.synthError);

  // Every step retries Lambda's own transient errors (LambdaInvoke's retryOnServiceExceptions, on by
  // default) and Lambda's throttling, which many workers at once can meet; never the poller's own errors.
  const throttled: sfn.RetryProps = {
    errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(5), maxAttempts: 8, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
  };
  const plan = new tasks.LambdaInvoke(scope, 'Plan', {
    lambdaFunction: props.pollerFunction,
    // The whole input: the schedule's event, or a run on demand's with the partitions it asks for.
    payload: sfn.TaskInput.fromObject({ 'mode': 'plan', 'runId.$': '$$.Execution.Name', 'request.$': '$' }),
    payloadResponseOnly: true,
    resultPath: '$.plan',
  }).addRetry(throttled);

  const slices = slicesMap(scope, props, { maxConcurrency, itemsPerBatch, tolerated }, throttled);

  const aggregate = new tasks.LambdaInvoke(scope, 'Aggregate', {
    lambdaFunction: props.pollerFunction,
    payload: sfn.TaskInput.fromObject({
      'mode': 'aggregate',
      'spec.$': '$.spec',
      'executionId.$': '$.executionId',
      'plan.$': '$.plan',
      'map.$': '$.map',
    }),
    payloadResponseOnly: true,
    resultPath: '$.summary',
  }).addRetry(throttled);
  // A Map that failed beyond its tolerance is still summed up, and the lease given back.
  slices.addCatch(aggregate, { resultPath: '$.map' });

  const definition = plan.next(new sfn.Choice(scope, 'Planned?')
    .when(sfn.Condition.isPresent('$.plan.skipped'), new sfn.Succeed(scope, 'Skipped', { comment: 'Another run holds the lease, or this execution completed' }))
    .otherwise(slices.next(aggregate)));

  const stateMachine = runStateMachine(scope, props, definition, timeout);
  acknowledge(scope, stateMachine, props);
  return stateMachine;
}

/** The Distributed Map over the plan's work items: batches of items, each batch one poller invocation (a slice). */
function slicesMap(
  scope: Construct,
  props: DistributedRunProps,
  limits: { maxConcurrency: number; itemsPerBatch: number; tolerated: number },
  throttled: sfn.RetryProps,
): sfn.DistributedMap {
  const slice = new tasks.LambdaInvoke(scope, 'Slice', {
    lambdaFunction: props.pollerFunction,
    payloadResponseOnly: true,
  }).addRetry(throttled);
  const slices = new sfn.DistributedMap(scope, 'Slices', {
    // The bucket by path (the plan names the feed's bucket), so that aws-cdk-lib adds no grant on all
    // its objects: the role's own statements below allow the feed's control folder only.
    itemReader: new sfn.S3JsonLItemReader({ bucketNamePath: sfn.JsonPath.stringAt('$.plan.bucket'), key: sfn.JsonPath.stringAt('$.plan.itemsKey') }),
    itemBatcher: new sfn.ItemBatcher({
      maxItemsPerBatch: limits.itemsPerBatch,
      batchInput: {
        'mode': 'slice',
        'spec.$': '$.spec',
        'scheduledTime.$': '$.scheduledTime',
        'runId.$': '$.plan.runId',
        // The plan, from the execution's state (not the bucket): each slice checks its items against it.
        'plan.$': '$.plan',
      },
    }),
    maxConcurrency: limits.maxConcurrency,
    toleratedFailurePercentage: limits.tolerated,
    resultWriterV2: new ControlFolderResultWriter(props.bucket.arnForObjects(`${feedControlPrefix(props.feed)}*`), {
      bucketNamePath: sfn.JsonPath.stringAt('$.plan.bucket'), prefix: sfn.JsonPath.stringAt('$.plan.resultsPrefix'),
    }),
    resultPath: '$.map',
    label: 'Slices',
  });
  slices.itemProcessor(slice);
  return slices;
}

/** The state machine, with its logs, tracing and encryption. */
function runStateMachine(scope: Construct, props: DistributedRunProps, definition: sfn.IChainable, timeout: Duration): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'RunLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    encryptionKey: props.encryptionKey,
  });
  if (!props.encryptionKey) skipCheckovChecks(logGroup, [LOG_GROUP_ENCRYPTION]);
  const stateMachine = new sfn.StateMachine(scope, 'Run', {
    comment: `Distributed runs of the ${props.feed} API feed`,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout,
    tracingEnabled: true,
    // Execution data holds the spec and the summaries, no secret; left out of the logs all the same.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    encryptionConfiguration: props.encryptionKey
      ? new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey)
      : new sfn.AwsOwnedEncryptionConfiguration(),
  });
  props.bucket.encryptionKey?.grant(stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
  // On its role's policy, not the role it references (cfn-lint W3005); the DistributedMapPolicy names
  // the state machine's own ARN, so it follows the state machine instead.
  dependOnPoliciesOnly(stateMachine, () => [stateMachine.role.node.findChild('DefaultPolicy')]);
  return stateMachine;
}

function checkProps(
  maxConcurrency: number, itemsPerBatch: number, tolerated: number, timeout: Duration, synthError: (message: string) => never,
): void {
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
    synthError(`ExecutionMode.distributed({ maxConcurrency }) is ${maxConcurrency}: set a whole number from 1 to 10000 (a Distributed Map runs at most 10,000 child executions at once)`);
  }
  if (!Number.isInteger(itemsPerBatch) || itemsPerBatch < 1 || itemsPerBatch > 1000) {
    synthError(`ExecutionMode.distributed({ itemsPerBatch }) is ${itemsPerBatch}: set a whole number from 1 to 1000 partitions per worker invocation`);
  }
  if (tolerated < 0 || tolerated > 100) {
    synthError(`ExecutionMode.distributed({ toleratedFailurePercentage }) is ${tolerated}: set a percentage from 0 to 100`);
  }
  if (timeout.toSeconds() < 60 || timeout.toSeconds() > 365 * 24 * 3600) {
    synthError(`ExecutionMode.distributed({ runTimeout }) is ${timeout.toHumanString()}: set from 1 minute to 1 year (a Standard workflow's longest execution)`);
  }
}

/** The wildcards aws-cdk-lib's Distributed Map and Lambda tasks grant, each with what it covers. */
function acknowledge(scope: Construct, stateMachine: sfn.StateMachine, props: DistributedRunProps): void {
  const stack = Stack.of(scope);
  // The ARNs as aws-cdk-lib builds them in the Map's grants, in cdk-nag's notation.
  const objects = props.bucket.arnForObjects(`${feedControlPrefix(props.feed)}*`);
  const executions = Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  const execution = (suffix: string) => stack.formatArn({
    service: 'states', resource: 'execution', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `${executions}${suffix}`,
  });
  // On the state machine: its role's policy and the DistributedMapPolicy aws-cdk-lib adds beside it.
  acknowledgeFindings(stateMachine, [
    `AwsSolutions-IAM5[${nagResource(scope, objects)}]`,
    `AwsSolutions-IAM5[${nagResource(scope, execution(':*'))}]`,
    `AwsSolutions-IAM5[${nagResource(scope, execution('/Slices:*'))}]`,
    'AwsSolutions-IAM5[Resource::*]',
    `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.pollerFunction)}.Arn>:*]`,
  ], 'aws-cdk-lib\'s grants for a Distributed Map: the Map Run\'s child executions of this state machine (execution:NAME:* and NAME/Slices:*), '
    + 'X-Ray (no resource-level permission), the poller\'s versions (function:poller:*), and the feed\'s control folder, where the JSONL '
    + `item reader reads each run's items and the result writer writes its results (${feedControlPrefix(props.feed)}RUN/).`);
}
