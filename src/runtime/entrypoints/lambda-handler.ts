/**
 * The poller Lambda: reads the spec from the schedule's event, runs the engine into Firehose
 * with cursors in DynamoDB and secrets from Secrets Manager, and reports the run. Thin on
 * purpose: all behaviour lives in the engine, the sinks and the state store.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { parseFeedSpec } from '../../spec/feed-spec';
import type { PollerEvent } from '../../spec/poller-event';
import { runFeed, RunSummary } from '../engine/engine';
import { jsonLogger } from '../engine/logger';
import { Redactor } from '../engine/redactor';
import { CachingSecretResolver } from '../secrets/secret-resolver';
import { secretsManagerSource } from '../secrets/secrets-manager-source';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';
import { MemoryStateStore, StateStore } from '../state/state-store';

// One client of each per container, reused by every invocation.
const firehose = createFirehoseClient();
const secretsManager = new SecretsManagerClient({ maxAttempts: 3 });
const dynamodb = new DynamoDBClient({ maxAttempts: 3 });

/** Time kept back from the Lambda timeout to flush, commit cursors and report. */
export function safetyMarginMs(remainingMs: number): number {
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
  const redactor = new Redactor();
  const logger = jsonLogger(redactor);
  const spec = parseFeedSpec(event.spec);
  const tableName = process.env.STATE_TABLE_NAME;
  const state: StateStore = tableName ? new DynamoDbStateStore(dynamodb, tableName) : new MemoryStateStore();
  const remaining = context?.getRemainingTimeInMillis?.();
  const summary = await runFeed(spec, {
    sink: new FirehoseSink({ client: firehose, deliveryStreamName: requiredEnv('DELIVERY_STREAM_NAME') }),
    state,
    secrets: new CachingSecretResolver(secretsManagerSource(secretsManager), redactor),
    logger,
    redactor,
    runTime: event.scheduledTime && !Number.isNaN(Date.parse(event.scheduledTime)) ? new Date(event.scheduledTime) : undefined,
    deadline: remaining !== undefined ? Date.now() + remaining - safetyMarginMs(remaining) : undefined,
  });
  const fields = { scheduledTime: event.scheduledTime, executionId: event.executionId, ...summary };
  if (summary.status === 'failed') {
    logger.error('run failed: every partition failed', fields);
    // Fail the invocation, so Lambda retries it and then sends it to the dead-letter queue.
    throw new Error(redactor.redact(`feed ${spec.feed}: every partition failed: ${summary.failures.map((f) => f.error).join('; ')}`));
  }
  (summary.status === 'partial' ? logger.error : logger.info)(`run ${summary.status}`, fields);
  return summary;
}
