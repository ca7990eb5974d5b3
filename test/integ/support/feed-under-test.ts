/**
 * What every integration test asserts about a feed, in the same order a user would check it:
 * run the feed as its schedule runs it (or as a caller starts it), then wait until the destination
 * holds exactly the records the fixture API offered, the dead-letter queue is empty, the run lease
 * is released and every alarm of the feed is OK.
 */
import { ExpectedResult, IApiCall, IntegTest, InvocationType, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Checker } from './checker';
import { ApiToFirehoseIngestion } from '../../../src';
import { DeliveryMetricNames } from '../../../src/monitoring/feed-metrics';

/** How the checker reads the destination (the `read` field of its event). */
export type DestinationRead =
  | { kind: 's3'; bucket: string; prefix: string; idPath: string }
  | { kind: 'athena'; database: string; table: string; column: string; workGroup: string; output: string; folders?: { bucket: string; prefix: string } }
  | { kind: 'search'; endpoint: string; index: string; idPath: string; service: 'es' | 'aoss'; checkDocumentIds?: boolean }
  | { kind: 'redshift'; workgroupName: string; database: string; sql: string; secretArn: string };

export interface FeedUnderTestProps {
  readonly feed: ApiToFirehoseIngestion;
  readonly checker: Checker;
  readonly read: DestinationRead;
  /** The ids the destination must hold, sorted (fixture-data.ts `expectedIds`). */
  readonly expectedIds: string[];
  /** Other fields the checker's verdict must have (e.g. `documentIdIsRecordId: true`). */
  readonly expectedExtra?: Record<string, unknown>;
  /**
   * The Firehose metrics the feed's alarms and dashboard read for its destination
   * (src/monitoring/feed-metrics.ts), which Firehose must have published after the run.
   */
  readonly deliveryMetrics: DeliveryMetricNames;
  /**
   * How long Firehose may take to deliver (its buffering interval plus the destination's own load).
   *
   * @default Duration.minutes(20)
   */
  readonly deliveryTimeout?: Duration;
}

/**
 * Starts one run of the feed exactly as its schedule would: the checker reads the schedule's own
 * input and invokes the poller with it, and answers the run's status (a green run is `succeeded`,
 * nothing less; otherwise the whole summary, to read in the failure).
 */
export function runAsScheduled(integ: IntegTest, feed: ApiToFirehoseIngestion, checker: Checker, after?: IApiCall): IApiCall {
  const schedule = feed.schedule as scheduler.Schedule;
  checker.grant(new iam.PolicyStatement({ actions: ['scheduler:GetSchedule'], resources: [schedule.scheduleArn] }));
  feed.pollerFunction.grantInvoke(checker.fn);
  const run = integ.assertions.invokeFunction({
    functionName: checker.fn.functionName,
    invocationType: InvocationType.REQUEST_RESPONSE,
    payload: Stack.of(feed).toJsonString({ runScheduled: { scheduleName: schedule.scheduleName, functionName: feed.pollerFunction.functionName } }),
  });
  run.expect(ExpectedResult.objectLike({ Payload: Match.serializedJson({ status: 'succeeded' }) }));
  after?.next(run);
  return run;
}

/** Starts a run through the feed's run endpoint (a POST signed as a caller allowed by grantStartRun). */
export function runThroughEndpoint(integ: IntegTest, feed: ApiToFirehoseIngestion, checker: Checker, body: object): IApiCall {
  feed.grantStartRun(checker.fn);
  const start = integ.assertions.invokeFunction({
    functionName: checker.fn.functionName,
    invocationType: InvocationType.REQUEST_RESPONSE,
    payload: Stack.of(feed).toJsonString({ post: { url: feed.runEndpointUrl, body } }),
  });
  start.expect(ExpectedResult.objectLike({ Payload: Match.serializedJson({ status: 202 }) }));
  return start;
}

/**
 * Installs what the feed's documentation asks an OpenSearch user to install before the first
 * delivery (the index template and the ingest pipeline), through the checker, signed as its role.
 */
export function setUpSearch(integ: IntegTest, checker: Checker, endpoint: string, service: 'es' | 'aoss', steps: Array<{ path: string; body: string }>): IApiCall {
  const setup = integ.assertions.invokeFunction({
    functionName: checker.fn.functionName,
    invocationType: InvocationType.REQUEST_RESPONSE,
    payload: Stack.of(checker).toJsonString({ read: { kind: 'search', endpoint, index: '', idPath: '', service, setup: steps } }),
  });
  setup.expect(ExpectedResult.objectLike({ Payload: Match.serializedJson({ ids: [], setUp: steps.map((step) => step.path) }) }));
  return setup;
}

/** After `run`, waits for the destination and the feed's state to be exactly as expected. */
export function expectDelivered(integ: IntegTest, run: IApiCall, props: FeedUnderTestProps): IApiCall {
  const { feed, checker } = props;
  feed.deadLetterQueue.grant(checker.fn, 'sqs:GetQueueAttributes');
  feed.stateTable.grantReadData(checker.fn);
  checker.grant(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: feed.alarms.map((alarm) => alarm.alarmArn) }));
  // ListMetrics has no resource-level permission.
  checker.grant(new iam.PolicyStatement({ actions: ['cloudwatch:ListMetrics'], resources: ['*'] }));
  const verdict = integ.assertions.invokeFunction({
    functionName: checker.fn.functionName,
    invocationType: InvocationType.REQUEST_RESPONSE,
    payload: Stack.of(feed).toJsonString({
      read: props.read,
      state: {
        queueUrl: feed.deadLetterQueue.queueUrl,
        stateTable: feed.stateTable.tableName,
        feed: feed.feedName,
        alarmNames: feed.alarms.map((alarm) => alarm.alarmName),
        deliveryStreamName: feed.deliveryStream.deliveryStreamName,
      },
    }),
  });
  verdict.expect(ExpectedResult.objectLike({
    Payload: Match.serializedJson(Match.objectLike({
      ids: props.expectedIds,
      ...props.expectedExtra,
      deadLetters: 0,
      leaseHeld: false,
      alarmsNotOk: [],
      firehoseMetrics: Match.arrayWith(deliveryMetricNames(props.deliveryMetrics)),
    })),
  }));
  // Firehose buffers before it writes, and an alarm needs an evaluation period to leave INSUFFICIENT_DATA.
  verdict.waitForAssertions({ totalTimeout: props.deliveryTimeout ?? Duration.minutes(20), interval: Duration.seconds(30), backoffRate: 1 });
  run.next(verdict);
  return verdict;
}

/** The metric names of a destination the feed reads, sorted as the checker lists them. */
function deliveryMetricNames(metrics: DeliveryMetricNames): string[] {
  return [...new Set([metrics.records, metrics.success, metrics.freshness])].sort();
}
