/**
 * Powertools for AWS Lambda behind the engine's small interfaces: structured JSON logs (with the
 * redactor applied to every message and field) and CloudWatch metrics in EMF.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RunSummary } from '../engine/engine';
import type { LogFields, Logger } from '../engine/logger';
import type { Redactor } from '../engine/redactor';

export function powertoolsLogger(logger: PowertoolsLogger, redactor: Redactor): Logger {
  const clean = (fields: LogFields = {}) => redactor.redactValue(fields);
  return {
    info: (message, fields) => logger.info(redactor.redact(message), clean(fields)),
    warn: (message, fields) => logger.warn(redactor.redact(message), clean(fields)),
    error: (message, fields) => logger.error(redactor.redact(message), clean(fields)),
  };
}

/** One EMF document per run, dimensioned by feed. */
export function publishRunMetrics(metrics: Metrics, summary: RunSummary): void {
  metrics.addDimension('Feed', summary.feed);
  metrics.addMetric('RecordsFetched', MetricUnit.Count, summary.recordsFetched);
  metrics.addMetric('RecordsDelivered', MetricUnit.Count, summary.recordsDelivered);
  metrics.addMetric('RecordsDeadLettered', MetricUnit.Count, summary.recordsDeadLettered);
  metrics.addMetric('RequestsDeadLettered', MetricUnit.Count, summary.requestsDeadLettered);
  metrics.addMetric('Pages', MetricUnit.Count, summary.pages);
  metrics.addMetric('Retries', MetricUnit.Count, summary.retries);
  metrics.addMetric('FirehoseFailedPuts', MetricUnit.Count, summary.failedPuts);
  metrics.addMetric('PartitionsFailed', MetricUnit.Count, summary.partitionsFailed);
  metrics.addMetric('RunDuration', MetricUnit.Milliseconds, summary.durationMs);
  if (summary.cursorLagSeconds !== undefined) {
    metrics.addMetric('CursorLag', MetricUnit.Seconds, summary.cursorLagSeconds);
  }
  metrics.publishStoredMetrics();
}
