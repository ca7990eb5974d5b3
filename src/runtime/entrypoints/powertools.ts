/**
 * Powertools for AWS Lambda behind the engine's small interfaces: structured JSON logs (with the
 * redactor applied to every message and field) and CloudWatch metrics in EMF.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { COLUMN_DIMENSION, FEED_DIMENSION, RUN_METRICS } from '../../feed-spec/poller-contract';
import type { RunSummary } from '../engine/engine';
import type { LogFields, Logger } from '../ports/logger';
import type { Redactor } from '../ports/redactor';

export function powertoolsLogger(logger: PowertoolsLogger, redactor: Redactor): Logger {
  const clean = (fields: LogFields = {}) => redactor.redactValue(fields);
  return {
    info: (message, fields) => logger.info(redactor.redact(message), clean(fields)),
    warn: (message, fields) => logger.warn(redactor.redact(message), clean(fields)),
    error: (message, fields) => logger.error(redactor.redact(message), clean(fields)),
  };
}

/** One EMF document per run, dimensioned by feed. */
/** The run's metrics; `itemsFailed` for a distributed run (its work items whose worker failed). */
export function publishRunMetrics(metrics: Metrics, summary: RunSummary, itemsFailed?: number): void {
  metrics.addDimension(FEED_DIMENSION, summary.feed);
  metrics.addMetric(RUN_METRICS.recordsFetched, MetricUnit.Count, summary.recordsFetched);
  metrics.addMetric(RUN_METRICS.recordsDelivered, MetricUnit.Count, summary.recordsDelivered);
  metrics.addMetric(RUN_METRICS.recordsDeadLettered, MetricUnit.Count, summary.recordsDeadLettered);
  metrics.addMetric(RUN_METRICS.requestsDeadLettered, MetricUnit.Count, summary.requestsDeadLettered);
  metrics.addMetric(RUN_METRICS.pages, MetricUnit.Count, summary.pages);
  metrics.addMetric(RUN_METRICS.retries, MetricUnit.Count, summary.retries);
  metrics.addMetric(RUN_METRICS.firehoseFailedPuts, MetricUnit.Count, summary.failedPuts);
  metrics.addMetric(RUN_METRICS.firehoseBytesBilled, MetricUnit.Bytes, summary.bytesBilled);
  metrics.addMetric(RUN_METRICS.partitionsFailed, MetricUnit.Count, summary.partitionsFailed);
  metrics.addMetric(RUN_METRICS.partitionsHeld, MetricUnit.Count, summary.partitionsHeld?.length ?? 0);
  metrics.addMetric(RUN_METRICS.runDuration, MetricUnit.Milliseconds, summary.durationMs);
  if (summary.schemaDrift) {
    metrics.addMetric(RUN_METRICS.schemaDrift, MetricUnit.Count, summary.schemaDrift.unknownFields + summary.schemaDrift.typeMismatches);
    metrics.addMetric(RUN_METRICS.schemaRejectedRecords, MetricUnit.Count, summary.schemaDrift.recordsRejected);
  }
  if (summary.cursorLagSeconds !== undefined) {
    metrics.addMetric(RUN_METRICS.cursorLag, MetricUnit.Seconds, summary.cursorLagSeconds);
  }
  if (itemsFailed !== undefined) metrics.addMetric(RUN_METRICS.itemsFailed, MetricUnit.Count, itemsFailed);
  metrics.addMetric(RUN_METRICS.shortReads, MetricUnit.Count, summary.shortReads ?? 0);
  if (summary.cursorStalls !== undefined) metrics.addMetric(RUN_METRICS.cursorStalls, MetricUnit.Count, summary.cursorStalls);
  if (summary.columns) metrics.addMetric(RUN_METRICS.emptyColumns, MetricUnit.Count, summary.columns.empty.length);
  metrics.publishStoredMetrics();
  publishColumnMetrics(metrics, summary);
}

/** With a schema: each column's filled share of the run's rows, one EMF document per column (dimensions Feed and Column). */
function publishColumnMetrics(metrics: Metrics, summary: RunSummary): void {
  const { columns } = summary;
  if (!columns || columns.rows === 0) return;
  for (const [name, tally] of Object.entries(columns.byColumn)) {
    const single = metrics.singleMetric();
    single.addDimensions({ [FEED_DIMENSION]: summary.feed, [COLUMN_DIMENSION]: name });
    single.addMetric(RUN_METRICS.columnFilled, MetricUnit.Percent, (100 * tally.nonNull) / columns.rows);
  }
}
