/**
 * Polling more often than once a minute: the schedule fires every minute and the poller polls
 * every `pollInterval` within its invocation (test/runtime/engine/polling-loop.test.ts runs the
 * loop); Firehose's zero buffering where AWS allows it.
 */
import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, ExecutionMode, Records } from '../../src';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, pollerEnv } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const source = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });
const everyMinute = ScheduleExpression.rate(Duration.minutes(1));

test('the schedule fires every minute with the interval and the tick in its event; Firehose buffers for 0 s', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Prices', {
    feedName: 'prices', source: source(), schedule: everyMinute, pollInterval: Duration.seconds(10), bufferingInterval: Duration.seconds(0),
  });
  const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
  const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
  expect(schedule.Properties.ScheduleExpression).toBe('rate(1 minute)');
  expect(JSON.parse(schedule.Properties.Target.Input).poll).toEqual({ everySeconds: 10, forSeconds: 60 });
  const stream = Object.values(resources).find((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream');
  expect(stream.Properties.ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds).toBe(0);
});

const CASES: Array<[string, Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  ['an interval of a minute', { schedule: everyMinute, pollInterval: Duration.seconds(60) }, /pollInterval is 1 minute: set whole seconds from 1 to 59/],
  ['an interval with milliseconds', { schedule: everyMinute, pollInterval: Duration.millis(2500) }, /pollInterval is 2 seconds 500 millis: set whole seconds from 1 to 59/],
  ['a cron schedule', { schedule: ScheduleExpression.cron({ minute: '*' }), pollInterval: Duration.seconds(10) },
    /pollInterval needs a rate\(\) schedule of at most 10 minutes, .*\(schedule is cron\(\* \* \* \* \? \*\)\): set schedule: ScheduleExpression.rate\(Duration.minutes\(1\)\)/],
  ['the default hourly schedule', { pollInterval: Duration.seconds(10) }, /pollInterval needs a rate\(\) schedule of at most 10 minutes/],
  ['a poller timeout shorter than the tick', { schedule: ScheduleExpression.rate(Duration.minutes(5)), pollInterval: Duration.seconds(10) },
    /pollInterval polls for the 300 s between ticks, but pollerOptions.timeout is 300 s: set a timeout of at least 330 s/],
  ['a distributed run', { schedule: everyMinute, pollInterval: Duration.seconds(10), executionMode: ExecutionMode.distributed() },
    /pollInterval is for one invocation polling in a loop; a distributed run maps partitions instead/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  expect(() => new ApiToFirehoseIngestion(testStack(), 'Prices', { feedName: 'prices', source: source(), ...props })).toThrow(message);
});

test('zero buffering with dynamic partitioning is refused: Firehose has none there (aws-cdk-lib says so at synth)', () => {
  expect(() => new ApiToFirehoseIngestion(testStack(), 'Prices', {
    feedName: 'prices', source: source(), bufferingInterval: Duration.seconds(0), dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }),
  })).toThrow(/buffering interval must be at least 60 seconds/i);
});

describe('the bundled poller with a poll interval', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/v2/quotes': (_req, res) => json(res, 200, { quotes: [{ symbol: 'ACME', price: 1 }] }) });
  });
  afterAll(() => api.close());

  test('an invocation delivered after its tick has passed polls once, not into the next tick\'s minute (which would hold the lease from it)', async () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: ApiSource.http({ url: `${api.url}/v2/quotes`, records: Records.at('quotes'), limits: { allowPrivateAddresses: true } }),
      schedule: everyMinute,
      pollInterval: Duration.seconds(10),
    });
    const schedule = Object.values(templateOf(stack).toJSON().Resources as Record<string, any>).find((r) => r.Type === 'AWS::Scheduler::Schedule');
    const moto = await createFeedResources('prices/');
    // Scheduler redelivered it late: its minute ended an hour ago.
    const late = new Date(Date.now() - 3_600_000).toISOString();
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, late, 'exec-late'), pollerEnv(moto));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ status: 'succeeded', requests: 1, recordsDelivered: 1 });
    expect(outcome.result.passes).toBeUndefined();
  });
});
