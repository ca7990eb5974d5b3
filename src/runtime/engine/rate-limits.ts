/**
 * Every request budget that applies to a request: the feed's own (`limits.requestsPerSecond`: in
 * memory in one invocation, in the state table across a distributed run's workers) and the
 * budgets the feed shares with other feeds for one API host (`SharedRateBudget`).
 *
 * A request takes a slot from each budget that applies, the host's shared budget last: its slot
 * is the one the request starts nearest to, and it is the budget the API itself enforces across
 * feeds (the account's limit), so it is the one kept exactly.
 */
import type { RateLimiter } from '../ports/rate-limiter';

export interface HostRateLimiter {
  /** The host (lowercase) whose requests take from this budget. */
  readonly host: string;
  readonly limiter: RateLimiter;
}

export class RateLimits implements RateLimiter {
  constructor(private readonly feed: RateLimiter | undefined, private readonly hosts: ReadonlyArray<HostRateLimiter>) {}

  public async take(url?: URL, longestWaitMs?: number): Promise<void> {
    await this.feed?.take(url, longestWaitMs);
    const host = url?.hostname.toLowerCase();
    for (const budget of this.hosts) {
      if (budget.host === host) await budget.limiter.take(url);
    }
  }
}
