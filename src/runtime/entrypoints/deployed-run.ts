/**
 * A run of a deployed feed, started from a developer's machine (`api-ingest trigger`, and
 * `api-ingest backfill --schedule`): read the feed's schedule (its input carries the spec), make
 * a run-now event from it, and start what the schedule starts: the state machine of a distributed
 * feed, or the poller function. With `wait`, follow the run to its end and return its summary.
 *
 * Only the schedule says what to start: the command takes no spec, URL or function of its own,
 * so it runs the feed exactly as deployed, with the caller's AWS credentials.
 */
import { randomUUID } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { BackfillRequest } from '../../feed-spec/backfill';
import { onDemandEvent, PollerEvent } from '../../feed-spec/poller-event';
import { lambdaModule, schedulerModule, sfnModule } from '../aws-sdk/sdk-modules';

export interface DeployedRunRequest {
  /** The feed's schedule (the construct's `schedule.scheduleName`). */
  readonly scheduleName: string;
  /** @default 'default' */
  readonly scheduleGroup?: string;
  /** Only these of the feed's partitions. @default every partition */
  readonly partitions?: PollerEvent['partitions'];
  /** A backfill over these windows (a distributed feed only). @default none: a run now */
  readonly backfill?: BackfillRequest;
  /** Follow the run to its end. @default false */
  readonly wait?: boolean;
}

export interface DeployedRunClients {
  readonly scheduler: SchedulerClient;
  readonly sfn: SFNClient;
  readonly lambda: LambdaClient;
}

/** How the run is followed: the wait between two looks at it (tests inject the sleep). */
export interface Following {
  readonly intervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface DeployedRunResult {
  /** What was started: the state machine's execution, or the poller function's invocation. */
  readonly started: { readonly executionArn: string } | { readonly functionArn: string; readonly requestId?: string };
  /** With wait: how it ended (the execution's status; SUCCEEDED or FAILED for the function). */
  readonly status?: string;
  /** With wait: the run's summary, when it ended with one. */
  readonly summary?: { readonly status?: string; readonly [key: string]: unknown };
  /** With wait: why it failed, when it failed. */
  readonly error?: string;
}

/** A deployed feed cannot take the run asked for (a usage problem: say what to do instead). */
export class DeployedRunError extends Error {}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:/;
/** A function ARN with a version or alias: what a schedule of a durable poller targets (its `live` alias). */
const QUALIFIED_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:[^:]+:[^:]+$/;

export function defaultClients(): DeployedRunClients {
  return {
    scheduler: new (schedulerModule().SchedulerClient)({}),
    sfn: new (sfnModule().SFNClient)({}),
    lambda: new (lambdaModule().LambdaClient)({}),
  };
}

export async function startDeployedRun(clients: DeployedRunClients, request: DeployedRunRequest, following: Following): Promise<DeployedRunResult> {
  const { GetScheduleCommand } = schedulerModule();
  const schedule = await clients.scheduler.send(new GetScheduleCommand({ Name: request.scheduleName, GroupName: request.scheduleGroup ?? 'default' }));
  const target = schedule.Target;
  if (!target?.Arn || !target.Input) {
    throw new DeployedRunError(`schedule ${request.scheduleName} has no target input: it is not a schedule of an ApiToFirehoseIngestion feed`);
  }
  let input: PollerEvent;
  try {
    input = JSON.parse(target.Input);
  } catch {
    throw new DeployedRunError(`schedule ${request.scheduleName}'s input is not JSON: it is not a schedule of an ApiToFirehoseIngestion feed`);
  }
  if (input === null || typeof input !== 'object' || !input.spec) {
    throw new DeployedRunError(`schedule ${request.scheduleName}'s input carries no feed spec: it is not a schedule of an ApiToFirehoseIngestion feed`);
  }
  const event = onDemandEvent(input, { executionId: `on-demand-${randomUUID()}`, now: new Date(), partitions: request.partitions, backfill: request.backfill });
  if (STATE_MACHINE_ARN.test(target.Arn)) return startExecution(clients.sfn, target.Arn, event, request.wait === true, following);
  if (!FUNCTION_ARN.test(target.Arn)) {
    throw new DeployedRunError(`schedule ${request.scheduleName} targets ${target.Arn}, neither a state machine nor a function`);
  }
  // A durable poller (invoked by its alias) runs a backfill's windows in one execution.
  if (request.backfill && !QUALIFIED_FUNCTION_ARN.test(target.Arn)) {
    throw new DeployedRunError(`feed ${input.spec.feed} runs in a single invocation, which has no windows to share out: deploy it with `
      + 'ExecutionMode.distributed() or ExecutionMode.durable() for a backfill in AWS, or run "api-ingest backfill SPEC --firehose STREAM --state-table TABLE" from here');
  }
  return invokeFunction(clients.lambda, target.Arn, event, request.wait === true);
}

async function startExecution(
  sfn: SFNClient, stateMachineArn: string, event: PollerEvent, wait: boolean, following: Following,
): Promise<DeployedRunResult> {
  const { StartExecutionCommand, DescribeExecutionCommand } = sfnModule();
  // The execution's name is the run's id (its lease holder and control folder): the on-demand execution id.
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: event.executionId, input: JSON.stringify(event) }));
  const started = { executionArn: executionArn! };
  if (!wait) return { started };
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
      const output = parseJson(execution.output);
      // The state machine's last state keeps the aggregate step's summary at $.summary; a skipped run says why at $.plan.skipped.
      const summary = output?.summary ?? (output?.plan?.skipped ? { status: 'skipped', skipped: output.plan.skipped } : undefined);
      const error = execution.status === 'SUCCEEDED' ? undefined : [execution.error, execution.cause].filter(Boolean).join(': ') || execution.status;
      return { started, status: execution.status, summary, error };
    }
    await following.sleep(following.intervalMs);
  }
}

async function invokeFunction(lambda: LambdaClient, functionArn: string, event: PollerEvent, wait: boolean): Promise<DeployedRunResult> {
  const { InvokeCommand } = lambdaModule();
  const answer = await lambda.send(new InvokeCommand({
    FunctionName: functionArn,
    InvocationType: wait ? 'RequestResponse' : 'Event',
    Payload: Buffer.from(JSON.stringify(event)),
  }));
  const started = { functionArn, requestId: answer.$metadata.requestId };
  if (!wait) return { started };
  const payload = parseJson(answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : undefined);
  if (answer.FunctionError) {
    return { started, status: 'FAILED', error: typeof payload?.errorMessage === 'string' ? payload.errorMessage : answer.FunctionError };
  }
  return { started, status: 'SUCCEEDED', summary: payload ?? undefined };
}

function parseJson(text: string | undefined): any {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
