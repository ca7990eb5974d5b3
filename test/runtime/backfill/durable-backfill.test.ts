/**
 * A backfill in one durable execution (`runBackfillDurably`), played through the `DurableSteps`
 * port step by step (the SDK's own map and replay run in test/runtime/durable-poller.e2e.test.ts):
 * the bound on windows per execution and the continuation with the rest of the range, the windows'
 * concurrency, a window another backfill holds, and a window that does not complete.
 */
import { BackfillRequest, backfillWindows, TimeWindow } from '../../../src/feed-spec/backfill';
import { MAX_WINDOWS_PER_EXECUTION, runBackfillDurably } from '../../../src/runtime/backfill/durable-backfill';
import type { RunSummary } from '../../../src/runtime/engine/engine';
import type { DurableSteps } from '../../../src/runtime/ports/durable-steps';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';

/** The port's contract in memory: steps run once, waits are recorded, the map runs its items in order and records its bound. */
function memorySteps(record: { maps: Array<{ name: string; items: number; maxConcurrency: number }>; waits: number[] }): DurableSteps {
  const steps: DurableSteps = {
    step: (_name, fn) => fn(),
    wait: async (_name, seconds) => { record.waits.push(seconds); },
    map: async (name, items, fn, maxConcurrency) => {
      record.maps.push({ name, items: items.length, maxConcurrency });
      const results = [];
      for (const [index, item] of items.entries()) results.push(await fn(steps, item, index));
      return results;
    },
  };
  return steps;
}

function windowRun(window: TimeWindow, records = 2, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    feed: 'orders',
    status: 'succeeded',
    partitions: 1,
    partitionsFailed: 0,
    failures: [],
    pages: 1,
    recordsFetched: records,
    recordsDelivered: records,
    recordsDeadLettered: 0,
    requestsDeadLettered: 0,
    requests: 1,
    retries: 0,
    sinkCalls: 1,
    failedPuts: 0,
    bytesDelivered: 100,
    bytesBilled: 5120,
    cursorsCommitted: 1,
    checkpointsSaved: 0,
    durationMs: 10,
    shortReads: 0,
    warnings: [`window ${window.start}`],
    ...extra,
  } as RunSummary;
}

const HOURLY = (hours: number): BackfillRequest => ({
  from: '2026-01-01T00:00:00.000Z', to: new Date(Date.parse('2026-01-01T00:00:00Z') + hours * 3_600_000).toISOString(), windowSeconds: 3600,
});

describe('a backfill in one durable execution', () => {
  test(`takes ${MAX_WINDOWS_PER_EXECUTION} windows and starts a new execution with the rest of the range, saying so`, async () => {
    const record = { maps: [] as Array<{ name: string; items: number; maxConcurrency: number }>, waits: [] as number[] };
    const ran: string[] = [];
    const continued: BackfillRequest[] = [];
    const request = HOURLY(MAX_WINDOWS_PER_EXECUTION + 10);
    const summary = await runBackfillDurably(memorySteps(record), {
      feed: 'orders',
      request,
      state: new MemoryStateStore(),
      holder: 'execution-1',
      now: () => 0,
      concurrency: 3,
      windowPass: (window) => async () => { ran.push(window.start); return windowRun(window); },
      continueBackfill: async (rest) => { continued.push(rest); return 'continued-1'; },
    });
    expect(record.maps).toEqual([{ name: 'backfill windows', items: MAX_WINDOWS_PER_EXECUTION, maxConcurrency: 3 }]);
    expect(ran).toHaveLength(MAX_WINDOWS_PER_EXECUTION);
    const all = backfillWindows(request);
    expect(continued).toEqual([{ ...request, from: all[MAX_WINDOWS_PER_EXECUTION].start }]);
    expect(summary).toMatchObject({
      status: 'partial',
      windows: MAX_WINDOWS_PER_EXECUTION,
      windowsDone: MAX_WINDOWS_PER_EXECUTION,
      windowsLeft: 10,
      continuedIn: 'continued-1',
      runs: { recordsDelivered: 2 * MAX_WINDOWS_PER_EXECUTION },
    });
  });

  test('a window another backfill holds is left to it, one that stops early goes on in its next pass, one that fails is not marked done; '
    + 'a second backfill runs only those not done', async () => {
    const request = HOURLY(3);
    const [first, second, third] = backfillWindows(request);
    const record = { maps: [] as Array<{ name: string; items: number; maxConcurrency: number }>, waits: [] as number[] };
    const ran: string[] = [];
    let firstHeld = true;
    let thirdFails = true;
    const options = {
      feed: 'orders',
      request,
      state: new MemoryStateStore(),
      holder: 'execution-2',
      now: () => 0,
      windowPass: (window: TimeWindow) => async (pass: number) => {
        ran.push(window.start);
        if (window.start === first.start && firstHeld) {
          return { ...windowRun(window, 0), status: 'skipped', skipped: 'another run holds the lease' } as RunSummary;
        }
        // The second window stops at its time budget in its first pass (its checkpoint stays).
        if (window.start === second.start && pass === 1) return windowRun(window, 1, { stoppedEarly: 'time budget reached', partitionsHeld: [null] });
        if (window.start === third.start && thirdFails) {
          return windowRun(window, 0, { status: 'failed', partitionsFailed: 1, failures: [{ partition: null, error: 'HTTP 500' }] });
        }
        return windowRun(window);
      },
    };
    const summary = await runBackfillDurably(memorySteps(record), options);
    expect(summary).toMatchObject({
      status: 'partial',
      windows: 3,
      windowsDone: 1,
      windowsHeld: 1,
      windowsIncomplete: 1,
      incomplete: [{ window: third, reason: 'HTTP 500' }],
      runs: { recordsDelivered: 3 },
    });
    // The second window's next pass came after a 1 s wait (a new invocation), in the same execution.
    expect(record.waits).toEqual([1]);
    expect(ran.filter((start) => start === second.start)).toHaveLength(2);

    firstHeld = false;
    thirdFails = false;
    ran.length = 0;
    const again = await runBackfillDurably(memorySteps(record), { ...options, holder: 'execution-3' });
    expect(again).toMatchObject({ status: 'succeeded', windowsDone: 2, windowsAlreadyDone: 1 });
    expect(ran.sort()).toEqual([first.start, third.start].sort());
  });
});
