/**
 * The three steps of a distributed run, as the state machine calls them (see
 * `feed-spec/poller-event.ts` for the shapes):
 *
 * - plan: takes the feed's lease for the run (so two runs never overlap; a duplicate delivery of
 *   a completed scheduler execution does nothing), lists the partitions, and writes one work item
 *   per line to the run's control folder for the Distributed Map's JSONL item reader. A backfill
 *   takes the backfill's lease instead (live runs go on) and lists every window times every partition;
 * - slice: one worker's batch of items: those partitions, with the shared rate budget, cursors
 *   and checkpoints as in a single run, no lease of its own (a backfill's item in its window's state);
 * - aggregate: reads the Map's result files (Step Functions' ResultWriter: a manifest and
 *   SUCCEEDED/FAILED files), sums the workers' summaries, keeps the run's summary next to its
 *   items, and gives the lease back, marking the execution completed only if every item completed.
 *
 * The Map's results are data, not instructions: only the summaries' counts are read from them.
 */
import { createHash } from 'node:crypto';
import { combineSummaries, DistributedRunSummary, sliceOutput } from './combine-summaries';
import { BackfillRequest, backfillProblems, backfillStateName, backfillWindows, TimeWindow, windowStateName } from '../../feed-spec/backfill';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import type { AggregateEvent, PlanEvent, RunPlan, SliceEvent, WorkItem } from '../../feed-spec/poller-event';
import { runControlPrefix, scheduledExecutionId } from '../../feed-spec/poller-event';
import { EngineOptions, planPartitions, runPartitions, RunSummary } from '../engine/engine';
import { partitionKey } from '../engine/partitions';
import { sumRunSummaries } from '../engine/run-summaries';
import { ScopedStateStore } from '../engine/scoped-state-store';
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

/** The name of the lease a run holds: the feed's, or a backfill's own (live runs go on beside it). */
function leaseName(spec: FeedSpec, backfill: BackfillRequest | undefined): string {
  return backfill ? backfillStateName(spec.feed, backfill) : spec.feed;
}

export async function planRun(spec: FeedSpec, event: PlanEvent, deps: StepDependencies): Promise<RunPlan> {
  const startedAt = deps.now();
  const prefix = runControlPrefix(spec.feed, event.runId);
  const { backfill } = event.request;
  const windows = backfill ? backfillWindowsOf(spec, backfill) : [undefined];
  const plan = { runId: event.runId, bucket: deps.bucket, itemsKey: `${prefix}items.jsonl`, resultsPrefix: `${prefix}results`, startedAt, backfill };
  const leaseUntil = new Date(startedAt + (deps.runLeaseMs ?? DEFAULT_RUN_LEASE_MS));
  const lease = await deps.engine.state.acquireLease(leaseName(spec, backfill), event.runId, leaseUntil,
    backfill ? undefined : scheduledExecutionId(event.request));
  if (!lease.acquired) {
    const skipped = lease.reason === 'duplicate'
      ? `execution ${lease.executionId} already completed (a duplicate delivery): nothing to do`
      : `another run (${lease.heldBy}) holds the feed's lease until ${lease.expiresAt}`;
    deps.engine.logger.info('run skipped', { feed: spec.feed, runId: event.runId, reason: skipped });
    return { ...plan, items: 0, skipped };
  }
  try {
    const partitions = await planPartitions(spec, deps.engine);
    const items: WorkItem[] = windows.flatMap((window) => partitions.map((partition) => (window ? { partition, window } : { partition })));
    const text = items.map((item) => `${JSON.stringify(item)}\n`).join('');
    await deps.objects.put(plan.itemsKey, text, 'application/x-ndjson');
    deps.engine.logger.info('run planned', { feed: spec.feed, runId: event.runId, items: items.length });
    return { ...plan, items: items.length, itemsSha256: sha256(text) };
  } catch (err) {
    // No run will follow this plan: give the lease back now rather than at its expiry.
    await deps.engine.state.releaseLease(leaseName(spec, backfill), event.runId);
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

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A slice was given work items its run's plan did not make: nothing of the batch runs. */
export class ForeignWorkItemsError extends Error {
  constructor(message: string) {
    super(`${message}; nothing of this batch was fetched`);
    this.name = 'ForeignWorkItems';
  }
}

/**
 * The items are data read from the bucket by the Map: whoever can write the control folder could
 * list a partition the spec does not declare, or a window outside the backfill, to be fetched with
 * the feed's credentials. A slice checks its batch as the plan made it: the plan (from the
 * execution's state) names the items file and its digest; the file must still have that digest,
 * and hold every item of the batch. Cheap checks against the spec and the backfill come first,
 * for clear messages.
 */
async function checkWorkItems(spec: FeedSpec, event: SliceEvent, deps: StepDependencies): Promise<void> {
  const { plan } = event.BatchInput;
  if (!plan?.itemsSha256 || plan.runId !== event.BatchInput.runId) {
    throw new ForeignWorkItemsError('the batch comes without its run\'s plan (plan.itemsSha256 in the batch input)');
  }
  const windows = plan.backfill ? new Set(backfillWindowsOf(spec, plan.backfill).map((w) => `${w.start}/${w.end}`)) : undefined;
  const listed = spec.partitions?.type === 'list' ? new Set(spec.partitions.values.map((p) => partitionKey(p))) : undefined;
  for (const item of event.Items) {
    const window = item.window ? `${item.window.start}/${item.window.end}` : undefined;
    if (windows ? window === undefined || !windows.has(window) : window !== undefined) {
      throw new ForeignWorkItemsError(`work item ${JSON.stringify(item).slice(0, 200)} has a window that is not one of the run's backfill`);
    }
    if (!spec.partitions ? item.partition !== null : item.partition === null || (listed && !listed.has(partitionKey(item.partition)))) {
      throw new ForeignWorkItemsError(`work item ${JSON.stringify(item).slice(0, 200)} is not a partition of feed ${spec.feed}`);
    }
  }
  const key = runControlPrefix(spec.feed, plan.runId) + 'items.jsonl';
  const text = plan.itemsKey === key ? await deps.objects.get(key) : undefined;
  if (text === undefined || sha256(text) !== plan.itemsSha256) {
    throw new ForeignWorkItemsError(`the work items file ${key} is not the one the plan wrote (its SHA-256 differs, or it is gone)`);
  }
  const planned = new Set(text.split('\n').filter(Boolean).map((line) => workItemKey(JSON.parse(line) as WorkItem)));
  const foreign = event.Items.find((item) => !planned.has(workItemKey(item)));
  if (foreign) throw new ForeignWorkItemsError(`work item ${JSON.stringify(foreign).slice(0, 200)} is not in the run's plan`);
}

/** One identity for a work item, whatever the order of its keys. */
function workItemKey(item: WorkItem): string {
  return `${item.partition === null ? '-' : partitionKey(item.partition)}|${item.window ? `${item.window.start}/${item.window.end}` : ''}`;
}

export async function runSlice(spec: FeedSpec, event: SliceEvent, deps: StepDependencies): Promise<RunSummary> {
  const started = deps.now();
  await checkWorkItems(spec, event, deps);
  // A backfill's batch may hold several windows: each group runs in its window, with its state.
  const groups = new Map<string, { window?: TimeWindow; partitions: WorkItem['partition'][] }>();
  for (const item of event.Items) {
    const key = item.window ? `${item.window.start}/${item.window.end}` : '';
    const group = groups.get(key) ?? { window: item.window, partitions: [] };
    group.partitions.push(item.partition);
    groups.set(key, group);
  }
  const summaries: RunSummary[] = [];
  for (const { window, partitions } of groups.values()) {
    summaries.push(await runPartitions(spec, partitions, window ? windowOptions(spec, window, deps.engine) : deps.engine));
  }
  const summary = summaries.length === 1 ? summaries[0] : sumRunSummaries(spec.feed, summaries, deps.now() - started);
  if (summary.partitionsFailed > 0) throw new SliceFailedError(summary);
  return sliceOutput(summary);
}

/** The engine in a backfill's window: the window's own state, so the live cursor is never read or moved. */
function windowOptions(spec: FeedSpec, window: TimeWindow, engine: EngineOptions): EngineOptions {
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  // The items are data from the bucket: a window must be a real range.
  if (!(Number.isFinite(start) && Number.isFinite(end) && end > start)) {
    throw new Error(`work item window ${JSON.stringify(window).slice(0, 120)} is not a time range`);
  }
  const state = new ScopedStateStore(engine.state, windowStateName(spec.feed, window));
  return { ...engine, state, window: { start: new Date(start), end: new Date(end) } };
}

/** A backfill's windows, once the spec is known to take them. */
function backfillWindowsOf(spec: FeedSpec, backfill: BackfillRequest): TimeWindow[] {
  const problems = backfillProblems(spec);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return backfillWindows(backfill);
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
  await deps.engine.state.releaseLease(leaseName(spec, plan.backfill), plan.runId,
    completed && !plan.backfill ? scheduledExecutionId(event) : undefined);
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
