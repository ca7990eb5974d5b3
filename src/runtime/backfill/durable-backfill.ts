/**
 * A backfill as one durable execution: its windows run as the items of a durable map, at most
 * `concurrency` at once, each a durable run of its own (passes, waits for the API, its own lease
 * and state, see feed-spec/backfill.ts), marked done when it completes so a later backfill of the
 * same range skips it. The live feed's cursor is never read or moved.
 *
 * An execution takes at most `MAX_WINDOWS_PER_EXECUTION` windows (each costs a handful of durable
 * operations, and an execution may make about 25,000): a longer range is cut there, and the rest
 * goes on in a new execution, which the summary names.
 */
import { backfillSummary, WINDOW_DONE_KEY, windowRunOutcome, type BackfillSummary, type WindowOutcome } from './backfill-run';
import { BackfillRequest, backfillWindows, TimeWindow, windowStateName } from '../../feed-spec/backfill';
import { DEFAULT_DURABLE_BACKFILL_CONCURRENCY } from '../../feed-spec/poller-contract';
import { DurableLease, runDurably, RunPass } from '../engine/durable-run';
import type { RunSummary } from '../engine/engine';
import { sumRunSummaries } from '../engine/run-summaries';
import { ScopedStateStore } from '../engine/scoped-state-store';
import type { DurableSteps } from '../ports/durable-steps';
import type { StateStore } from '../ports/state-store';

/**
 * Windows one execution runs. A window costs its map item, its done check, a step per pass, the
 * lease's renewals and waits, its release and its done mark: 250 windows of a few passes each stay
 * far inside an execution's ~25,000 operations, and their kept outcomes inside a checkpoint.
 */
export const MAX_WINDOWS_PER_EXECUTION = 250;


export interface DurableBackfillOptions {
  readonly feed: string;
  readonly request: BackfillRequest;
  readonly state: StateStore;
  /** The execution's name: each window's lease holder. */
  readonly holder: string;
  /** One pass of the engine in `window`, over `state` (the window's own), with `holder`. */
  readonly windowPass: (window: TimeWindow, state: StateStore) => RunPass;
  readonly now: () => number;
  /** @default DEFAULT_DURABLE_BACKFILL_CONCURRENCY */
  readonly concurrency?: number;
  /** Starts a new execution for the rest of the range; returns its name. @default none: the rest is left */
  readonly continueBackfill?: (rest: BackfillRequest) => Promise<string>;
}

export interface DurableBackfillSummary extends BackfillSummary {
  /** The range was longer than one execution takes: the execution that goes on with the rest. */
  readonly continuedIn?: string;
  /** The windows this execution did not take (they go on in `continuedIn`). */
  readonly windowsLeft?: number;
}

/** What a window keeps in its map item's checkpoint: its outcome and its run's summary (small). */
interface WindowResult {
  readonly outcome: WindowOutcome;
  readonly summary?: RunSummary;
  readonly reason?: string;
}

export async function runBackfillDurably(steps: DurableSteps, options: DurableBackfillOptions): Promise<DurableBackfillSummary> {
  const started = await steps.step('backfill started', async () => options.now());
  const all = backfillWindows(options.request);
  const windows = all.slice(0, MAX_WINDOWS_PER_EXECUTION);
  const results = await steps.map('backfill windows', windows, (windowSteps, window) => runWindow(windowSteps, window, options),
    options.concurrency ?? DEFAULT_DURABLE_BACKFILL_CONCURRENCY);
  const summary = windowsSummary(options.feed, windows, results, await steps.step('backfill ended', async () => options.now()) - started);
  if (all.length === windows.length) return summary;
  const rest: BackfillRequest = { ...options.request, from: all[windows.length].start };
  const windowsLeft = all.length - windows.length;
  if (!options.continueBackfill) return { ...summary, status: 'partial', windowsLeft };
  const continuedIn = await steps.step('continue the backfill in a new execution', () => options.continueBackfill!(rest));
  return { ...summary, status: 'partial', windowsLeft, continuedIn };
}

async function runWindow(steps: DurableSteps, window: TimeWindow, options: DurableBackfillOptions): Promise<WindowResult> {
  const state = new ScopedStateStore(options.state, windowStateName(options.feed, window));
  const done = await steps.step('done before?', async () => (await state.getCursor(options.feed, WINDOW_DONE_KEY)) === window.end);
  if (done) return { outcome: 'alreadyDone' };
  const lease: DurableLease = {
    hold: async (until) => (await state.acquireLease(options.feed, options.holder, until)).acquired,
    release: () => state.releaseLease(options.feed, options.holder),
  };
  const summary = await runDurably(steps, options.windowPass(window, state), { now: options.now, lease });
  const ended = windowRunOutcome(summary);
  if (ended.outcome === 'held') return ended;
  if (ended.outcome === 'incomplete') return { ...ended, summary };
  await steps.step('mark the window done', () => state.putCursor(options.feed, WINDOW_DONE_KEY, window.end));
  return { outcome: 'done', summary };
}

function windowsSummary(feed: string, windows: TimeWindow[], results: WindowResult[], durationMs: number): BackfillSummary {
  const outcomes = new Map<WindowOutcome, number>();
  for (const { outcome } of results) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const incomplete = results.flatMap((result, index) => (result.outcome === 'incomplete'
    ? [{ window: windows[index], reason: result.reason ?? result.outcome }] : []));
  return backfillSummary(feed, windows.length, outcomes, incomplete,
    sumRunSummaries(feed, results.flatMap((result) => (result.summary ? [result.summary] : [])), durationMs));
}
