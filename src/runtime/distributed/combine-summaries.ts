/**
 * A distributed run's summary from its workers' summaries: counts add up (engine/run-summaries.ts),
 * and work items whose worker failed (after Step Functions' retries) make the run partial, or
 * failed when nothing completed or the Map itself failed.
 */
import type { RunStatus, RunSummary } from '../engine/engine';
import { MAX_FAILURES_KEPT, runStatus, sumRunSummaries } from '../engine/run-summaries';

export interface DistributedRunSummary extends RunSummary {
  readonly runId: string;
  /** Work items in the plan. */
  readonly items: number;
  /** Work items whose worker failed (the Map's failed child executions). */
  readonly itemsFailed: number;
}

/** A worker's summary, made small enough for a Map child's output (256 KiB). */
export function sliceOutput(summary: RunSummary): RunSummary {
  return { ...summary, failures: summary.failures.slice(0, MAX_FAILURES_KEPT) };
}

export function combineSummaries(props: {
  readonly feed: string;
  readonly runId: string;
  readonly items: number;
  readonly itemsFailed: number;
  readonly workers: ReadonlyArray<RunSummary>;
  readonly durationMs: number;
  /** The Map itself failed (too many failed items): the run is failed whatever completed. */
  readonly mapFailed?: boolean;
}): DistributedRunSummary {
  const sum = sumRunSummaries(props.feed, props.workers, props.durationMs);
  const completedItems = props.items - props.itemsFailed;
  const nothingCompleted = (props.items > 0 && completedItems === 0) || (sum.partitions > 0 && sum.partitionsFailed === sum.partitions);
  const status: RunStatus = props.mapFailed || nothingCompleted ? 'failed'
    : props.itemsFailed > 0 ? 'partial'
      : runStatus(sum);
  return { ...sum, status, runId: props.runId, items: props.items, itemsFailed: props.itemsFailed };
}
