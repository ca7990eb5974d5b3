/**
 * A backfill in one process (`api-ingest backfill`): the range's windows, several at a time, each
 * a run of the feed in its window with state of its own (see feed-spec/backfill.ts).
 *
 * - Resumable: a window that completed is marked done in its state and skipped next time; one
 *   that was stopped (killed, time budget) resumes from its last checkpoint; inside a window, a
 *   partition that completed is not fetched again.
 * - No window twice at once: each window is claimed (a lease of its own) from the check that it is
 *   not done to its mark that it is: two backfill processes on one state share the windows
 *   instead of repeating them.
 * - The live cursor is never read or written: every state call names the window's state.
 * - One rate budget for every window of the process: `limits.requestsPerSecond` holds for the
 *   backfill as a whole.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { BackfillRequest, backfillWindows, TimeWindow, windowStateName } from '../../feed-spec/backfill';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import { EngineOptions, runFeed, RunSummary } from '../engine/engine';
import { RequestSpacing, SYSTEM_CLOCK } from '../engine/http-client';
import { sumRunSummaries } from '../engine/run-summaries';
import { ScopedStateStore } from '../engine/scoped-state-store';
import type { RecordSink } from '../ports/record-sink';

/** Windows run at once unless told otherwise. */
export const DEFAULT_BACKFILL_CONCURRENCY = 4;

/** The key, in a window's state, that says the whole window completed. */
export const WINDOW_DONE_KEY = '(window done)';

export interface BackfillOptions extends Omit<EngineOptions, 'sink' | 'window' | 'executionId' | 'repeat' | 'onlyPartitions' | 'rateLimiter'> {
  readonly request: BackfillRequest;
  /** Each window's sink (its own, so that each window's summary counts its own records). */
  readonly sinkFor: (window: TimeWindow) => RecordSink;
  /** Windows fetched at once. @default 4 */
  readonly concurrency?: number;
  /** Called as each window ends (progress displays). @default none */
  readonly onWindow?: (window: TimeWindow, outcome: WindowOutcome) => void;
}

export type WindowOutcome = 'done' | 'alreadyDone' | 'incomplete' | 'held';

export interface BackfillSummary {
  readonly feed: string;
  /** `succeeded` when every window is done (this time or before), else `partial` (run it again to resume). */
  readonly status: 'succeeded' | 'partial';
  readonly windows: number;
  /** Windows completed by this run. */
  readonly windowsDone: number;
  /** Windows an earlier run completed: skipped without a request. */
  readonly windowsAlreadyDone: number;
  /** Windows not complete: a partition failed, or the time budget stopped them (they resume from their checkpoints). */
  readonly windowsIncomplete: number;
  /** Windows another backfill process was running (its lease): left to it. */
  readonly windowsHeld: number;
  /** The first incomplete windows and why. */
  readonly incomplete: ReadonlyArray<{ readonly window: TimeWindow; readonly reason: string }>;
  /** The windows' runs, summed. */
  readonly runs: RunSummary;
}

const INCOMPLETE_KEPT = 20;

export async function runBackfill(spec: FeedSpec, options: BackfillOptions): Promise<BackfillSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const windows = backfillWindows(options.request);
  const rate = spec.limits.requestsPerSecond;
  const rateLimiter = rate ? new RequestSpacing(1000 / rate, clock) : undefined;
  const limit = pLimit(options.concurrency ?? DEFAULT_BACKFILL_CONCURRENCY);
  const runs: RunSummary[] = [];
  const outcomes = new Map<WindowOutcome, number>();
  const incomplete: Array<{ window: TimeWindow; reason: string }> = [];

  /**
   * A window is claimed for the whole of its turn (checking it is not done, running it, marking it
   * done), so another process never finds it not yet marked but already given back: it finds it
   * held, or done.
   */
  const claimed = async (window: TimeWindow, turn: () => Promise<WindowOutcome>): Promise<WindowOutcome> => {
    const claim = `${windowStateName(spec.feed, window)}#claim`;
    const holder = randomUUID();
    const until = new Date((options.deadline ?? clock.now() + (options.leaseMs ?? 15 * 60_000)) + 60_000);
    if (!(await options.state.acquireLease(claim, holder, until)).acquired) return 'held';
    try {
      return await turn();
    } finally {
      await options.state.releaseLease(claim, holder);
    }
  };

  const runWindow = async (window: TimeWindow): Promise<WindowOutcome> => {
    const state = new ScopedStateStore(options.state, windowStateName(spec.feed, window));
    if (await state.getCursor(spec.feed, WINDOW_DONE_KEY) === window.end) return 'alreadyDone';
    if (options.deadline !== undefined && clock.now() >= options.deadline) {
      incomplete.push({ window, reason: 'not started: time budget reached' });
      return 'incomplete';
    }
    const summary = await runFeed(spec, {
      ...options,
      sink: options.sinkFor(window),
      state,
      rateLimiter,
      window: { start: new Date(window.start), end: new Date(window.end) },
    });
    const ended = windowRunOutcome(summary);
    if (ended.outcome === 'held') return 'held';
    runs.push(summary);
    if (ended.outcome === 'done') {
      await state.putCursor(spec.feed, WINDOW_DONE_KEY, window.end);
      return 'done';
    }
    incomplete.push({ window, reason: ended.reason });
    return 'incomplete';
  };

  await Promise.all(windows.map((window) => limit(async () => {
    const outcome = await claimed(window, () => runWindow(window));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    options.onWindow?.(window, outcome);
  })));

  return backfillSummary(spec.feed, windows.length, outcomes, incomplete, sumRunSummaries(spec.feed, runs, clock.now() - started));
}

/**
 * How a window's run ended: `done` only when every partition reached the API's last page and every
 * record is delivered or dead-lettered (a local backfill's windows and a durable one's alike).
 */
export function windowRunOutcome(summary: RunSummary):
{ readonly outcome: 'held'; readonly reason?: string } | { readonly outcome: 'done' } | { readonly outcome: 'incomplete'; readonly reason: string } {
  if (summary.status === 'skipped') return { outcome: 'held', reason: summary.skipped };
  const complete = (summary.status === 'succeeded' || summary.status === 'completedWithDeadLetters') && !summary.stoppedEarly;
  if (complete) return { outcome: 'done' };
  return { outcome: 'incomplete', reason: summary.stoppedEarly ?? summary.failures.map((f) => f.error).slice(0, 3).join('; ') };
}

/** A backfill's summary from how many windows ended each way (a local backfill's and a durable one's). */
export function backfillSummary(feed: string, windows: number, outcomes: ReadonlyMap<WindowOutcome, number>,
  incomplete: ReadonlyArray<{ readonly window: TimeWindow; readonly reason: string }>, runs: RunSummary): BackfillSummary {
  const count = (outcome: WindowOutcome) => outcomes.get(outcome) ?? 0;
  return {
    feed,
    status: count('done') + count('alreadyDone') === windows ? 'succeeded' : 'partial',
    windows,
    windowsDone: count('done'),
    windowsAlreadyDone: count('alreadyDone'),
    windowsIncomplete: count('incomplete'),
    windowsHeld: count('held'),
    incomplete: [...incomplete].sort((a, b) => a.window.start.localeCompare(b.window.start)).slice(0, INCOMPLETE_KEPT),
    runs,
  };
}
