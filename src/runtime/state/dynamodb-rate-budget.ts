/**
 * A requests-per-second budget shared by every worker of a feed, in the feed's state table (item
 * `pk = feed#<feed>, sk = rate`), or by every feed that calls one API host, in a `SharedRateBudget`'s
 * table (item `pk = host#<host>, sk = rate`). Time is a sequence of numbered slots: each second holds the budget's
 * number of them, evenly spaced over its first 90 % (the last 100 ms stay free, so a request
 * whose timer fires late, on a busy worker, still starts in its own second: an API that counts
 * requests per second never sees more than the budget); the item holds the next slot nobody has
 * claimed. A worker
 * claims one with a single atomic `ADD` and waits until its time, so the slots the workers get are
 * all different and evenly spaced: in every second, at most the budget's requests start, however
 * many workers there are, and nobody retries a lost race (the counter is the arbiter). Under load
 * the counter runs ahead of the clock and the workers queue in it, in order.
 *
 * After an idle spell the counter is behind the clock: the first worker to notice moves it to the
 * current slot with a conditional write (slots in the past are never handed out, so an idle spell
 * never turns into a burst). A worker whose clock is behind the others' simply queues after them;
 * one whose clock is ahead moves the counter forward, which wastes slots but never exceeds the rate.
 *
 * When Firehose throttles a worker, `holdBack` moves the counter a second on: every worker's next
 * slot is then at least that far away, so the whole run slows down, not only the worker that was
 * told to.
 *
 * Cost: one DynamoDB write per request (docs/SCALING.md).
 */
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { feedStateKey } from '../../feed-spec/poller-contract';
import type { Clock } from '../engine/http-client';
import type { RateLimiter } from '../ports/rate-limiter';

export interface DynamoDbRateBudgetOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Whose budget it is: `feedRateBudget(feed)` or `hostRateBudget(host)`. */
  readonly budget: string;
  readonly requestsPerSecond: number;
  readonly clock: Clock;
  /** Called with each slot's time as a request starts in it (what the budget scheduled: tests and benchmarks). */
  readonly onSlot?: (slotAt: number) => void;
}

/** The budget of one feed's workers: an item in the feed's partition of its state table. */
export function feedRateBudget(feed: string): string {
  return feedStateKey(feed);
}

/** The share of each period kept free of slots, for timers that fire late. */
const LATE_MARGIN = 0.1;

export class DynamoDbRateBudget implements RateLimiter {
  /** A period (1 s, or longer under one request a second) and the slots in it. */
  private readonly periodMs: number;
  private readonly slotsPerPeriod: number;
  private readonly spacingMs: number;
  private readonly key: Record<string, { S: string }>;
  /** DynamoDB calls made (what the budget costs). */
  public calls = 0;
  /** Slots let go because this worker woke up after their period had ended. */
  public slotsMissed = 0;
  /** Until when this worker's last hold lasts (it does not hold again before). */
  private heldUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: DynamoDbRateBudgetOptions) {
    const rate = options.requestsPerSecond;
    this.periodMs = rate >= 1 ? 1000 : Math.ceil(1000 / rate);
    this.slotsPerPeriod = Math.max(1, Math.floor(rate >= 1 ? rate : 1));
    this.spacingMs = (this.periodMs * (1 - LATE_MARGIN)) / this.slotsPerPeriod;
    this.key = { pk: { S: options.budget }, sk: { S: 'rate' } };
  }

  /** When slot `k` starts (epoch ms). */
  public slotTime(k: number): number {
    const period = Math.floor(k / this.slotsPerPeriod);
    return period * this.periodMs + (k - period * this.slotsPerPeriod) * this.spacingMs;
  }

  /**
   * Moves the counter `ms` on from where it is (or from now, if it is behind the clock): the
   * slots in between are never handed out, so every worker waits. Throttling reported by several
   * calls at once holds back once: a worker holds back at most once per `ms`. Whether it held back.
   */
  public async holdBack(ms: number): Promise<boolean> {
    const { clock } = this.options;
    if (clock.now() < this.heldUntil) return false;
    this.heldUntil = clock.now() + ms;
    const skip = Math.ceil((ms / this.periodMs) * this.slotsPerPeriod);
    // A hold is a second's worth of slots claimed by nobody: after the queue, or from now.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = this.firstSlotFrom(clock.now());
      if ((await this.claimQueued(current, skip)) !== undefined || (await this.claimCurrent(current, skip)) !== undefined) return true;
    }
    return false;
  }

  /** The first slot that starts at or after `now`. */
  private firstSlotFrom(now: number): number {
    const period = Math.floor(now / this.periodMs);
    const index = Math.ceil((now - period * this.periodMs) / this.spacingMs);
    return index >= this.slotsPerPeriod ? (period + 1) * this.slotsPerPeriod : period * this.slotsPerPeriod + index;
  }

  public async take(_url?: URL): Promise<void> {
    const { clock } = this.options;
    for (;;) {
      // The first slot that has not started yet on this worker's clock.
      const current = this.firstSlotFrom(clock.now());
      const slot = (await this.claimQueued(current)) ?? (await this.claimCurrent(current));
      if (slot === undefined) continue; // another worker moved the counter meanwhile: queue again
      const slotAt = this.slotTime(slot);
      const wait = slotAt - clock.now();
      if (wait > 0) await clock.sleep(wait);
      // A timer that fired later than the period's free margin (a starved worker, a paused
      // process) would start the request in the next period, beside that period's own slots: the
      // slot is let go, and a new one taken. A request starts only in the period of its slot.
      if (clock.now() >= this.periodEnd(slot)) {
        this.slotsMissed += 1;
        continue;
      }
      this.options.onSlot?.(slotAt);
      return;
    }
  }

  /** When the period of slot `k` ends (epoch ms). */
  private periodEnd(k: number): number {
    return (Math.floor(k / this.slotsPerPeriod) + 1) * this.periodMs;
  }

  /** The next `count` slots in the queue, if the counter is at or ahead of `current` (the usual case under load): the first. */
  private async claimQueued(current: number, count = 1): Promise<number | undefined> {
    try {
      this.calls += 1;
      const result = await this.options.client.send(new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: this.key,
        UpdateExpression: 'ADD nextSlot :count',
        ConditionExpression: 'nextSlot >= :current',
        ExpressionAttributeValues: { ':count': { N: String(count) }, ':current': { N: String(current) } },
        ReturnValues: 'UPDATED_NEW',
      }));
      return Number(result.Attributes!.nextSlot.N) - count;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** The counter is behind the clock (or new): take `count` slots from `current` on and move the counter past them. */
  private async claimCurrent(current: number, count = 1): Promise<number | undefined> {
    try {
      this.calls += 1;
      await this.options.client.send(new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: this.key,
        UpdateExpression: 'SET nextSlot = :after',
        ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot <= :current',
        ExpressionAttributeValues: { ':current': { N: String(current) }, ':after': { N: String(current + count) } },
      }));
      return current;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';
}
