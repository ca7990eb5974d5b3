/**
 * A run as a durable execution: passes of the engine, each a durable step, with durable waits
 * between them. A pass runs until its time budget, or until the API asks to be called again later
 * than that (a long Retry-After, held with `holdOnRetryAfter`) or an export job is still running;
 * it leaves a checkpoint where each held partition stands (after every delivered page, with
 * `checkpointPages: 1`), so the next pass, or a retry of an interrupted one, resumes after the last
 * delivered page and fetches nothing delivered again. The wait until the API's time costs nothing.
 *
 * Replays re-run this function from the start: only step results decide what happens next (the
 * time is read inside the steps), so a replay takes the same path.
 */
import type { RunSummary } from './engine';
import type { Partition } from './partitions';
import { runStatus, sumRunSummaries } from './run-summaries';
import type { DurableSteps } from '../ports/durable-steps';

/**
 * Passes one execution makes at most. Lambda durable functions allow about 25,000 operations per
 * execution; a pass is at most three (its step, the lease's renewal and a wait), so this keeps
 * well inside the limit.
 */
export const DEFAULT_MAX_PASSES = 1000;

/** A pass's kept result: its summary, and how long to wait before the next. */
export interface PassOutcome {
  readonly summary: RunSummary;
  /** Seconds until the held partitions may go on (0: go on now, in a new invocation). */
  readonly waitSeconds: number;
  /** When the pass ended (epoch ms, read in the step): with `waitSeconds`, when the wait would end. */
  readonly endedAt?: number;
}

/**
 * The feed's run lease, held by this execution from its first pass to its end, waits included, so
 * no other run of the feed starts meanwhile (the passes run with `keepLease` under the same holder).
 */
export interface DurableLease {
  /** Renews this execution's lease until `until`; false if it was lost (it expired and another run took it). */
  hold(until: Date): Promise<boolean>;
  /** Releases it: the run is over (`completed`: it did not fail, so a duplicate delivery of its event is skipped). */
  release(completed: boolean): Promise<void>;
}

/** How long past the end of a wait the lease is held: the next pass takes it again within this. */
export const LEASE_MARGIN_MS = 15 * 60_000;

/** A wait must end this long before the execution's deadline, so the run can still report and release. */
const DEADLINE_MARGIN_MS = 60_000;

export interface DurableRunOptions {
  /** The time, read only inside steps. */
  readonly now: () => number;
  /** @default DEFAULT_MAX_PASSES */
  readonly maxPasses?: number;
  /** @default none: each pass takes and releases the lease itself */
  readonly lease?: DurableLease;
  /**
   * When the execution must have ended (epoch ms: its start plus Lambda's `executionTimeout`). A
   * wait that would end within a minute of it is not begun: the run ends with the partitions held,
   * for the next run, instead of being stopped by Lambda mid-wait with the lease still held.
   * @default none
   */
  readonly executionDeadline?: number;
  /**
   * Starts a new execution that goes on with the held partitions (`undefined`: the whole feed),
   * when this one reaches `maxPasses`; returns its name. Called after the lease is released.
   * @default none: the held partitions go on at the next scheduled run
   */
  readonly continueRun?: (only: ReadonlyArray<Readonly<Record<string, string>>> | undefined) => Promise<string>;
}

/**
 * The largest result a step keeps. Lambda checkpoints at most 256 KB per operation; a pass's kept
 * summary is bounded well below it (failures and warnings are capped by the engine, and held
 * partitions are dropped beyond this, see `keptOutcome`).
 */
export const MAX_KEPT_BYTES = 128 * 1024;

/**
 * One pass of the engine: every partition (`only` undefined), or just the ones the previous pass
 * held, so a partition that completed is not fetched again in the same run.
 */
export type RunPass = (pass: number, only: ReadonlyArray<Readonly<Record<string, string>>> | undefined) => Promise<RunSummary>;

/** The whole run's summary: the passes summed; `passes` how many; the last pass says whether it ended. */
export async function runDurably(steps: DurableSteps, runPass: RunPass, options: DurableRunOptions): Promise<RunSummary> {
  const { summary, goOnWith } = await runPasses(steps, runPass, options);
  // A skipped first pass never held the lease: another run does.
  if (options.lease && summary.status !== 'skipped') {
    await steps.step('release the lease', () => options.lease!.release(summary.status !== 'failed' && goOnWith === undefined));
  }
  if (goOnWith === undefined) return summary;
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  if (!options.continueRun) {
    return withWarning(summary, `the run made ${maxPasses} passes, the most one durable execution makes; the held partitions go on from their checkpoints in the next run`);
  }
  const continuedIn = await steps.step('continue in a new execution', () => options.continueRun!(goOnWith.only));
  return {
    ...withWarning(summary, `the run made ${maxPasses} passes, the most one durable execution makes; it goes on from the held partitions' checkpoints in execution ${continuedIn}`),
    continuedIn,
  };
}

const withWarning = (summary: RunSummary, warning: string): RunSummary => ({ ...summary, warnings: [...(summary.warnings ?? []), warning] });

interface PassesOutcome {
  readonly summary: RunSummary;
  /** Set when the passes ran out with partitions still held: what a new execution goes on with. */
  readonly goOnWith?: { readonly only: ReadonlyArray<Readonly<Record<string, string>>> | undefined };
}

async function runPasses(steps: DurableSteps, runPass: RunPass, options: DurableRunOptions): Promise<PassesOutcome> {
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  const summaries: RunSummary[] = [];
  let only: ReadonlyArray<Readonly<Record<string, string>>> | undefined;
  for (let pass = 1; pass <= maxPasses; pass += 1) {
    const outcome = await steps.step(`pass ${pass}`, async (): Promise<PassOutcome> => {
      const summary = await runPass(pass, only);
      const waitMs = summary.resumeAt !== undefined ? Date.parse(summary.resumeAt) - options.now() : 0;
      return keptOutcome({ summary, waitSeconds: Math.max(0, Math.ceil(waitMs / 1000)), endedAt: options.now() });
    });
    summaries.push(outcome.summary);
    const { summary } = outcome;
    // Done: every partition ended (or failed) in this pass; a skipped pass (another run's lease) ends it too.
    if (!summary.stoppedEarly || summary.status === 'skipped' || summary.status === 'failed') return { summary: combined(summaries) };
    only = heldPartitions(summary.partitionsHeld);
    const waitSeconds = Math.max(1, outcome.waitSeconds);
    if (options.executionDeadline !== undefined && outcome.endedAt !== undefined
      && outcome.endedAt + waitSeconds * 1000 > options.executionDeadline - DEADLINE_MARGIN_MS) {
      return {
        summary: withWarning(combined(summaries), `the API asked to wait ${waitSeconds} s, past the execution's timeout (executionTimeout): `
          + 'the held partitions go on from their checkpoints in the next run'),
      };
    }
    if (options.lease) {
      const lease = options.lease;
      const held = await steps.step(`hold the lease through wait ${pass}`, () => lease.hold(new Date(options.now() + waitSeconds * 1000 + LEASE_MARGIN_MS)));
      if (!held) {
        return {
          summary: withWarning(combined(summaries),
            'the feed\'s lease was lost before the wait (it expired and another run took it): the held partitions go on from their checkpoints in that run'),
        };
      }
    }
    // Waiting costs nothing; a pass that used its whole budget goes on in a fresh invocation (a 1 s wait).
    await steps.wait(`wait after pass ${pass}`, waitSeconds);
  }
  return { summary: combined(summaries), goOnWith: { only } };
}

/**
 * A pass's outcome as a step may keep it (under `MAX_KEPT_BYTES`): a run with so many held
 * partitions that their list does not fit goes on with the whole feed in the next pass (the
 * partitions that completed are polled again from their cursors), and says so.
 */
export function keptOutcome(outcome: PassOutcome): PassOutcome {
  if (Buffer.byteLength(JSON.stringify(outcome)) <= MAX_KEPT_BYTES) return outcome;
  const { partitionsHeld, ...summary } = outcome.summary;
  return {
    ...outcome,
    summary: withWarning(summary, `the ${partitionsHeld?.length ?? 0} held partitions are too many to keep in a durable checkpoint `
      + `(${MAX_KEPT_BYTES / 1024} KB): the next pass goes over every partition, each from its own checkpoint or cursor`),
  };
}

/**
 * The passes as one run: counts and time summed (waits cost none); whether it stopped early, and
 * until when, is the last pass's, and so is the status's share of it (a pass that stopped early
 * and was gone on with by the next is not what makes the run partial).
 */
function combined(summaries: RunSummary[]): RunSummary {
  const last = summaries[summaries.length - 1];
  if (summaries.length === 1) return { ...last, passes: 1 };
  const sum = sumRunSummaries(last.feed, summaries, summaries.reduce((total, summary) => total + summary.durationMs, 0));
  const run = { ...sum, stoppedEarly: last.stoppedEarly, resumeAt: last.resumeAt, cursorLagSeconds: last.cursorLagSeconds, passes: summaries.length };
  return { ...run, status: runStatus(run) };
}

/** The partitions to go on with; a feed without partitions (its one partition is null) goes on whole. */
function heldPartitions(held: ReadonlyArray<Partition> | undefined): ReadonlyArray<Readonly<Record<string, string>>> | undefined {
  if (!held || held.some((partition) => partition === null)) return undefined;
  return held as ReadonlyArray<Readonly<Record<string, string>>>;
}
