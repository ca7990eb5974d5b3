/**
 * The poller as a Lambda durable function (`ExecutionMode.durable()`): the same engine, sinks and
 * state as lambda-handler.ts, run as a durable execution (engine/durable-run.ts). Each pass of the
 * engine is a durable step that checkpoints the feed's state after every delivered page; a long
 * Retry-After or a running export job ends the pass with the partition held, and the execution
 * waits without compute until the API's time. The execution's name holds the feed's lease from its
 * first pass to its end. A backfill runs its windows as a bounded durable map.
 *
 * Everything outside a step runs again on every replay: it only reads the event and the spec.
 */
import { createHash } from 'node:crypto';
import { withDurableExecution, type DurableContext } from '@aws/durable-execution-sdk-js';
import type { Context } from 'aws-lambda';
import { durableSteps } from './durable-steps';
import { baseLogger, deployedSpec, dynamodb, engineOptions, metrics, requiredEnv } from './lambda-handler';
import { powertoolsLogger, publishRunMetrics } from './powertools';
import type { BackfillRequest } from '../../feed-spec/backfill';
import { DEFAULT_DURABLE_BACKFILL_CONCURRENCY, POLLER_ENV } from '../../feed-spec/poller-contract';
import { scheduledExecutionId } from '../../feed-spec/poller-event';
import type { PollerEvent } from '../../feed-spec/poller-event';
import { lambdaModule } from '../aws-sdk/sdk-modules';
import { DurableBackfillSummary, runBackfillDurably } from '../backfill/durable-backfill';
import { runDurably } from '../engine/durable-run';
import { EngineOptions, runFeed, RunSummary } from '../engine/engine';
import type { DurableSteps } from '../ports/durable-steps';
import type { Redactor } from '../ports/redactor';
import { SecretRedactor } from '../redaction/secret-redactor';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';

/**
 * The longest wait a pass makes in process (a Retry-After, an export job's next poll, the next
 * request slot): a longer one ends the pass with the partition held, and the execution waits for it
 * without compute. Half a minute in process costs less than the extra invocation a durable wait makes.
 */
export const LONGEST_WAIT_IN_PROCESS_MS = 30_000;

/**
 * The execution's name, from its ARN (`...:function:NAME:QUALIFIER/durable-execution/EXECUTION/ID`):
 * the feed's lease holder, the same in every invocation of the execution.
 */
export function executionName(durableExecutionArn: string): string {
  const match = /\/durable-execution\/([^/]+)\//.exec(durableExecutionArn);
  return match ? match[1] : durableExecutionArn;
}

/**
 * The name of the execution that goes on with this one: derived from this one's, so a retried
 * step finds the one it started instead of starting another (Lambda returns an execution of the
 * same name and payload). Names are up to 64 letters, digits, '-' and '_'.
 */
export function continuationName(durableExecutionArn: string): string {
  return `continued-${createHash('sha256').update(durableExecutionArn).digest('hex').slice(0, 40)}`;
}

export const handler = withDurableExecution(async (event: PollerEvent, context: DurableContext): Promise<RunSummary | DurableBackfillSummary> => {
  const redactor = new SecretRedactor();
  try {
    return await durableRun(event, context, redactor);
  } catch (err) {
    // The execution's error is kept in its history: no secret in it.
    throw redactor.redactError(err as Error);
  }
});

async function durableRun(event: PollerEvent, context: DurableContext, redactor: Redactor): Promise<RunSummary | DurableBackfillSummary> {
  const spec = deployedSpec(event);
  const steps = durableSteps(context);
  const arn = context.executionContext.durableExecutionArn;
  const holder = executionName(arn);
  const state = new DynamoDbStateStore(dynamodb, requiredEnv(POLLER_ENV.stateTableName));
  // The invocation's own context, read when a pass starts (a replay runs in a new invocation).
  const invocation = (): Context => context.lambdaContext;
  // One request budget for the invocation: a backfill's windows running at once share the feed's rate.
  const { rateLimiter } = engineOptions(spec, event, invocation(), redactor);
  const pass = async (only: ReadonlyArray<Readonly<Record<string, string>>> | undefined, overrides: Partial<EngineOptions>) => {
    const options = engineOptions(spec, event, invocation(), redactor);
    // Lambda keeps a pass's result in the execution's history: redacted value by value, as a log line is.
    return redactor.redactValue(await runFeed(spec, {
      ...options,
      rateLimiter,
      holder,
      keepLease: true,
      holdOnRetryAfter: true,
      longestWaitMs: LONGEST_WAIT_IN_PROCESS_MS,
      // The state after every delivered page: an interrupted pass resumes after the last one.
      checkpointPages: 1,
      onlyPartitions: only ?? options.onlyPartitions,
      // No polling loop inside a pass (pollInterval is refused at synth for a durable feed).
      repeat: undefined,
      ...overrides,
    }));
  };

  if (event.backfill !== undefined) {
    const summary = await runBackfillDurably(steps, {
      feed: spec.feed,
      request: event.backfill,
      state,
      holder,
      now: () => Date.now(),
      concurrency: Number(process.env[POLLER_ENV.backfillConcurrency] ?? DEFAULT_DURABLE_BACKFILL_CONCURRENCY),
      windowPass: (window, windowState) => (_pass, only) => pass(only, {
        state: windowState, window: { start: new Date(window.start), end: new Date(window.end) }, executionId: undefined,
      }),
      continueBackfill: (rest: BackfillRequest) => startExecution(invocation(), continuationName(arn), { ...event, backfill: rest }),
    });
    await steps.step('report the backfill', async () => report(spec.feed, summary.runs, redactor, { ...summary, runs: undefined }));
    return summary;
  }

  const executionId = scheduledExecutionId(event);
  const summary = await runDurably(steps, (_pass, only) => pass(only, {}), {
    now: () => Date.now(),
    executionDeadline: await executionDeadline(steps),
    lease: {
      hold: async (until) => (await state.acquireLease(spec.feed, holder, until)).acquired,
      release: (completed) => state.releaseLease(spec.feed, holder, completed ? executionId : undefined),
    },
    continueRun: (only) => startExecution(invocation(), continuationName(arn), { ...event, ...(only ? { partitions: only } : {}) }),
  });
  await steps.step('report the run', async () => report(spec.feed, summary, redactor, { scheduledTime: event.scheduledTime, executionId: event.executionId }));
  if (summary.status === 'failed') {
    // The execution fails, as the single invocation's does; the feed's alarms read the same metrics.
    throw new Error(redactor.redact(`feed ${spec.feed}: every partition failed: ${summary.failures.map((f) => f.error).join('; ')}`));
  }
  return summary;
}

/** When Lambda stops this execution: its start (kept in a step) plus the `executionTimeout` the construct wrote. */
async function executionDeadline(steps: DurableSteps): Promise<number | undefined> {
  const timeoutSeconds = Number(process.env[POLLER_ENV.durableExecutionTimeout]);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) return undefined;
  const startedAt = await steps.step('execution started', async () => Date.now());
  return startedAt + timeoutSeconds * 1000;
}

/** The run's metrics and its log line, once per execution (a step). */
function report(feed: string, summary: RunSummary, redactor: Redactor, fields: Record<string, unknown>): void {
  const logger = powertoolsLogger(baseLogger, redactor);
  if (summary.status !== 'skipped') publishRunMetrics(metrics, summary);
  const line = { ...fields, ...summary, feed };
  (summary.status === 'succeeded' || summary.status === 'skipped' ? logger.info : logger.error)(`run ${summary.status}`, line);
}

/**
 * Starts an execution of this function (the qualified ARN it was invoked by: durable functions are
 * invoked by version or alias) with `event`, asynchronously, under `name`.
 */
export async function startExecution(invocation: Pick<Context, 'invokedFunctionArn'>, name: string, event: PollerEvent): Promise<string> {
  const { LambdaClient, InvokeCommand } = lambdaModule();
  await new LambdaClient({ maxAttempts: 5 }).send(new InvokeCommand({
    FunctionName: invocation.invokedFunctionArn,
    InvocationType: 'Event',
    DurableExecutionName: name,
    Payload: Buffer.from(JSON.stringify(event)),
  }));
  return name;
}
