/**
 * The parts every integration test stack has: its own API, a checker, a feed whose runs only the
 * test starts, and nothing left behind when the stack is deleted.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Checker } from './checker';
import { FixtureApi } from './fixture-api';
import { disposableBucketProps, removeWithStack } from './teardown';
import { ApiToFirehoseIngestion, ApiToFirehoseIngestionProps } from '../../../src';

export interface IntegStack {
  readonly app: App;
  readonly stack: Stack;
  readonly api: FixtureApi;
  readonly checker: Checker;
}

/** A stack named `ApiIngestInteg-<name>` with the fixture API and the checker. */
export function integStack(name: string): IntegStack {
  const app = new App();
  const stack = new Stack(app, `ApiIngestInteg-${name}`);
  removeWithStack(stack);
  return { app, stack, api: new FixtureApi(stack, 'Api'), checker: new Checker(stack, 'Checker') };
}

/** The feed under test: runs started by the test only (the schedule is created disabled), its bucket deleted with the stack. */
export function feedUnderTest(stack: Stack, props: Omit<ApiToFirehoseIngestionProps, 'feedName'> & { feedName?: string }): ApiToFirehoseIngestion {
  return new ApiToFirehoseIngestion(stack, 'Observations', {
    feedName: 'observations',
    // Disabled, but its period sets the NoRecordsDelivered alarm's: 5 minutes lets it leave ALARM
    // (no data since deployment counts as breaching) within minutes of the test's run.
    schedule: ScheduleExpression.rate(Duration.minutes(5)),
    scheduleOptions: { enabled: false },
    bucketProps: disposableBucketProps(stack),
    ...props,
  });
}
