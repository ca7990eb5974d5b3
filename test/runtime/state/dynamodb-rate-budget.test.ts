/**
 * The rate budget the workers of a distributed run share, in moto's DynamoDB through the real
 * SDK client. Each worker is its own `DynamoDbRateBudget` (as each Lambda invocation is); the
 * assertions are on the slots the budget scheduled, read from a fake clock, never on how long a
 * busy machine took. (The wall-clock behaviour with worker processes is a benchmark:
 * bench/distributed.ts, docs/BENCHMARKS.md.)
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbRateBudget, feedRateBudget } from '../../../src/runtime/state/dynamodb-rate-budget';
import { FakeClock } from '../../helpers/fake-clock';
import { dynamoDbClient, serializedDynamoDbClient } from '../../helpers/moto-aws';

let tableName: string;
let counter = 0;
/** Writes reach moto one at a time, as DynamoDB applies them to an item (test/helpers/serializing-proxy.ts). */
let client: DynamoDBClient;
beforeAll(async () => {
  client = await serializedDynamoDbClient();
  tableName = `rate-budget-${process.pid}-${Date.now()}`;
  await dynamoDbClient().send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
});

function budget(clock: FakeClock, rate: number, slots: number[], feed: string) {
  return new DynamoDbRateBudget({
    client, tableName, budget: feedRateBudget(feed), requestsPerSecond: rate, clock, onSlot: (at) => slots.push(at),
  });
}

function countBy(slots: number[], ms: number): number[] {
  const counts = new Map<number, number>();
  for (const slot of slots) counts.set(Math.floor(slot / ms), (counts.get(Math.floor(slot / ms)) ?? 0) + 1);
  return [...counts.values()];
}

test.each([
  [20, 8, 25],
  [7, 4, 10],
])('at %d requests/s, %d workers taking %d slots each never schedule more than the budget in a second', async (rate, workers, each) => {
  const clock = new FakeClock();
  const slots: number[] = [];
  const feed = `feed-${(counter += 1)}`;
  await Promise.all(Array.from({ length: workers }, async () => {
    const mine = budget(clock, rate, slots, feed);
    for (let i = 0; i < each; i += 1) await mine.take();
  }));
  expect(slots).toHaveLength(workers * each);
  // Every slot is claimed once: the counter is the arbiter, no two workers get the same one.
  expect(new Set(slots).size).toBe(slots.length);
  expect(Math.max(...countBy(slots, 1000))).toBeLessThanOrEqual(rate);
  // Evenly spread over the first 900 ms of each second: the last 100 ms stay free for late timers.
  const sorted = [...slots].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((slot, i) => slot - sorted[i]);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900 / rate - 0.001);
  expect(Math.max(...slots.map((slot) => slot % 1000))).toBeLessThan(900);
});

test('a worker whose clock is behind queues after the others: it never gets a slot the counter has passed', async () => {
  const feed = `feed-${(counter += 1)}`;
  const ahead = new FakeClock(Date.parse('2026-11-25T12:00:01Z'));
  const behind = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
  const slots: number[] = [];
  await budget(ahead, 20, slots, feed).take();
  await budget(behind, 20, slots, feed).take();
  expect(slots).toEqual([Date.parse('2026-11-25T12:00:01Z'), Date.parse('2026-11-25T12:00:01.045Z')]);
  // It waited on its own clock until its slot.
  expect(behind.sleeps).toEqual([1045]);
});

test('after an idle spell the next slot is the current one: past slots are never handed out, so idleness never becomes a burst', async () => {
  const feed = `feed-${(counter += 1)}`;
  const clock = new FakeClock();
  const slots: number[] = [];
  const worker = budget(clock, 20, slots, feed);
  for (let i = 0; i < 3; i += 1) await worker.take();
  await clock.sleep(10_000);
  const resumed = clock.now();
  for (let i = 0; i < 3; i += 1) await worker.take();
  expect(slots.slice(3)).toEqual([resumed, resumed + 45, resumed + 90]);
  // One DynamoDB call a request, plus one for each time the counter was behind.
  expect(worker.calls).toBe(6 + 2);
});

test('Firehose throttled a worker: holdBack moves the queue a second on, so every worker\'s next slot waits; a burst of throttles holds once', async () => {
  const feed = `feed-${(counter += 1)}`;
  const clock = new FakeClock();
  const slots: number[] = [];
  const throttled = budget(clock, 20, slots, feed);
  const other = budget(clock, 20, slots, feed);
  await throttled.take();
  const heldAt = clock.now();
  expect(await throttled.holdBack(1000)).toBe(true);
  // The same worker told again within the second (several calls throttled at once) does not hold again.
  expect(await throttled.holdBack(1000)).toBe(false);
  await other.take();
  expect(slots[1] - heldAt).toBeGreaterThanOrEqual(1000);
  expect(slots[1] - heldAt).toBeLessThan(1100);
});

test('a hold with the counter behind the clock (idle) starts from now, not from the stale counter', async () => {
  const feed = `feed-${(counter += 1)}`;
  const clock = new FakeClock();
  const slots: number[] = [];
  const worker = budget(clock, 20, slots, feed);
  await worker.take();
  await clock.sleep(10_000);
  const heldAt = clock.now();
  await worker.holdBack(1000);
  await worker.take();
  expect(slots[1] - heldAt).toBeGreaterThanOrEqual(1000);
  expect(slots[1] - heldAt).toBeLessThan(1100);
});

/** A clock whose sleeps wake `lateMs` later than asked, every `every`-th one: a worker starved of CPU. */
class LateClock extends FakeClock {
  private count = 0;
  constructor(private readonly lateMs: number, private readonly every: number) { super(); }
  public async sleep(ms: number): Promise<void> {
    this.count += 1;
    await super.sleep(this.count % this.every === 0 ? ms + this.lateMs : ms);
  }
}

test('a worker that wakes after its slot\'s second has ended lets the slot go: no request starts in a second beside that second\'s own slots', async () => {
  const feed = `feed-${(counter += 1)}`;
  const clock = new LateClock(400, 3);
  const started: number[] = [];
  const slots: number[] = [];
  const workers = Array.from({ length: 4 }, () => budget(clock, 10, slots, feed));
  await Promise.all(workers.map(async (worker) => {
    for (let i = 0; i < 10; i += 1) {
      await worker.take();
      started.push(clock.now());
    }
  }));
  expect(started).toHaveLength(40);
  // Requests start in their slot's second, never more than the budget in any second.
  expect(Math.max(...countBy(started, 1000))).toBeLessThanOrEqual(10);
  const seconds = (times: number[]) => times.map((at) => Math.floor(at / 1000)).sort((a, b) => a - b);
  expect(seconds(started)).toEqual(seconds(slots));
  expect(workers.reduce((total, worker) => total + worker.slotsMissed, 0)).toBeGreaterThan(0);
});
