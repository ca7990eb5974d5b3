/**
 * Several runs' summaries as one: the passes of a polling loop, or the workers of a distributed
 * run. Counts add up, the cursor lag is the largest, the status is the worst.
 */
import type { PartitionFailure, RunStatus, RunSummary } from './engine';

/** At most this many partition failures are kept in a summary (a distributed worker's output is bounded). */
export const MAX_FAILURES_KEPT = 20;

const COUNTS = [
  'partitions', 'partitionsFailed', 'pages', 'recordsFetched', 'recordsDelivered', 'recordsDeadLettered', 'requestsDeadLettered',
  'requests', 'retries', 'sinkCalls', 'failedPuts', 'bytesDelivered', 'bytesBilled', 'cursorsCommitted', 'checkpointsSaved',
] as const;

export type SummedCounts = Record<typeof COUNTS[number], number>;

export function sumRunSummaries(feed: string, runs: ReadonlyArray<RunSummary>, durationMs: number): RunSummary {
  const sum = Object.fromEntries(COUNTS.map((name) => [name, runs.reduce((total, r) => total + (r[name] ?? 0), 0)])) as SummedCounts;
  const lags = runs.map((r) => r.cursorLagSeconds).filter((lag): lag is number => lag !== undefined);
  const drifts = runs.map((r) => r.schemaDrift).filter((d) => d !== undefined);
  const transforms = runs.map((r) => r.transform).filter((t) => t !== undefined);
  const failures: PartitionFailure[] = runs.flatMap((r) => r.failures).slice(0, MAX_FAILURES_KEPT);
  return {
    feed,
    status: worstStatus(runs.map((r) => r.status)),
    ...sum,
    failures,
    // How far behind the feed is: its partition furthest behind.
    cursorLagSeconds: lags.length > 0 ? Math.max(...lags) : undefined,
    stoppedEarly: runs.find((r) => r.stoppedEarly)?.stoppedEarly,
    schemaDrift: drifts.length > 0 ? {
      unknownFields: drifts.reduce((t, d) => t + d!.unknownFields, 0),
      typeMismatches: drifts.reduce((t, d) => t + d!.typeMismatches, 0),
      recordsWithDrift: drifts.reduce((t, d) => t + d!.recordsWithDrift, 0),
      recordsRejected: drifts.reduce((t, d) => t + d!.recordsRejected, 0),
      examples: drifts.flatMap((d) => d!.examples).slice(0, 5),
    } : undefined,
    transform: transforms.length > 0 ? {
      recordsIn: transforms.reduce((t, x) => t + x!.recordsIn, 0),
      recordsOut: transforms.reduce((t, x) => t + x!.recordsOut, 0),
      recordsFiltered: transforms.reduce((t, x) => t + x!.recordsFiltered, 0),
      errors: transforms.reduce((t, x) => t + x!.errors, 0),
    } : undefined,
    durationMs,
  };
}

const SEVERITY: RunStatus[] = ['skipped', 'succeeded', 'completedWithDeadLetters', 'partial', 'failed'];

function worstStatus(statuses: RunStatus[]): RunStatus {
  return statuses.reduce((worst, s) => (SEVERITY.indexOf(s) > SEVERITY.indexOf(worst) ? s : worst), 'skipped' as RunStatus);
}
