/**
 * The event the schedule sends to the poller Lambda. The schedule's input carries the spec, so
 * the Lambda needs no other place to read it from (and no extra permission).
 */
import type { BackfillRequest, TimeWindow } from './backfill';
import { FeedSpecInput } from './feed-spec';

export interface PollerEvent {
  /** The feed spec, JSON form. */
  readonly spec: FeedSpecInput;
  /** When the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`); absent on a manual run. */
  readonly scheduledTime?: string;
  /** Scheduler's `<aws.scheduler.execution-id>`: the same for every delivery of one firing. */
  readonly executionId?: string;
  /**
   * Near-real-time polling (`pollInterval`): poll every `everySeconds` within the invocation, for
   * `forSeconds` from the scheduled time (the schedule's period), under one lease.
   */
  readonly poll?: { readonly everySeconds: number; readonly forSeconds: number };
  /**
   * A run on demand for some partitions only: each must be one of the feed's own (its static list,
   * or its parent request's records). Absent from scheduled runs.
   */
  readonly partitions?: ReadonlyArray<Readonly<Record<string, string>>>;
  /**
   * A backfill (distributed mode only): the plan lists every window of the range times every
   * partition, and the workers fetch each in its window with the window's own state.
   */
  readonly backfill?: BackfillRequest;
}

/**
 * Whether `value` is a run on demand's list of partitions: a non-empty list of objects of strings
 * (the shape only; the engine checks each is one of the feed's own). The run endpoint's inline
 * code checks the same shape; it cannot import this module.
 */
export function isPartitionList(value: unknown): value is ReadonlyArray<Readonly<Record<string, string>>> {
  return Array.isArray(value) && value.length > 0 && value.every((p) => p !== null && typeof p === 'object' && !Array.isArray(p)
    && Object.values(p).every((field) => typeof field === 'string'));
}

/**
 * EventBridge Scheduler documents "the maximum size of the `Input` field is 256 KB" (Scheduler
 * API reference, `Target.Input`). The spec travels inside it, so the construct checks the size of
 * the serialized event (UTF-8 bytes) against this limit at synth.
 */
export const SCHEDULER_INPUT_MAX_BYTES = 256 * 1024;

/**
 * The scheduler execution an event serves, if any: a run started by hand with the schedule's
 * input still carries Scheduler's placeholder (`<aws.scheduler.execution-id>`), which is none.
 */
export function scheduledExecutionId(event: Pick<PollerEvent, 'executionId'>): string | undefined {
  return event.executionId && !event.executionId.startsWith('<') ? event.executionId : undefined;
}

/** When the schedule fired, if the event says (epoch ms); a placeholder or a missing time is none. */
export function scheduledTimeMs(event: Pick<PollerEvent, 'scheduledTime'>): number | undefined {
  const ms = event.scheduledTime ? Date.parse(event.scheduledTime) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The event of a run on demand, made from the schedule's own input (where the spec is): a run
 * now, with its own time and execution id, the partitions or backfill asked for, and one poll
 * rather than a polling loop. (The run endpoint's inline code makes the same event; it cannot
 * import this module.)
 */
export function onDemandEvent(scheduleInput: PollerEvent, run: {
  readonly executionId: string;
  readonly now: Date;
  readonly partitions?: PollerEvent['partitions'];
  readonly backfill?: BackfillRequest;
}): PollerEvent {
  const { poll: _poll, partitions: _partitions, backfill: _backfill, ...scheduled } = scheduleInput;
  return {
    ...scheduled,
    scheduledTime: run.now.toISOString(),
    executionId: run.executionId,
    ...(run.partitions ? { partitions: run.partitions } : {}),
    ...(run.backfill ? { backfill: run.backfill } : {}),
  };
}

/**
 * A distributed run (`ExecutionMode.distributed()`), step by step. The state machine calls the
 * same poller function in three modes: `plan` lists the run's work items as JSON Lines in the
 * feed's bucket and takes the feed's lease; the Distributed Map reads them and calls `slice`
 * with each batch; `aggregate` reads the Map's results, reports the run and gives the lease back.
 * The runtime and the construct both read these shapes from here.
 */
export interface PlanEvent {
  readonly mode: 'plan';
  /** The state machine's execution name: the run's id, its lease holder and its control folder. */
  readonly runId: string;
  /** The execution's input: the schedule's event, or a run on demand's (with `partitions`). */
  readonly request: PollerEvent;
}

/** One work item: a partition of the run (`null` for a feed without partitions), in a backfill's window. */
export interface WorkItem {
  readonly partition: Readonly<Record<string, string>> | null;
  /** A backfill's window: the partition is fetched in it, with the window's own state. */
  readonly window?: TimeWindow;
}

/** What the plan step returns to the state machine. */
export interface RunPlan {
  readonly runId: string;
  /** Why the run does nothing (another run holds the lease, or this execution completed), if it does nothing. */
  readonly skipped?: string;
  /** Work items in the run. */
  readonly items: number;
  /** The bucket of the work items and results (the feed's bucket). */
  readonly bucket: string;
  /** The JSON Lines file of work items, in the feed's bucket. */
  readonly itemsKey: string;
  /** Where the Distributed Map writes its results. */
  readonly resultsPrefix: string;
  /** When the plan started (epoch ms): the run's duration is measured from it. */
  readonly startedAt: number;
  /** The backfill the run is, if it is one: its lease is the backfill's, not the feed's. */
  readonly backfill?: BackfillRequest;
  /**
   * SHA-256 (hex) of the work items file as the plan wrote it. It travels in the execution's state,
   * which the bucket's writers cannot change: a slice runs only items of a file with this digest.
   */
  readonly itemsSha256?: string;
}

/** What the Distributed Map's item batcher sends each worker. */
export interface SliceEvent {
  readonly Items: ReadonlyArray<WorkItem>;
  /** With the run's plan: the slice runs only items the plan made (see `RunPlan.itemsSha256`). */
  readonly BatchInput: PollerEvent & { readonly mode: 'slice'; readonly runId: string; readonly plan?: RunPlan };
}

export interface AggregateEvent extends PollerEvent {
  readonly mode: 'aggregate';
  readonly plan: RunPlan;
  /**
   * The Map state's output: where it wrote its results, or, when it failed (more failed items
   * than tolerated), its error, and the run is reported failed.
   */
  readonly map?: { readonly Error?: string; readonly Cause?: string; readonly MapRunArn?: string };
}

/** The folder of a feed's bucket where distributed runs keep their work items and results. */
export function runControlPrefix(feed: string, runId: string): string {
  return `control/feed=${feed}/runs/${runId}/`;
}

/** The feed's control folder (the poller's grant). */
export function feedControlPrefix(feed: string): string {
  return `control/feed=${feed}/`;
}
