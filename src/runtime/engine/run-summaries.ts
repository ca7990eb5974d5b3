/**
 * Several runs' summaries as one: the passes of a polling loop, or the workers of a distributed
 * run. Counts add up, the cursor lag is the largest, the status is the worst.
 */
import { ColumnStats, MAX_WARNINGS_KEPT, PartitionFailure, RunStatus, RunSummary } from './engine';

/** At most this many partition failures are kept in a summary (a distributed worker's output is bounded). */
export const MAX_FAILURES_KEPT = 20;

const COUNTS = [
  'partitions', 'partitionsFailed', 'pages', 'recordsFetched', 'recordsDelivered', 'recordsDeadLettered', 'requestsDeadLettered',
  'requests', 'retries', 'sinkCalls', 'failedPuts', 'bytesDelivered', 'bytesBilled', 'cursorsCommitted', 'checkpointsSaved', 'shortReads',
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
    cursorStalls: optionalSum(runs, (r) => r.cursorStalls),
    recordsBeforeCursor: optionalSum(runs, (r) => r.recordsBeforeCursor),
    partitionsSkipped: optionalSum(runs, (r) => r.partitionsSkipped),
    columns: sumColumnStats(runs.map((r) => r.columns).filter((c): c is ColumnStats => c !== undefined)),
    warnings: runs.flatMap((r) => r.warnings ?? []).slice(0, MAX_WARNINGS_KEPT),
  };
}

/** Column statistics of several runs as one: counts add up; a column is empty if no run gave it a value. */
function sumColumnStats(stats: ReadonlyArray<ColumnStats>): ColumnStats | undefined {
  if (stats.length === 0) return undefined;
  const byColumn: Record<string, { nonNull: number; wrongType: number }> = {};
  for (const { byColumn: columns } of stats) {
    for (const [name, tally] of Object.entries(columns)) {
      const sum = byColumn[name] ?? (byColumn[name] = { nonNull: 0, wrongType: 0 });
      sum.nonNull += tally.nonNull;
      sum.wrongType += tally.wrongType;
    }
  }
  const rows = stats.reduce((t, s) => t + s.rows, 0);
  // A column some run allowed to be empty (or never counted as empty) is not reported by the sum either.
  const mayBeEmpty = new Set(Object.keys(byColumn)
    .filter((name) => stats.some((s) => s.rows > 0 && s.byColumn[name]?.nonNull === 0 && !s.empty.includes(name))));
  const empty = rows === 0 ? [] : Object.keys(byColumn).filter((name) => byColumn[name].nonNull === 0 && !mayBeEmpty.has(name));
  return { rows, byColumn, empty };
}

/** A run's summary before it has done anything: every count 0 (a skipped run's, a test's starting point). */
export function emptyRunSummary(feed: string, status: RunStatus, durationMs: number): RunSummary {
  const counts = Object.fromEntries(COUNTS.filter((name) => name !== 'shortReads').map((name) => [name, 0])) as Omit<SummedCounts, 'shortReads'>;
  return { feed, status, ...counts, failures: [], durationMs };
}

/** What a run's status is decided by. */
export interface StatusCounts {
  readonly partitions: number;
  readonly partitionsFailed: number;
  readonly shortReads?: number;
  readonly recordsDeadLettered: number;
  /** Why fetching stopped before the API's last page, if it did and records were left for the next run. */
  readonly stoppedEarly?: string;
}

/**
 * A run's status: `succeeded` only when every partition reached the API's last page and every
 * record is in the destination. A run that stopped before the end (records left for the next
 * run, from a checkpoint) is `partial`, as one with a failed partition or a short read is.
 */
export function runStatus(counts: StatusCounts): RunStatus {
  if (counts.partitions > 0 && counts.partitionsFailed === counts.partitions) return 'failed';
  if (counts.partitionsFailed > 0 || (counts.shortReads ?? 0) > 0 || counts.stoppedEarly !== undefined) return 'partial';
  return counts.recordsDeadLettered > 0 ? 'completedWithDeadLetters' : 'succeeded';
}

const SEVERITY: RunStatus[] = ['skipped', 'succeeded', 'completedWithDeadLetters', 'partial', 'failed'];

function worstStatus(statuses: RunStatus[]): RunStatus {
  return statuses.reduce((worst, s) => (SEVERITY.indexOf(s) > SEVERITY.indexOf(worst) ? s : worst), 'skipped' as RunStatus);
}

/** The sum of a count some runs have, or undefined when none has it (the feed does not measure it). */
function optionalSum(runs: ReadonlyArray<RunSummary>, count: (run: RunSummary) => number | undefined): number | undefined {
  return runs.some((r) => count(r) !== undefined) ? runs.reduce((t, r) => t + (count(r) ?? 0), 0) : undefined;
}
