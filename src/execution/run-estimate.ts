/**
 * Whether a feed's run fits one invocation: the least time its requests take, from what the spec
 * states at synth (static partitions, `maxPages`, `requestsPerSecond`, partition concurrency).
 * Used for a synth-time warning that suggests `ExecutionMode.distributed()`.
 */
import type { FeedSpecInput } from '../feed-spec/feed-spec';

/** An API's latency when the spec gives no rate: a guess on the fast side, so the warning is not a false alarm. */
const ASSUMED_LATENCY_SECONDS = 0.1;

export interface RunEstimate {
  /** The fewest requests a run makes: each partition's pages (`maxPages` when set, else one). */
  readonly requests: number;
  /** The least time they take, in seconds. */
  readonly seconds: number;
}

export function leastRunTime(spec: FeedSpecInput): RunEstimate | undefined {
  const partitions = spec.partitions;
  if (partitions?.type !== 'list') return undefined;
  const pagination = spec.pagination as { type?: string; maxPages?: number } | undefined;
  const pages = pagination && pagination.type !== 'none' && pagination.maxPages ? pagination.maxPages : 1;
  const requests = partitions.values.length * pages;
  const rate = spec.limits?.requestsPerSecond;
  const concurrency = partitions.concurrency ?? 4; // the spec's default
  const perRequest = Math.max(rate ? 1 / rate : 0, ASSUMED_LATENCY_SECONDS / concurrency);
  return { requests, seconds: requests * perRequest };
}
