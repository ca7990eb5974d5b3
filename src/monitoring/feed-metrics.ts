import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The namespace and dimensions the poller publishes its EMF metrics under (Powertools adds `service`). */
export const METRICS_NAMESPACE = 'CdkApiIngestion';
export const METRICS_SERVICE = 'cdk-api-ingestion';

/** One of the poller's per-feed metrics. */
export function feedMetric(feed: string, metricName: string, statistic: string, period?: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE, Feed: feed },
    statistic,
    period,
  });
}

/** Seconds between runs for `rate(...)` schedules; an hour for cron and one-time schedules. */
export function schedulePeriodSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return 3600;
  const unit = match[2].startsWith('minute') ? 60 : match[2].startsWith('hour') ? 3600 : 86400;
  return Number(match[1]) * unit;
}
