import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { FEED_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, RUN_METRICS } from '../feed-spec/poller-contract';

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

/** Seconds between runs for `rate(...)` schedules; an hour for cron and one-time schedules. */
export function schedulePeriodSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return 3600;
  const unit = match[2].startsWith('minute') ? 60 : match[2].startsWith('hour') ? 3600 : 86400;
  return Number(match[1]) * unit;
}
