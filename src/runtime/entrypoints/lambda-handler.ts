/**
 * The poller Lambda: reads the spec from the schedule's event, runs the engine into Firehose
 * with state in DynamoDB, secrets from Secrets Manager and dead letters to SQS, and reports the
 * run in logs and metrics. Thin on purpose: all behaviour lives in the engine, sinks and state.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { lazyS3Client, lazySqsClient } from './aws-clients';
import { powertoolsLogger, publishRunMetrics } from './powertools';
import { parseFeedSpec } from '../../feed-spec/feed-spec';
import { METRICS_NAMESPACE, METRICS_SERVICE, POLLER_ENV } from '../../feed-spec/poller-contract';
import type { PollerEvent } from '../../feed-spec/poller-event';
import { RedactingDeadLetterWriter } from '../dead-letters/dead-letter';
import { SqsDeadLetterWriter } from '../dead-letters/sqs-dead-letter-writer';
import { runFeed, RunSummary } from '../engine/engine';
import { Redactor } from '../ports/redactor';
import { SecretRedactor } from '../redaction/secret-redactor';
import { CachingSecretResolver } from '../secrets/secret-resolver';
import { secretsManagerSource } from '../secrets/secrets-manager-source';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';

// One client of each per container, reused by every invocation.
const firehose = createFirehoseClient();
const dynamodb = new DynamoDBClient({ maxAttempts: 5 });
// Made on first use: most runs send no dead letter (see aws-clients.ts).
const sqs = lazySqsClient({ maxAttempts: 5 });
const s3 = lazyS3Client({ maxAttempts: 5 });
// Loads its SDK module on the first secret read (see secrets-manager-source.ts).
const secretStrings = secretsManagerSource({ maxAttempts: 3 });
const baseLogger = new PowertoolsLogger({ serviceName: METRICS_SERVICE });
const metrics = new Metrics({ serviceName: METRICS_SERVICE, namespace: process.env[POLLER_ENV.metricsNamespace] ?? METRICS_NAMESPACE });

/** Time kept back from the Lambda timeout to flush, commit cursors and checkpoints, and report. */
function safetyMarginMs(remainingMs: number): number {
  return Math.min(Math.max(10_000, remainingMs * 0.2), 60_000);
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set; the ApiToFirehoseIngestion construct sets it`);
  }
  return value;
}

export async function handler(event: PollerEvent, context?: Context): Promise<RunSummary> {
  const redactor = new SecretRedactor();
  try {
    return await run(event, context, redactor);
  } catch (err) {
    // Lambda records the error's message and stack in its logs and the on-failure destination.
    throw redactor.redactError(err as Error);
  }
}

async function run(event: PollerEvent, context: Context | undefined, redactor: Redactor): Promise<RunSummary> {
  const logger = powertoolsLogger(baseLogger, redactor);
  const spec = parseFeedSpec(event.spec);
  const deadLetters = new RedactingDeadLetterWriter(new SqsDeadLetterWriter({
    sqs, s3, feed: spec.feed, queueUrl: requiredEnv(POLLER_ENV.deadLetterQueueUrl), bucket: requiredEnv(POLLER_ENV.deadLetterBucket),
  }), redactor);
  const remaining = context?.getRemainingTimeInMillis?.();
  const summary = await runFeed(spec, {
    sink: new FirehoseSink({
      client: firehose,
      deliveryStreamName: requiredEnv(POLLER_ENV.deliveryStreamName),
      deadLetters,
      logger,
      // Set by the construct when the stream deaggregates records for dynamic partitioning.
      maxLinesPerRecord: process.env[POLLER_ENV.maxLinesPerRecord] ? Number(process.env[POLLER_ENV.maxLinesPerRecord]) : undefined,
      // Set by the construct for OpenSearch, which indexes each Firehose record as one document.
      documentPerRecord: process.env[POLLER_ENV.documentPerRecord] === 'true',
    }),
    state: new DynamoDbStateStore(dynamodb, requiredEnv(POLLER_ENV.stateTableName)),
    secrets: new CachingSecretResolver(secretStrings, redactor),
    deadLetters,
    logger,
    redactor,
    executionId: event.executionId && !event.executionId.startsWith('<') ? event.executionId : undefined,
    holder: context?.awsRequestId,
    runTime: event.scheduledTime && !Number.isNaN(Date.parse(event.scheduledTime)) ? new Date(event.scheduledTime) : undefined,
    deadline: remaining !== undefined ? Date.now() + remaining - safetyMarginMs(remaining) : undefined,
  });
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
