/**
 * The three steps of a distributed run, as the state machine calls them (see
 * `feed-spec/poller-event.ts` for the shapes):
 *
 * - plan: takes the feed's lease for the run (so two runs never overlap; a duplicate delivery of
 *   a completed scheduler execution does nothing), lists the partitions, and writes one work item
 *   per line to the run's control folder for the Distributed Map's JSONL item reader;
 * - slice: one worker's batch of items: those partitions, with the shared rate budget, cursors
 *   and checkpoints as in a single run, no lease of its own;
 * - aggregate: reads the Map's result files (Step Functions' ResultWriter: a manifest and
 *   SUCCEEDED/FAILED files), sums the workers' summaries, keeps the run's summary next to its
 *   items, and gives the lease back, marking the execution completed only if every item completed.
 *
 * The Map's results are data, not instructions: only the summaries' counts are read from them.
 */
import { combineSummaries, DistributedRunSummary, sliceOutput } from './combine-summaries';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import type { AggregateEvent, PlanEvent, RunPlan, SliceEvent, WorkItem } from '../../feed-spec/poller-event';
import { runControlPrefix, scheduledExecutionId } from '../../feed-spec/poller-event';
import { EngineOptions, planPartitions, runPartitions, RunSummary } from '../engine/engine';
import type { ObjectStore } from '../ports/object-store';

/** Longest a distributed run may hold the feed's lease (the state machine's own timeout is shorter). */
export const DEFAULT_RUN_LEASE_MS = 6 * 60 * 60_000;

export interface StepDependencies {
  readonly objects: ObjectStore;
  /** The bucket `objects` is in (the plan names it for the state machine's reader and writer). */
  readonly bucket: string;
  /** Engine options for this step (state, secrets, sink for a slice, logger, clock...). */
  readonly engine: EngineOptions;
  readonly now: () => number;
  readonly runLeaseMs?: number;
}

export async function planRun(spec: FeedSpec, event: PlanEvent, deps: StepDependencies): Promise<RunPlan> {
  const startedAt = deps.now();
  const prefix = runControlPrefix(spec.feed, event.runId);
  const plan = { runId: event.runId, bucket: deps.bucket, itemsKey: `${prefix}items.jsonl`, resultsPrefix: `${prefix}results`, startedAt };
  const leaseUntil = new Date(startedAt + (deps.runLeaseMs ?? DEFAULT_RUN_LEASE_MS));
  const lease = await deps.engine.state.acquireLease(spec.feed, event.runId, leaseUntil, scheduledExecutionId(event.request));
  if (!lease.acquired) {
    const skipped = lease.reason === 'duplicate'
      ? `execution ${lease.executionId} already completed (a duplicate delivery): nothing to do`
      : `another run (${lease.heldBy}) holds the feed's lease until ${lease.expiresAt}`;
    deps.engine.logger.info('run skipped', { feed: spec.feed, runId: event.runId, reason: skipped });
    return { ...plan, items: 0, skipped };
  }
  try {
    const partitions = await planPartitions(spec, deps.engine);
    const items: WorkItem[] = partitions.map((partition) => ({ partition }));
    await deps.objects.put(plan.itemsKey, items.map((item) => `${JSON.stringify(item)}\n`).join(''), 'application/x-ndjson');
    deps.engine.logger.info('run planned', { feed: spec.feed, runId: event.runId, items: items.length });
    return { ...plan, items: items.length };
  } catch (err) {
    // No run will follow this plan: give the lease back now rather than at its expiry.
    await deps.engine.state.releaseLease(spec.feed, event.runId);
    throw err;
  }
}

/** Marks the worker's summary in a failed slice's error message, for the aggregate step to count. */
export const SLICE_SUMMARY_MARKER = 'slice summary: ';

/** A batch with a failed partition fails: the Map counts it, and redriving the Map Run runs it again. */
export class SliceFailedError extends Error {
  constructor(summary: RunSummary) {
    super(`${summary.partitionsFailed} of ${summary.partitions} partitions failed `
      + `(${summary.failures.map((f) => f.error).slice(0, 3).join('; ')}); ${SLICE_SUMMARY_MARKER}${JSON.stringify(sliceOutput(summary))}`);
    this.name = 'SliceFailed';
  }
}

export async function runSlice(spec: FeedSpec, event: SliceEvent, deps: StepDependencies): Promise<RunSummary> {
  const partitions = event.Items.map((item) => item.partition);
  const summary = await runPartitions(spec, partitions, deps.engine);
  if (summary.partitionsFailed > 0) throw new SliceFailedError(summary);
  return sliceOutput(summary);
}

/** The Map's result files, as Step Functions' ResultWriter writes them. */
interface ResultManifest {
  readonly ResultFiles?: Readonly<Record<string, ReadonlyArray<{ readonly Key: string }>>>;
}
interface ChildExecution {
  readonly Status?: string;
  readonly Input?: string;
  readonly Output?: string;
  /** A failed child's error: Lambda's `{"errorMessage": …}` document, or the message itself. */
  readonly Cause?: string;
}

export async function aggregateRun(spec: FeedSpec, event: AggregateEvent, deps: StepDependencies): Promise<DistributedRunSummary> {
  const { plan } = event;
  const manifestKey = (await deps.objects.list(`${plan.resultsPrefix}/`)).find((key) => key.endsWith('/manifest.json'));
  const manifest: ResultManifest = manifestKey ? JSON.parse((await deps.objects.get(manifestKey)) ?? '{}') : {};
  const workers: RunSummary[] = [];
  let itemsFailed = 0;
  for (const [status, files] of Object.entries(manifest.ResultFiles ?? {})) {
    for (const { Key } of files) {
      const children: ChildExecution[] = JSON.parse((await deps.objects.get(Key)) ?? '[]');
      for (const child of children) {
        if (status === 'SUCCEEDED' && child.Output) {
          workers.push(JSON.parse(child.Output) as RunSummary);
        } else if (status !== 'SUCCEEDED') {
          itemsFailed += itemsIn(child.Input);
          // What the failed batch's other partitions delivered still counts.
          const partial = failedSliceSummary(child.Cause);
          if (partial) workers.push(partial);
        }
      }
    }
  }
  const mapFailed = event.map?.Error !== undefined;
  // Items in no result file (the Map stopped before them) did not complete either.
  const completedItems = workers.reduce((total, w) => total + w.partitions - w.partitionsFailed, 0);
  itemsFailed = Math.max(itemsFailed, plan.items - completedItems);
  const summary = combineSummaries({
    feed: spec.feed, runId: plan.runId, items: plan.items, itemsFailed, workers, durationMs: deps.now() - plan.startedAt, mapFailed,
  });
  await deps.objects.put(`${runControlPrefix(spec.feed, plan.runId)}summary.json`, `${JSON.stringify(summary, null, 2)}\n`, 'application/json');
  const completed = summary.status !== 'failed' && summary.itemsFailed === 0;
  await deps.engine.state.releaseLease(spec.feed, plan.runId, completed ? scheduledExecutionId(event) : undefined);
  return summary;
}

/** The summary a failed slice put in its error, if it did (only its counts are read). */
function failedSliceSummary(cause: string | undefined): RunSummary | undefined {
  if (!cause) return undefined;
  let message = cause;
  try {
    const parsed = JSON.parse(cause);
    if (typeof parsed?.errorMessage === 'string') message = parsed.errorMessage;
  } catch { /* the message itself */ }
  const at = message.indexOf(SLICE_SUMMARY_MARKER);
  if (at < 0) return undefined;
  try {
    const summary = JSON.parse(message.slice(at + SLICE_SUMMARY_MARKER.length));
    return typeof summary?.partitions === 'number' ? summary : undefined;
  } catch {
    return undefined;
  }
}

/** How many work items a failed child execution had (its input is the batch). */
function itemsIn(input: string | undefined): number {
  try {
    const batch = JSON.parse(input ?? '{}') as Partial<SliceEvent>;
    return Array.isArray(batch.Items) ? batch.Items.length : 1;
  } catch {
    return 1;
  }
}
