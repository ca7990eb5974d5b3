import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeliveryMetricNames, feedMetric, S3_DELIVERY_METRICS } from './feed-metrics';
import { RUN_METRICS } from '../feed-spec/poller-contract';

export interface FeedAlarmsProps {
  readonly feed: string;
  readonly pollerFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly deliveryStream: firehose.IDeliveryStream;
  readonly schedulePeriodSeconds: number;
  readonly noRecordsPeriods: number;
  readonly freshnessThreshold: Duration;
  readonly topic?: sns.ITopic;
  /** Alarm when records do not fit the spec's schema (fields not in it, values of the wrong type). */
  readonly schemaDrift?: boolean;
  /** The destination's delivery metrics. @default S3's */
  readonly deliveryMetrics?: DeliveryMetricNames;
  /** The spec has a schema: alarm when a column is empty in every row of a run (`EmptyColumns`). */
  readonly schema?: boolean;
  /** The spec has a cursor: alarm when records arrive but the cursor cannot advance (`CursorStalls`). */
  readonly incremental?: boolean;
}

/**
 * The alarms a feed's operators need: the poller fails, dead letters wait, Firehose falls
 * behind or throttles, or nothing has been delivered for several schedule periods.
 */
export class FeedAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FeedAlarmsProps) {
    super(scope, id);
    const feed = props.feed;
    const add = (alarmId: string, options: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, options);
      if (props.topic) {
        alarm.addAlarmAction(new actions.SnsAction(props.topic));
        alarm.addOkAction(new actions.SnsAction(props.topic));
      }
      this.alarms.push(alarm);
    };

    add('PollerErrors', {
      alarmDescription: `${feed}: the poller Lambda failed (after its retries, the invocation goes to the dead-letter queue)`,
      metric: props.pollerFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add('DeadLettersVisible', {
      alarmDescription: `${feed}: dead letters are waiting in the queue; read them and redrive (see the README)`,
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const delivery = props.deliveryMetrics ?? S3_DELIVERY_METRICS;
    // Firehose's own metrics, per 5 minutes: one period decides, and no data (nothing delivered) is no alarm.
    const onStream = (alarmId: string, alarmDescription: string, metricName: string, statistic: string,
      comparisonOperator: cloudwatch.ComparisonOperator, threshold = 1) => add(alarmId, {
      alarmDescription,
      metric: props.deliveryStream.metric(metricName, { period: Duration.minutes(5), statistic }),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const destination = delivery.title.replace(/^Delivered /, '');
    onStream('DeliveryFreshness',
      `${feed}: Firehose is late delivering ${destination} (oldest record older than ${props.freshnessThreshold.toHumanString()})`,
      delivery.freshness, 'Maximum', cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, props.freshnessThreshold.toSeconds());
    onStream('ThrottledRecords', `${feed}: Firehose throttled records (the poller slows down and retries; sustained throttling needs a quota increase)`,
      'ThrottledRecords', 'Sum', cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    // CloudWatch alarms look back at most one day.
    const period = Math.max(60, Math.min(props.schedulePeriodSeconds, 86400 / props.noRecordsPeriods));
    add('NoRecordsDelivered', {
      alarmDescription: `${feed}: no records delivered for ${props.noRecordsPeriods} schedule periods`,
      metric: feedMetric(feed, RUN_METRICS.recordsDelivered, 'Sum', Duration.seconds(Math.floor(period / 60) * 60)),
      threshold: 1,
      evaluationPeriods: props.noRecordsPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    if (delivery.failedRows) {
      onStream('FailedRows', `${feed}: Firehose could not write rows into the table and backed them up to the bucket's error folder (errors/feed=${feed}/)`,
        delivery.failedRows, 'Sum', cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    }
    if (delivery.alarmOnFailedDeliveries) {
      onStream('DeliveryFailures', `${feed}: Firehose failed deliveries ${destination} and is retrying them; `
        + 'the delivery log group says why (access, mapping, COPY error)', delivery.success, 'Minimum', cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD);
    }
    if (delivery.backupRecords) {
      onStream('BackedUpRecords', `${feed}: the destination refused records and Firehose backed them up to the bucket (backups/feed=${feed}/); `
        + 'fix the cause, then re-send them from there', delivery.backupRecords, 'Sum', cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    }
    this.addRunChecks(props, add);
    if (props.schemaDrift) {
      add('SchemaDrift', {
        alarmDescription: `${feed}: records do not fit the schema (fields not in it, or values of the wrong type); `
          + 'the run log names them: add them to the schema (api-ingest infer-schema proposes one)',
        metric: feedMetric(feed, RUN_METRICS.schemaDrift, 'Sum', Duration.minutes(5)),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }

  /** What makes a run less than right though it delivered, each a warning in the run's summary and log: one alarm each. */
  private addRunChecks(props: FeedAlarmsProps, add: (alarmId: string, options: cloudwatch.AlarmProps) => void): void {
    const runCheck = (alarmId: string, metricName: typeof RUN_METRICS[keyof typeof RUN_METRICS], alarmDescription: string) => add(alarmId, {
      alarmDescription,
      metric: feedMetric(props.feed, metricName, 'Sum', Duration.minutes(5)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    runCheck('ShortReads', RUN_METRICS.shortReads, `${props.feed}: a run delivered fewer records or pages than the API said it has (a partial run; `
      + 'the cursor stayed, so the next run fetches the window again); the run log names the partition and both numbers');
    if (props.incremental) {
      runCheck('CursorStalls', RUN_METRICS.cursorStalls, `${props.feed}: records arrived but the cursor could not advance (no readable cursor value, `
        + 'or every record older than the cursor asked from): every run fetches the same records; check incremental.cursorPath and the API\'s filter');
    }
    if (props.schema) {
      runCheck('EmptyColumns', RUN_METRICS.emptyColumns, `${props.feed}: a column of the schema was null in every row of a run that delivered rows; `
        + 'the run log names it: check its path (or the transform), or mark it allowEmpty');
    }
  }
}
