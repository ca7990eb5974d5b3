/**
 * The poller Lambda: reads the spec from the schedule's event, runs the engine into Firehose and
 * reports the run. Thin on purpose: all behaviour lives in the engine and the sinks.
 */
import { parseFeedSpec } from '../../spec/feed-spec';
import type { PollerEvent } from '../../spec/poller-event';
import { runFeed, RunSummary } from '../engine/engine';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';

const firehose = createFirehoseClient();

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set; the ApiToFirehoseIngestion construct sets it`);
  }
  return value;
}

export async function handler(event: PollerEvent): Promise<RunSummary> {
  const spec = parseFeedSpec(event.spec);
  const sink = new FirehoseSink({ client: firehose, deliveryStreamName: requiredEnv('DELIVERY_STREAM_NAME') });
  const summary = await runFeed(spec, { sink });
  console.log(JSON.stringify({
    level: 'INFO',
    message: 'run complete',
    scheduledTime: event.scheduledTime,
    executionId: event.executionId,
    ...summary,
  }));
  return summary;
}
