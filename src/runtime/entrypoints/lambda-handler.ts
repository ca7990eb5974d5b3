/**
 * The poller Lambda: reads the spec from the schedule's event, runs the engine into Firehose
 * with state in DynamoDB, secrets from Secrets Manager and dead letters to SQS, and reports the
 * run in logs and metrics. Thin on purpose: all behaviour lives in the engine, sinks and state.
 *
 * A distributed run's state machine calls the same function in its three steps: `plan`, `slice`
 * (a Distributed Map batch: `{ Items, BatchInput }`) and `aggregate` (see distributed/run-steps.ts).
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { lazyS3Client, lazySqsClient } from './aws-clients';
import { powertoolsLogger, publishRunMetrics } from './powertools';
import { parseFeedSpec } from '../../feed-spec/feed-spec';
import { hostRateBudget, METRICS_NAMESPACE, METRICS_SERVICE, POLLER_ENV, SharedRateBudgetConfig } from '../../feed-spec/poller-contract';
import { isPartitionList, scheduledExecutionId, scheduledTimeMs } from '../../feed-spec/poller-event';
import type { AggregateEvent, PlanEvent, PollerEvent, RunPlan, SliceEvent } from '../../feed-spec/poller-event';
import { specBindingProblem } from '../../feed-spec/spec-binding';
import { RedactingDeadLetterWriter } from '../dead-letters/dead-letter';
import { SqsDeadLetterWriter } from '../dead-letters/sqs-dead-letter-writer';
import { DistributedRunSummary } from '../distributed/combine-summaries';
import { aggregateRun, planRun, runSlice, StepDependencies } from '../distributed/run-steps';
import { S3ObjectStore } from '../distributed/s3-object-store';
import { EngineOptions, runFeed, RunSummary } from '../engine/engine';
import { RequestSpacing, SYSTEM_CLOCK } from '../engine/http-client';
import { RateLimits } from '../engine/rate-limits';
import type { RateLimiter } from '../ports/rate-limiter';
import { Redactor } from '../ports/redactor';
import { SecretRedactor } from '../redaction/secret-redactor';
import { secretsManagerRotatingStore } from '../secrets/rotating-secret-stores';
import { CachingSecretResolver } from '../secrets/secret-resolver';
import { secretsManagerSource } from '../secrets/secrets-manager-source';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';
import { DynamoDbRateBudget, feedRateBudget } from '../state/dynamodb-rate-budget';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';

// One client of each per container, reused by every invocation (the durable entrypoint's too).
const firehose = createFirehoseClient();
export const dynamodb = new DynamoDBClient({ maxAttempts: 5 });
// Made on first use: most runs send no dead letter (see aws-clients.ts).
const sqs = lazySqsClient({ maxAttempts: 5 });
const s3 = lazyS3Client({ maxAttempts: 5 });
// Loads its SDK module on the first secret read (see secrets-manager-source.ts).
const secretStrings = secretsManagerSource({ maxAttempts: 3 });
// The refresh-token grant's write-back (see token-auth.ts); loads nothing until used.
const rotatingSecrets = secretsManagerRotatingStore({ maxAttempts: 3 });
export const baseLogger = new PowertoolsLogger({ serviceName: METRICS_SERVICE });
export const metrics = new Metrics({ serviceName: METRICS_SERVICE, namespace: process.env[POLLER_ENV.metricsNamespace] ?? METRICS_NAMESPACE });

/** Time kept back from the Lambda timeout to flush, commit cursors and checkpoints, and report. */
function safetyMarginMs(remainingMs: number): number {
  return Math.min(Math.max(10_000, remainingMs * 0.2), 60_000);
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set; the ApiToFirehoseIngestion construct sets it`);
  }
  return value;
}

type AnyEvent = PollerEvent | PlanEvent | SliceEvent | AggregateEvent;

export async function handler(event: AnyEvent, context?: Context): Promise<RunSummary | RunPlan | DistributedRunSummary> {
  const redactor = new SecretRedactor();
  try {
    if ('Items' in event) return await distributedStep(event.BatchInput, context, redactor, (spec, deps) => runSlice(spec, event, deps));
    if ('mode' in event && event.mode === 'plan') return await distributedStep(event.request, context, redactor, (spec, deps) => planRun(spec, event, deps));
    if ('mode' in event && event.mode === 'aggregate') {
      return await distributedStep(event, context, redactor, async (spec, deps) => {
        const summary = await aggregateRun(spec, event, deps);
        publishRunMetrics(metrics, summary, summary.itemsFailed);
        (summary.status === 'succeeded' ? deps.engine.logger.info : deps.engine.logger.error)(`run ${summary.status}`, { ...summary });
        return summary;
      });
    }
    return await run(event as PollerEvent, context, redactor);
  } catch (err) {
    // Lambda records the error's message and stack in its logs and the on-failure destination.
    throw redactor.redactError(err as Error);
  } finally {
    await Promise.allSettled(pendingHolds);
  }
}

/** The engine's adapters in Lambda: Firehose, DynamoDB state, Secrets Manager, SQS dead letters. */
export function engineOptions(
  spec: ReturnType<typeof parseFeedSpec>, event: PollerEvent, context: Context | undefined, redactor: Redactor, distributed = false,
): EngineOptions {
  const logger = powertoolsLogger(baseLogger, redactor);
  const deadLetters = new RedactingDeadLetterWriter(new SqsDeadLetterWriter({
    sqs, s3, feed: spec.feed, queueUrl: requiredEnv(POLLER_ENV.deadLetterQueueUrl), bucket: requiredEnv(POLLER_ENV.deadLetterBucket),
  }), redactor);
  const remaining = context?.getRemainingTimeInMillis?.();
  const scheduledAt = scheduledTimeMs(event);
  const limits = rateLimitsFor(spec, distributed);
  return {
    sink: new FirehoseSink({
      client: firehose,
      deliveryStreamName: requiredEnv(POLLER_ENV.deliveryStreamName),
      deadLetters,
      logger,
      // Set by the construct when the stream deaggregates records for dynamic partitioning.
      maxLinesPerRecord: process.env[POLLER_ENV.maxLinesPerRecord] ? Number(process.env[POLLER_ENV.maxLinesPerRecord]) : undefined,
      // Set by the construct for OpenSearch, which indexes each Firehose record as one document.
      documentPerRecord: process.env[POLLER_ENV.documentPerRecord] === 'true',
      onThrottled: limits.feedBudget ? holdBackWorkers(limits.feedBudget, logger) : undefined,
    }),
    state: new DynamoDbStateStore(dynamodb, requiredEnv(POLLER_ENV.stateTableName)),
    secrets: new CachingSecretResolver(secretStrings, redactor),
    rotatingSecrets,
    deadLetters,
    logger,
    redactor,
    executionId: scheduledExecutionId(event),
    holder: context?.awsRequestId,
    runTime: scheduledAt !== undefined ? new Date(scheduledAt) : undefined,
    deadline: remaining !== undefined ? Date.now() + remaining - safetyMarginMs(remaining) : undefined,
    repeat: pollLoop(event),
    onlyPartitions: partitionsAskedFor(event),
    rateLimiter: limits.limiter,
  };
}

/** A run on demand's partitions: objects of strings only (the engine checks they are the feed's own). */
function partitionsAskedFor(event: PollerEvent): EngineOptions['onlyPartitions'] {
  if (event.partitions === undefined) return undefined;
  if (!isPartitionList(event.partitions)) {
    throw new Error('the event\'s partitions must be a non-empty list of objects of strings, e.g. [{"station": "KSEA"}]');
  }
  return event.partitions;
}

/**
 * Near-real-time polling: poll every `everySeconds` until the next tick, stopping a few seconds
 * before it so the next invocation finds the lease free.
 */
function pollLoop(event: PollerEvent): EngineOptions['repeat'] {
  if (!event.poll) return undefined;
  const tick = scheduledTimeMs(event) ?? Date.now();
  return { intervalMs: event.poll.everySeconds * 1000, untilMs: tick + event.poll.forSeconds * 1000 - 2000 };
}

/** Thrown for an event whose spec is not the one the construct deployed this poller with. */
export class SpecMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecMismatchError';
  }
}

/**
 * The event's spec, if it is the one this poller was deployed with (its fingerprint is in the
 * environment, see feed-spec/spec-binding.ts): whoever may invoke the poller cannot make it run
 * another spec, with the feed's credentials, against another host. Checked before any request.
 */
export function deployedSpec(event: PollerEvent): ReturnType<typeof parseFeedSpec> {
  const sha256 = process.env[POLLER_ENV.specSha256];
  if (sha256 !== undefined) {
    const problem = specBindingProblem(event.spec, {
      sha256,
      tokenPaths: JSON.parse(process.env[POLLER_ENV.specTokenPaths] ?? '[]'),
      tokenValues: JSON.parse(process.env[POLLER_ENV.specTokenValues] ?? '[]'),
    });
    if (problem) throw new SpecMismatchError(`refused: ${problem}; this poller runs only its feed's deployed spec (runs on demand choose among its partitions)`);
  }
  return parseFeedSpec(event.spec);
}

/** A step of a distributed run: the engine's adapters, the control folder, and the rate budget every worker shares. */
async function distributedStep<T>(event: PollerEvent, context: Context | undefined, redactor: Redactor,
  step: (spec: ReturnType<typeof parseFeedSpec>, deps: StepDependencies) => Promise<T>): Promise<T> {
  const spec = deployedSpec(event);
  const engine = engineOptions(spec, event, context, redactor, true);
  const bucket = requiredEnv(POLLER_ENV.controlBucket);
  return step(spec, {
    objects: new S3ObjectStore(s3, bucket),
    bucket,
    engine,
    now: () => Date.now(),
  });
}

/**
 * The run's request budgets: the feed's own `limits.requestsPerSecond` (spaced in memory in one
 * invocation; in the state table, shared by every worker, in a distributed run) and the budgets it
 * shares with other feeds for one API host (`SharedRateBudget`, in their own tables).
 */
function rateLimitsFor(spec: ReturnType<typeof parseFeedSpec>, distributed: boolean): { limiter?: RateLimiter; feedBudget?: DynamoDbRateBudget } {
  const rate = spec.limits.requestsPerSecond;
  const budget = (tableName: string, name: string, requestsPerSecond: number) => new DynamoDbRateBudget({
    client: dynamodb, tableName, budget: name, requestsPerSecond, clock: SYSTEM_CLOCK,
  });
  const feedBudget = rate && distributed ? budget(requiredEnv(POLLER_ENV.stateTableName), feedRateBudget(spec.feed), rate) : undefined;
  const feed = feedBudget ?? (rate ? new RequestSpacing(1000 / rate, SYSTEM_CLOCK) : undefined);
  const shared: SharedRateBudgetConfig[] = JSON.parse(process.env[POLLER_ENV.sharedRateBudgets] ?? '[]');
  const hosts = shared.map((b) => ({ host: b.host, limiter: budget(b.table, hostRateBudget(b.host), b.requestsPerSecond) }));
  return { limiter: hosts.length > 0 ? new RateLimits(feed, hosts) : feed, feedBudget };
}

/** How long every worker of a distributed run holds back when Firehose throttles one of them. */
const THROTTLE_HOLD_MS = 1000;

/** Holds under way: the invocation waits for them before it returns (Lambda freezes what is left running). */
const pendingHolds = new Set<Promise<unknown>>();

/** Firehose throttled this worker: every worker of the run holds back, through the budget they share. */
function holdBackWorkers(budget: DynamoDbRateBudget, logger: EngineOptions['logger']): () => void {
  return () => {
    const hold = budget.holdBack(THROTTLE_HOLD_MS).then(
      (held) => held && logger.warn('Firehose is throttling: every worker of the run holds its requests back', { holdMs: THROTTLE_HOLD_MS }),
      (err: Error) => logger.warn('Firehose is throttling, and the shared budget could not be held back', { error: err.message }),
    ).finally(() => pendingHolds.delete(hold));
    pendingHolds.add(hold);
  };
}

async function run(event: PollerEvent, context: Context | undefined, redactor: Redactor): Promise<RunSummary> {
  const spec = deployedSpec(event);
  if (event.backfill !== undefined) {
    throw new Error(`feed ${spec.feed} runs in a single invocation, which does not backfill: a backfill is a distributed or durable run `
      + '(ExecutionMode.distributed() or ExecutionMode.durable()), or "api-ingest backfill SPEC" from a machine');
  }
  const options = engineOptions(spec, event, context, redactor);
  const logger = options.logger;
  const summary = await runFeed(spec, options);
  const fields = { scheduledTime: event.scheduledTime, executionId: event.executionId, ...summary };
  if (summary.status !== 'skipped') {
    publishRunMetrics(metrics, summary);
  }
  if (summary.status === 'failed') {
    logger.error('run failed: every partition failed', fields);
    // Fail the invocation, so Lambda retries it and then sends it to the dead-letter queue.
    throw new Error(redactor.redact(`feed ${spec.feed}: every partition failed: ${summary.failures.map((f) => f.error).join('; ')}`));
  }
  // A partial run, or one whose records went to the dead-letter queue, is an error for the
  // operator (the dead-letter alarm fires on the queue) but not a failed invocation: a retry would
  // fetch and deliver the completed partitions again.
  (summary.status === 'succeeded' || summary.status === 'skipped' ? logger.info : logger.error)(`run ${summary.status}`, fields);
  return summary;
}
