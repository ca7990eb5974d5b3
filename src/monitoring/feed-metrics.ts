import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { COLUMN_DIMENSION, FEED_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, RUN_METRICS } from '../feed-spec/poller-contract';

/** A run metric's name (see `RUN_METRICS` in the poller contract). */
export type RunMetric = typeof RUN_METRICS[keyof typeof RUN_METRICS];

/** One of the poller's per-feed metrics. */
export function feedMetric(feed: string, metricName: RunMetric, statistic: string, period?: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE, [FEED_DIMENSION]: feed },
    statistic,
    period,
  });
}

/** A column's share of a run's rows that have a value, in percent (a feed with a schema). */
export function columnFilledMetric(feed: string, column: string, period?: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: RUN_METRICS.columnFilled,
    dimensionsMap: { service: METRICS_SERVICE, [FEED_DIMENSION]: feed, [COLUMN_DIMENSION]: column },
    statistic: 'Minimum',
    period,
    label: column,
  });
}

/** Seconds between runs for `rate(...)` schedules; an hour for cron and one-time schedules. */
export function schedulePeriodSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return 3600;
  const unit = match[2].startsWith('minute') ? 60 : match[2].startsWith('hour') ? 3600 : 86400;
  return Number(match[1]) * unit;
}

/** Firehose's delivery metrics by destination: S3 objects, or an Iceberg table. */
export interface DeliveryMetricNames {
  readonly title: string;
  readonly records: string;
  readonly success: string;
  readonly freshness: string;
  /** Rows Firehose could not write and backed up to S3 (Iceberg only). */
  readonly failedRows?: string;
  /** Records Firehose backed up to the bucket because the destination refused them (failed-only backup). */
  readonly backupRecords?: string;
  /** Alarm when a delivery attempt fails (`success` is the ratio of successful deliveries): destinations Firehose retries. */
  readonly alarmOnFailedDeliveries?: boolean;
}

export const S3_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to S3',
  records: 'DeliveryToS3.Records',
  success: 'DeliveryToS3.Success',
  freshness: 'DeliveryToS3.DataFreshness',
};

export const ICEBERG_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to the Iceberg table',
  records: 'DeliveryToIceberg.SuccessfulRowCount',
  success: 'DeliveryToIceberg.Success',
  freshness: 'DeliveryToIceberg.DataFreshness',
  failedRows: 'DeliveryToIceberg.FailedRowCount',
};

export const HTTP_ENDPOINT_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to the HTTP endpoint',
  records: 'DeliveryToHttpEndpoint.Records',
  success: 'DeliveryToHttpEndpoint.Success',
  freshness: 'DeliveryToHttpEndpoint.DataFreshness',
  backupRecords: 'BackupToS3.Records',
  alarmOnFailedDeliveries: true,
};

export const OPENSEARCH_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to OpenSearch',
  records: 'DeliveryToAmazonOpenSearchService.Records',
  success: 'DeliveryToAmazonOpenSearchService.Success',
  freshness: 'DeliveryToAmazonOpenSearchService.DataFreshness',
  backupRecords: 'BackupToS3.Records',
  alarmOnFailedDeliveries: true,
};

export const OPENSEARCH_SERVERLESS_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to OpenSearch Serverless',
  records: 'DeliveryToAmazonOpenSearchServerless.Records',
  success: 'DeliveryToAmazonOpenSearchServerless.Success',
  freshness: 'DeliveryToAmazonOpenSearchServerless.DataFreshness',
  backupRecords: 'BackupToS3.Records',
  alarmOnFailedDeliveries: true,
};

/**
 * Redshift: the share of successful COPY commands. Firehose publishes no Redshift freshness: the
 * freshness is the intermediate files' (a failed COPY leaves its files' manifest in the error folder).
 */
export const REDSHIFT_DELIVERY_METRICS: DeliveryMetricNames = {
  title: 'Delivered to Redshift',
  records: 'DeliveryToRedshift.Records',
  success: 'DeliveryToRedshift.Success',
  freshness: 'DeliveryToS3.DataFreshness',
  alarmOnFailedDeliveries: true,
};
