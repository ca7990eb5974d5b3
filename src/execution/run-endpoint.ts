/**
 * Runs on demand over HTTPS (`runEndpointEnabled`): a Lambda function URL with `AWS_IAM` auth
 * (every request SigV4-signed by a principal granted `lambda:InvokeFunctionUrl`) on a small
 * function that starts a run the way the schedule does. It reads the schedule's own input (the
 * spec travels there, too large for an environment variable), adds the partitions the request
 * asks for (the poller checks they are the feed's own), and starts the state machine or invokes
 * the poller asynchronously. A distributed feed's endpoint also takes a backfill (`{"backfill":
 * {"from", "to", "windowSeconds"}}`), which its plan step checks. Its answer names the run, never the spec.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ISO_DATE, ISO_DATE_TIME, ISO_INSTANT_FORMS } from '../feed-spec/iso-instant';
import { skipCheckovChecks } from '../private/checkov';
import { createInlineFunction } from '../private/inline-function';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

/** The largest request body the endpoint reads (a list of partitions). */
export const RUN_REQUEST_MAX_BYTES = 64 * 1024;

/**
 * The function's code, inline (the Lambda runtime carries the AWS SDK). A request body is
 * `{"partitions": [{...}, ...]}`, `{"backfill": {...}}` (distributed feeds), both, or empty
 * (every partition, now). The run's event is made as `onDemandEvent` (feed-spec/poller-event.ts)
 * makes it for `api-ingest trigger`; inline code cannot import it.
 */
export const START_RUN_HANDLER = `
const { SchedulerClient, GetScheduleCommand } = require('@aws-sdk/client-scheduler');
const { SFNClient, StartExecutionCommand } = require('@aws-sdk/client-sfn');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const MAX_BYTES = ${RUN_REQUEST_MAX_BYTES};
// The same forms as the poller's own check (feed-spec/iso-instant.ts), which the plan step applies again.
const ISO_DATE = new RegExp(${JSON.stringify(ISO_DATE.source)});
const ISO_DATE_TIME = new RegExp(${JSON.stringify(ISO_DATE_TIME.source)});
const isInstant = (text) => typeof text === 'string' && (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) && !Number.isNaN(Date.parse(text));
const answer = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
function overridesOf(event) {
  const text = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(text) > MAX_BYTES) throw new Error('the request body is over ' + MAX_BYTES + ' bytes');
  if (text.trim() === '') return {};
  let request;
  try { request = JSON.parse(text); } catch { throw new Error('the request body is not JSON: send {"partitions": [{"name": "value"}]} or nothing'); }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new Error('the request body must be an object');
  const unknown = Object.keys(request).filter((key) => key !== 'partitions' && key !== 'backfill');
  if (unknown.length) throw new Error('unknown field(s) ' + unknown.join(', ') + ': the request takes partitions and backfill only');
  const { partitions, backfill } = request;
  if (partitions !== undefined) {
    const valid = Array.isArray(partitions) && partitions.length > 0 && partitions.every((p) => p !== null && typeof p === 'object'
      && !Array.isArray(p) && Object.values(p).every((v) => typeof v === 'string'));
    if (!valid) throw new Error('partitions must be a non-empty list of objects of strings, e.g. [{"station": "KSEA"}]');
  }
  if (backfill !== undefined) {
    if (process.env.BACKFILLS !== 'true') throw new Error('this feed runs in a single invocation, which does not backfill: deploy it with ExecutionMode.distributed() or ExecutionMode.durable()');
    const valid = backfill !== null && typeof backfill === 'object' && Object.keys(backfill).length === 3 && typeof backfill.from === 'string'
      && typeof backfill.to === 'string' && Number.isInteger(backfill.windowSeconds) && backfill.windowSeconds > 0;
    if (!valid) throw new Error('backfill must be {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "windowSeconds": 86400}');
    for (const name of ['from', 'to']) {
      if (!isInstant(backfill[name])) throw new Error('backfill.' + name + ' ' + JSON.stringify(backfill[name]) + ' is not ${ISO_INSTANT_FORMS}');
    }
  }
  return { partitions, backfill };
}
exports.handler = async (event) => {
  let overrides;
  try { overrides = overridesOf(event); } catch (err) { return answer(400, { error: err.message }); }
  const { partitions, backfill } = overrides;
  const schedule = await new SchedulerClient({}).send(new GetScheduleCommand({ Name: process.env.SCHEDULE_NAME, GroupName: process.env.SCHEDULE_GROUP }));
  const input = JSON.parse(schedule.Target.Input);
  // A run now: its own time and execution id, the partitions or backfill asked for, one poll (not a polling loop).
  const { poll, partitions: _p, backfill: _b, ...scheduled } = input;
  const executionId = 'on-demand-' + event.requestContext.requestId;
  const run = { ...scheduled, scheduledTime: new Date().toISOString(), executionId, ...(partitions ? { partitions } : {}), ...(backfill ? { backfill } : {}) };
  if (process.env.STATE_MACHINE_ARN) {
    // The execution's name is the run's id (its lease holder and control folder).
    const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN, name: executionId, input: JSON.stringify(run) }));
    return answer(202, { executionArn: started.executionArn, startDate: started.startDate });
  }
  const invoked = await new LambdaClient({}).send(new InvokeCommand({ FunctionName: process.env.POLLER_FUNCTION_NAME, InvocationType: 'Event', Payload: JSON.stringify(run) }));
  return answer(202, { requestId: invoked.$metadata.requestId });
};
`;

export interface RunEndpointProps {
  readonly feed: string;
  readonly schedule: scheduler.ISchedule;
  /** What a run invokes: the poller, or a durable poller's alias. */
  readonly pollerFunction: lambda.IFunction;
  readonly stateMachine?: sfn.IStateMachine;
  /** A durable poller takes backfills too (a state machine always does). @default false */
  readonly backfills?: boolean;
}

export interface RunEndpoint {
  readonly fn: lambda.Function;
  readonly url: lambda.FunctionUrl;
}

export function createRunEndpoint(scope: Construct, props: RunEndpointProps): RunEndpoint {
  const stack = Stack.of(scope);
  const { fn, role } = createInlineFunction(scope, 'StartRun', {
    description: `Starts a run of the ${props.feed} API feed on demand`,
    code: START_RUN_HANDLER,
    timeout: Duration.seconds(30),
    environment: {
      SCHEDULE_NAME: props.schedule.scheduleName,
      SCHEDULE_GROUP: 'default',
      ...(props.stateMachine
        ? { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn }
        // A durable poller's alias gives its qualified name (function:alias), as it must be invoked.
        : { POLLER_FUNCTION_NAME: props.pollerFunction.functionName }),
      ...(props.stateMachine || props.backfills ? { BACKFILLS: 'true' } : {}),
    },
  });
  role.addToPolicy(new iam.PolicyStatement({
    actions: ['scheduler:GetSchedule'],
    resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `default/${props.schedule.scheduleName}` })],
  }));
  if (props.stateMachine) props.stateMachine.grantStartExecution(fn); else props.pollerFunction.grantInvoke(fn);
  const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  // grantInvoke grants a function with its versions (function:poller:*), an alias by its own ARN.
  const versionsGranted = !props.stateMachine && props.pollerFunction.node.defaultChild instanceof lambda.CfnFunction;
  acknowledgeFindings(role, [
    'AwsSolutions-IAM5[Resource::*]',
    ...(versionsGranted ? [`AwsSolutions-IAM5[Resource::<${stack.getLogicalId(props.pollerFunction.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`] : []),
  ], 'X-Ray\'s PutTraceSegments/PutTelemetryRecords take no resource-level permission'
    + (versionsGranted ? '; lambda:InvokeFunction on the poller and its versions (function:poller:*), granted by aws-cdk-lib\'s grantInvoke.' : '.'));
  acknowledgeFindings(fn, ['Serverless-LambdaDLQ'],
    'Called synchronously through its function URL: the caller gets the error in the answer, there is no asynchronous event to keep.');
  skipCheckovChecks(fn, [
    { id: 'CKV_AWS_116', comment: 'Called synchronously through its function URL: the caller gets the error.' },
    { id: 'CKV_AWS_117', comment: 'It calls AWS APIs only (Scheduler, Step Functions or Lambda), not a network of the account.' },
    { id: 'CKV_AWS_115', comment: 'Runs on demand, rarely; the state machine or the poller bounds concurrency.' },
    { id: 'CKV_AWS_173', comment: 'Its environment holds resource names only, no secret.' },
  ]);
  return { fn, url };
}
