import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { columnFilledMetric, DeliveryMetricNames, feedMetric, RunMetric, S3_DELIVERY_METRICS } from './feed-metrics';
import { LIST_PRICES } from '../feed-spec/list-prices';
import { RUN_METRICS } from '../feed-spec/poller-contract';

export interface FeedDashboardProps {
  readonly feed: string;
  readonly pollerFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly deliveryStream: firehose.IDeliveryStream;
  readonly alarms: cloudwatch.IAlarm[];
  /** The poller's memory, for its cost per GB-second. */
  readonly pollerMemoryMb: number;
  /** The spec's schema columns: show what of the records did not fit it, and how filled each column is. */
  readonly schemaColumns?: string[];
  /** The spec has a cursor: show cursor stalls. */
  readonly incremental?: boolean;
  /** The destination's delivery metrics. @default S3's */
  readonly deliveryMetrics?: DeliveryMetricNames;
}

/** Lines in the columns graph: a dashboard graph stays readable (and within CloudWatch's limits) up to about this many. */
const MAX_COLUMN_LINES = 40;

/**
 * One dashboard per feed, read top to bottom the way data flows:
 *
 *   [ alarm status                                                  ]
 *   [ records fetched / delivered / dead-lettered ] [ pages, retries ] [ cursor lag ]
 *   [ data checks: short reads, cursor stalls, empty columns ] [ columns filled (%) ]
 *   [ schema drift, records rejected by the contract (a spec with a schema)        ]
 *   [ poller invocations, errors, throttles ] [ poller duration p50/max ] [ DLQ visible ]
 *   [ Firehose incoming records, bytes ] [ delivered to S3 ] [ freshness, throttled ]
 *   [ estimated cost per day: Firehose (billed bytes), Lambda (GB-seconds, requests)  ]
 */
export class FeedDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: FeedDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const feedSum = (name: RunMetric, label: string) => feedMetric(props.feed, name, 'Sum', period).with({ label });
    const stream = (name: string, label: string, statistic = 'Sum') => props.deliveryStream.metric(name, { period, statistic, label });
    const delivery = props.deliveryMetrics ?? S3_DELIVERY_METRICS;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [new cloudwatch.TextWidget({
          markdown: `# Feed ${props.feed}\nAPI → poller Lambda → Firehose → S3. Dead letters: the SQS queue; redrive with \`api-ingest redrive\`.`,
          width: 24,
          height: 2,
        })],
        ...(props.alarms.length > 0 ? [[new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 3 })]] : []),
        [
          new cloudwatch.GraphWidget({
            title: 'Records',
            left: [feedSum(RUN_METRICS.recordsFetched, 'fetched'), feedSum(RUN_METRICS.recordsDelivered, 'delivered'), feedSum(RUN_METRICS.recordsDeadLettered, 'dead-lettered')],
            width: 10,
          }),
          new cloudwatch.GraphWidget({
            title: 'Requests',
            left: [feedSum(RUN_METRICS.pages, 'pages'), feedSum(RUN_METRICS.retries, 'retries'), feedSum(RUN_METRICS.requestsDeadLettered, 'requests dead-lettered')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Cursor lag (s)',
            left: [feedMetric(props.feed, RUN_METRICS.cursorLag, 'Maximum', period).with({ label: 'max' })],
            width: 6,
          }),
        ],
        this.dataChecksRow(props, feedSum, period),
        ...(props.schemaColumns ? [[new cloudwatch.GraphWidget({
          title: 'Schema drift (fields not in the schema, values of the wrong type) and records the contract rejected',
          left: [feedSum(RUN_METRICS.schemaDrift, 'drift'), feedSum(RUN_METRICS.schemaRejectedRecords, 'rejected')],
          width: 24,
          height: 4,
        })]] : []),
        [
          new cloudwatch.GraphWidget({
            title: 'Poller',
            left: [
              props.pollerFunction.metricInvocations({ period, label: 'invocations' }),
              props.pollerFunction.metricErrors({ period, label: 'errors' }),
              props.pollerFunction.metricThrottles({ period, label: 'throttles' }),
            ],
            width: 10,
          }),
          new cloudwatch.GraphWidget({
            title: 'Poller duration (ms)',
            left: [
              props.pollerFunction.metricDuration({ period, statistic: 'p50', label: 'p50' }),
              props.pollerFunction.metricDuration({ period, statistic: 'Maximum', label: 'max' }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Dead letters waiting',
            left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'visible' })],
            width: 6,
          }),
        ],
        this.firehoseRow(stream, delivery),
        [this.costWidget(props)],
      ],
    });
  }

  /** What Firehose took in, what it delivered, and how fresh and throttled it is. */
  private firehoseRow(
    stream: (name: string, label: string, statistic?: string) => cloudwatch.IMetric, delivery: DeliveryMetricNames,
  ): cloudwatch.IWidget[] {
    return [
      new cloudwatch.GraphWidget({
        title: 'Firehose in',
        left: [stream('IncomingRecords', 'records')],
        right: [stream('IncomingBytes', 'bytes')],
        width: 10,
      }),
      new cloudwatch.GraphWidget({
        title: delivery.title,
        left: [stream(delivery.records, 'records'), ...(delivery.failedRows ? [stream(delivery.failedRows, 'failed rows (backed up)')] : [])],
        right: [stream(delivery.success, 'success ratio', 'Average')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Freshness (s) and throttling',
        left: [stream(delivery.freshness, 'freshness', 'Maximum')],
        right: [stream('ThrottledRecords', 'throttled records')],
        width: 6,
      }),
    ];
  }

  /**
   * Short reads, partitions held (a run that stopped before the API's last page), cursor stalls and
   * empty columns (0 is right), and with a schema each column's filled share.
   */
  private dataChecksRow(
    props: FeedDashboardProps, feedSum: (name: RunMetric, label: string) => cloudwatch.IMetric, period: Duration,
  ): cloudwatch.IWidget[] {
    return [
      new cloudwatch.GraphWidget({
        title: 'Data checks (each a warning of the run: 0 is right)',
        left: [
          feedSum(RUN_METRICS.shortReads, 'short reads'),
          feedSum(RUN_METRICS.partitionsHeld, 'partitions held for the next run'),
          ...(props.incremental ? [feedSum(RUN_METRICS.cursorStalls, 'cursor stalls')] : []),
          ...(props.schemaColumns ? [feedSum(RUN_METRICS.emptyColumns, 'empty columns')] : []),
        ],
        width: props.schemaColumns ? 10 : 24,
        height: 4,
      }),
      ...(props.schemaColumns ? [new cloudwatch.GraphWidget({
        title: `Columns filled (% of a run's rows, lowest)${props.schemaColumns.length > MAX_COLUMN_LINES ? `: the first ${MAX_COLUMN_LINES}` : ''}`,
        left: props.schemaColumns.slice(0, MAX_COLUMN_LINES).map((column) => columnFilledMetric(props.feed, column, period)),
        leftYAxis: { min: 0, max: 100 },
        width: 14,
        height: 4,
      })] : []),
    ];
  }

  /** Firehose and Lambda cost per day, from the bytes the poller reports billed and the poller's duration. */
  private costWidget(props: FeedDashboardProps): cloudwatch.GraphWidget {
    const day = Duration.days(1);
    const gib = 1024 ** 3;
    const p = LIST_PRICES;
    return new cloudwatch.GraphWidget({
      title: `Estimated cost per day (USD, ${p.region} list prices; S3 storage not included)`,
      left: [
        new cloudwatch.MathExpression({
          expression: `billed / ${gib} * ${mathNumber(p.firehosePerGiB)}`,
          usingMetrics: { billed: feedMetric(props.feed, RUN_METRICS.firehoseBytesBilled, 'Sum', day) },
          label: 'Firehose ingestion',
          period: day,
        }),
        new cloudwatch.MathExpression({
          expression: `duration / 1000 * ${mathNumber(props.pollerMemoryMb / 1024)} * ${mathNumber(p.lambdaArmPerGbSecond)}`
            + ` + invocations * ${mathNumber(p.lambdaPerRequest)}`,
          usingMetrics: {
            duration: props.pollerFunction.metricDuration({ period: day, statistic: 'Sum' }),
            invocations: props.pollerFunction.metricInvocations({ period: day, statistic: 'Sum' }),
          },
          label: 'poller Lambda',
          period: day,
        }),
      ],
      width: 24,
    });
  }
}

/**
 * A number as metric math reads it: JavaScript writes small prices in exponent form (`2e-7`), which
 * metric math takes for an identifier `e`.
 */
export function mathNumber(value: number): string {
  return new Intl.NumberFormat('en-US', { useGrouping: false, maximumFractionDigits: 20 }).format(value);
}
