/**
 * Backfills: a past time range fetched window by window (`api-ingest backfill`, or a distributed
 * run over the windows), with state of its own so the live cursor never moves.
 *
 * A window is half-open, [start, end), and reaches the request through `{{ window.start }}` and
 * `{{ window.end }}` (`{{ cursor }}` is the window's start too). Each window keeps its cursors,
 * checkpoints and lease under a state name of its own, so a backfill resumes where it was
 * killed, runs no window twice, and the feed's live state is never read or written by it.
 */
import type { FeedSpec } from './feed-spec';
import { isoInstantProblem, parseIsoInstant } from './iso-instant';
import { requestUses } from './template-checks';
import { isoDurationMs } from './template-syntax';

/** A backfill's range and window length, as the CLI and a run on demand give them. */
export interface BackfillRequest {
  /** The range's start, ISO 8601 (inclusive). */
  readonly from: string;
  /** The range's end, ISO 8601 (exclusive). */
  readonly to: string;
  /** Each window's length in seconds (the last one may be shorter). */
  readonly windowSeconds: number;
}

/** One window of a backfill, as ISO 8601 texts: [start, end). */
export interface TimeWindow {
  readonly start: string;
  readonly end: string;
}

/** More windows than this is a mistake in `--window` rather than a backfill (and a plan too big to list). */
export const MAX_BACKFILL_WINDOWS = 100_000;

const SHORT_LENGTH = /^(\d+)\s*(d|h|m|s)$/;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** A window length such as `1d`, `6h`, `30m`, `90s` or an ISO 8601 duration (`P1D`, `PT6H`), in ms. */
export function parseWindowLength(text: string): number {
  const short = SHORT_LENGTH.exec(text.trim());
  const ms = short ? Number(short[1]) * UNIT_MS[short[2]] : isoDurationMs(text);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new Error(`window "${text}" is not a length; write 1d, 6h, 30m, 90s, or an ISO 8601 duration such as P1D`);
  }
  return ms;
}

function instant(text: string, name: string): number {
  const ms = parseIsoInstant(text);
  if (ms === undefined) throw new Error(isoInstantProblem(text, name)!);
  return ms;
}

/** A backfill request from the CLI's words, checked: from before to, a window that fits. */
export function backfillRequest(from: string, to: string, window: string): BackfillRequest {
  const fromMs = instant(from, 'from');
  const toMs = instant(to, 'to');
  if (toMs <= fromMs) throw new Error(`to (${to}) must be after from (${from}): the range is [from, to)`);
  const windowMs = parseWindowLength(window);
  if (windowMs % 1000 !== 0) throw new Error(`window "${window}" must be a whole number of seconds`);
  const request = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), windowSeconds: windowMs / 1000 };
  backfillWindows(request);
  return request;
}

/** The windows of a backfill, in order: [from, from + window), …, the last one ending at `to`. */
export function backfillWindows(request: BackfillRequest): TimeWindow[] {
  const from = parseIsoInstant(request.from) ?? Number.NaN;
  const to = parseIsoInstant(request.to) ?? Number.NaN;
  const length = request.windowSeconds * 1000;
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from && length > 0)) {
    throw new Error(`backfill from ${request.from} to ${request.to} in windows of ${request.windowSeconds} s is not a range: `
      + 'from must be before to, and the window longer than 0');
  }
  const count = Math.ceil((to - from) / length);
  if (count > MAX_BACKFILL_WINDOWS) {
    throw new Error(`backfill from ${request.from} to ${request.to} makes ${count} windows (at most ${MAX_BACKFILL_WINDOWS}): choose a longer window`);
  }
  return Array.from({ length: count }, (_, i) => ({
    start: new Date(from + i * length).toISOString(),
    end: new Date(Math.min(from + (i + 1) * length, to)).toISOString(),
  }));
}

/**
 * Why the spec cannot be backfilled, if it cannot: a window reaches the API only through the
 * request's `{{ window.end }}` (and `{{ window.start }}` or `{{ cursor }}`); without an end, every
 * window would fetch everything since its start, and windows would overlap.
 */
export function backfillProblems(spec: FeedSpec): string[] {
  if (spec.incremental?.type !== 'datetime') {
    return [`feed ${spec.feed} has no datetime cursor ("incremental" of type datetime), so it has no time to backfill by; `
      + 'a backfill runs the request once per time window'];
  }
  const problems: string[] = [];
  if (!requestUses(spec.request, ['window.end'])) {
    problems.push(`feed ${spec.feed}'s request does not send {{ window.end }}, so each window would fetch everything after its start and the windows `
      + 'would overlap; add the API\'s end parameter, e.g. "query": { "from": "{{ window.start }}", "to": "{{ window.end }}" }');
  }
  return problems;
}

/** The state name of one backfill window: its cursors, checkpoints and lease, apart from the live feed's. */
export function windowStateName(feed: string, window: TimeWindow): string {
  return `${feed}#backfill#${window.start}/${window.end}`;
}

/** The state name of a whole backfill: the lease a distributed backfill run holds, so the same backfill never runs twice at once. */
export function backfillStateName(feed: string, request: BackfillRequest): string {
  return `${feed}#backfill#${request.from}/${request.to}/${request.windowSeconds}s`;
}
