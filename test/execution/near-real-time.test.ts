/**
 * Polling more often than once a minute: the schedule fires every minute and the poller polls
 * every `pollInterval` within its invocation (test/runtime/engine/polling-loop.test.ts runs the
 * loop); Firehose's zero buffering where AWS allows it.
 */
import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, DynamicPartitioning, ExecutionMode, Records } from '../../src';
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
