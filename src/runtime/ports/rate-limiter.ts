/**
 * Port: when the next request to the API may go. The engine takes a slot before every attempt.
 * In one process, `RequestSpacing` (http-client.ts) spaces requests in memory; the workers of a
 * distributed run share one budget in the state table (`DynamoDbRateBudget`), so N workers
 * together stay within `limits.requestsPerSecond`; feeds that call one host can also share a budget
 * for it (`SharedRateBudget`), and `RateLimits` (engine/rate-limits.ts) takes a slot from each that applies.
 */
export interface RateLimiter {
  /**
   * Resolves when this caller may send one request to `url` (a budget for one host ignores the
   * others). With `longestWaitMs`, a limiter that can tell may refuse a slot further away than that
   * (`SlotTooFar`) without taking it. @default waits as long as it takes
   */
  take(url?: URL, longestWaitMs?: number): Promise<void>;
}
