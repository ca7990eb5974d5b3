/**
 * A run as a durable execution (runtime groundwork of ExecutionMode.durable, issue #30), under
 * AWS's own local runner for Lambda durable functions (`@aws/durable-execution-sdk-js-testing`,
 * time skipped: a wait of an hour returns at once, with the SDK's clock moved on) with the real
 * SDK (`withDurableExecution`), the engine and a loopback API.
 */
import { withDurableExecution, type DurableContext } from '@aws/durable-execution-sdk-js';
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import type { FeedSpecInput } from '../../../src/feed-spec/feed-spec';
import { DEFAULT_MAX_PASSES, keptOutcome, MAX_KEPT_BYTES, runDurably, RunPass } from '../../../src/runtime/engine/durable-run';
import type { RunSummary } from '../../../src/runtime/engine/engine';
import { emptyRunSummary } from '../../../src/runtime/engine/run-summaries';
import { durableSteps } from '../../../src/runtime/entrypoints/durable-steps';
import type { DurableSteps } from '../../../src/runtime/ports/durable-steps';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingSink, HarnessOptions, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';


/** A durable function that runs the feed's passes with `pass`. */
const durableHandler = (pass: RunPass, maxPasses?: number) => withDurableExecution(async (_event: unknown, context: DurableContext) =>
  runDurably(durableSteps(context), pass, { now: () => Date.now(), maxPasses }));

/**
 * A pass as the durable entrypoint runs one: the engine with its own sink (one per invocation),
 * the pass's time budget, a checkpoint after each delivered page, held partitions on a long wait;
 * each delivered line is added to `delivered`.
 */
function enginePass(spec: FeedSpecInput, state: MemoryStateStore, budgetMs: number, delivered: string[], engine: HarnessOptions['engine'] = {}): RunPass {
  return async (_pass, only) => {
    const { summary, sink } = await runSpec(spec, {
      state, deadline: Date.now() + budgetMs, engine: { holdOnRetryAfter: true, checkpointPages: 1, onlyPartitions: only, ...engine },
    });
    delivered.push(...sink.lines);
    return summary;
  };
}

const idsOf = (lines: string[]) => lines.map((line) => JSON.parse(line).record.id).sort();

beforeAll(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: true }));
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

/** Pages of 2 records; `answer` may refuse a page (a 429, a crash) before it is served. */
type Refusal = { status: number; headers?: Record<string, string> } | undefined;

async function pagedApi(pages: number, answer: (page: number, seen: number) => Refusal = () => undefined) {
  const seen = new Map<number, number>();
  const api = await startLoopbackApi({
    '/items': (_req, res, url) => {
      const page = Number(url.searchParams.get('page'));
      seen.set(page, (seen.get(page) ?? 0) + 1);
      const refused = answer(page, seen.get(page)!);
      if (refused) {
        res.writeHead(refused.status, { 'content-type': 'application/json', ...refused.headers }).end('{"error":"not now"}');
        return;
      }
      json(res, 200, { data: [{ id: `${page}a` }, { id: `${page}b` }], more: page < pages });
    },
  });
  return { api, seen };
}

const pagedSpec = (api: LoopbackApi) => baseSpec(`${api.url}/items`, {
  records: { path: 'data' },
  pagination: { type: 'pageNumber', param: 'page', stop: { hasMorePath: 'more' } },
});

describe('a run as a durable execution', () => {
  let api: LoopbackApi | undefined;
  afterEach(() => api?.close());

  test('a Retry-After of an hour is a durable wait: the execution resumes at the refused page, every record once, no page fetched twice', async () => {
    const served = await pagedApi(4, (page, seen) => (page === 3 && seen === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : undefined));
    api = served.api;
    const state = new MemoryStateStore();
    const delivered: string[] = [];
    const passes: Array<{ pass: number; only: unknown }> = [];
    // Each pass has ten minutes; the API asks for an hour.
    const enginePassOf = enginePass(pagedSpec(api), state, 600_000, delivered, { holder: 'execution-1' });
    const handler = durableHandler(async (pass, only) => {
      passes.push({ pass, only });
      return enginePassOf(pass, only);
    });

    const runner = new LocalDurableTestRunner({ handlerFunction: handler });
    const execution = await runner.run({ payload: {} });
    expect(execution.getStatus()).toBe('SUCCEEDED');
    const summary = execution.getResult() as RunSummary;
    expect(summary).toMatchObject({ status: 'succeeded', passes: 2, recordsDelivered: 8 });
    expect(summary.stoppedEarly).toBeUndefined();
    // The wait is the API's hour (rounded up to whole seconds), as one durable wait.
    expect(runner.getOperation('wait after pass 1').getWaitDetails()?.waitSeconds).toBeGreaterThanOrEqual(3599);
    expect(runner.getOperation('wait after pass 1').getWaitDetails()?.waitSeconds).toBeLessThanOrEqual(3600);
    // Pages 1 and 2 once; page 3 refused once and then served; page 4 once.
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 1, 3: 2, 4: 1 });
    expect(idsOf(delivered)).toEqual(['1a', '1b', '2a', '2b', '3a', '3b', '4a', '4b']);
    // The feed has no partitions: the second pass goes on with the whole feed, from its checkpoint.
    expect(passes).toEqual([{ pass: 1, only: undefined }, { pass: 2, only: undefined }]);
    expect(state.checkpoints.size).toBe(0);
  });

  test('an execution interrupted mid-pass resumes after the last delivered page: nothing delivered is fetched again', async () => {
    const served = await pagedApi(4);
    api = served.api;
    const state = new MemoryStateStore();
    const sink = new CollectingSink();
    let attempts = 0;
    // The entrypoint's steps are retried when an attempt dies, as the SDK does after a crash or a timeout.
    const handler = withDurableExecution(async (_event: unknown, context: DurableContext) => runDurably(durableSteps(context), async () => {
      attempts += 1;
      // The first attempt dies after its second page is delivered: the invocation is gone, mid-run.
      const dying = attempts === 1;
      const original = sink.write.bind(sink);
      sink.write = async (line) => {
        if (dying && sink.lines.length === 4) throw new Error('the invocation ended (timeout)');
        return original(line);
      };
      try {
        const { summary } = await runSpec(pagedSpec(api!), { state, sink, engine: { checkpointPages: 1, holder: 'execution-2' } });
        return summary;
      } finally {
        sink.write = original;
      }
    }, { now: () => Date.now() }));

    const runner = new LocalDurableTestRunner({ handlerFunction: handler });
    const execution = await runner.run({ payload: {} });
    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
    expect(runner.getOperation('pass 1').getStepDetails()?.attempt).toBe(2);
    expect((execution.getResult() as RunSummary).status).toBe('succeeded');
    // Pages 1 and 2 were delivered before the crash: never fetched again. Pages 3 and 4 were fetched
    // (4 ahead, while 3 was being delivered) but not delivered: fetched again.
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 1, 3: 2, 4: 2 });
    expect(sink.records.map((record) => record.id).sort()).toEqual(['1a', '1b', '2a', '2b', '3a', '3b', '4a', '4b']);
  });

  test('a 40-minute export job: each pass polls once and holds, the execution waits between polls without compute, one job is created',
    async () => {
      let creates = 0;
      let polls = 0;
      api = await startLoopbackApi({
        '/jobs': (_req, res) => {
          creates += 1;
          json(res, 200, { id: 'job-1', state: 'Queued' });
        },
        '/jobs/job-1': (_req, res) => {
          polls += 1;
          // Polled every 5 minutes, the job is done at its ninth poll: 40 minutes after the first.
          json(res, 200, { id: 'job-1', state: polls >= 9 ? 'Complete' : 'Running' });
        },
        '/jobs/job-1/results': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"id":"r1"}\n{"id":"r2"}\n');
        },
      });
      const spec = baseSpec(`${api.url}/jobs`, {
        request: { url: `${api.url}/jobs`, method: 'POST', body: { report: 'orders' } },
        records: { format: 'ndjson' },
        export: {
          jobIdPath: 'id',
          status: { url: `${api.url}/jobs/{{ job.id }}`, path: 'state', ready: ['Complete'], failed: ['Failed'] },
          results: { url: `${api.url}/jobs/{{ job.id }}/results` },
          pollSeconds: 300,
          maxPollSeconds: 300,
        },
      });
      const state = new MemoryStateStore();
      const delivered: string[] = [];
      // A pass's budget is shorter than a poll's wait: it polls once, then holds with the job in its checkpoint.
      const handler = durableHandler(enginePass(spec, state, 60_000, delivered));
      const runner = new LocalDurableTestRunner({ handlerFunction: handler });
      const execution = await runner.run({ payload: {} });
      expect(execution.getStatus()).toBe('SUCCEEDED');
      const summary = execution.getResult() as RunSummary;
      expect(summary.status).toBe('succeeded');
      expect(idsOf(delivered)).toEqual(['r1', 'r2']);
      expect(creates).toBe(1);
      // Polled at 0, 5, 10, ... 40 minutes: nine polls, one a pass, eight durable waits of the poll interval.
      expect(polls).toBe(9);
      expect(summary.passes).toBe(9);
      const waits = execution.getOperations().filter((operation) => operation.getType() === 'WAIT').map((operation) => operation.getWaitDetails()?.waitSeconds);
      expect(waits).toEqual(Array(8).fill(300));
      expect(await state.getCheckpoint('test-feed', '-')).toBeUndefined();
    });

  test('an export job\'s polls back off across passes (the next delay is kept with the job), and no wait over the in-process limit is made in process', async () => {
    let polls = 0;
    api = await startLoopbackApi({
      '/jobs': (_req, res) => json(res, 200, { id: 'job-2' }),
      '/jobs/job-2': (_req, res) => {
        polls += 1;
        json(res, 200, { state: polls >= 4 ? 'Complete' : 'Running' });
      },
      '/jobs/job-2/results': (_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"id":"r1"}\n'),
    });
    const spec = baseSpec(`${api.url}/jobs`, {
      request: { url: `${api.url}/jobs`, method: 'POST' },
      records: { format: 'ndjson' },
      export: {
        jobIdPath: 'id',
        status: { url: `${api.url}/jobs/{{ job.id }}`, path: 'state', ready: ['Complete'] },
        results: { url: `${api.url}/jobs/{{ job.id }}/results` },
        pollSeconds: 60,
        maxPollSeconds: 600,
      },
    });
    const delivered: string[] = [];
    // Ten minutes a pass, but no wait over 30 s in process: every poll's wait is a durable one.
    const handler = durableHandler(enginePass(spec, new MemoryStateStore(), 600_000, delivered, { longestWaitMs: 30_000 }));
    const execution = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} });
    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(idsOf(delivered)).toEqual(['r1']);
    const waits = execution.getOperations().filter((operation) => operation.getType() === 'WAIT').map((operation) => operation.getWaitDetails()?.waitSeconds);
    expect(waits).toEqual([60, 120, 240]);
  });

  test('a request slot further away than the run waits in process (a low requestsPerSecond) is a durable wait: one page a pass', async () => {
    const served = await pagedApi(3);
    api = served.api;
    const delivered: string[] = [];
    // One request every two minutes: each slot after the first is waited for without compute.
    const spec = { ...pagedSpec(api), limits: { ...pagedSpec(api).limits, requestsPerSecond: 1 / 120 } } as FeedSpecInput;
    const handler = durableHandler(enginePass(spec, new MemoryStateStore(), 600_000, delivered, { longestWaitMs: 30_000 }));
    const runner = new LocalDurableTestRunner({ handlerFunction: handler });
    const execution = await runner.run({ payload: {} });
    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(idsOf(delivered)).toEqual(['1a', '1b', '2a', '2b', '3a', '3b']);
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 1, 3: 1 });
    const waits = execution.getOperations().filter((operation) => operation.getType() === 'WAIT').map((operation) => operation.getWaitDetails()?.waitSeconds);
    expect(waits).toHaveLength(2);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(119);
    expect((execution.getResult() as RunSummary)).toMatchObject({ status: 'succeeded', passes: 3, recordsDelivered: 6 });
  });

  test('the execution holds the feed\'s lease through its waits: another run is refused during the hour, and may run once it ends', async () => {
    const served = await pagedApi(2, (page, seen) => (page === 2 && seen === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : undefined));
    api = served.api;
    const state = new MemoryStateStore();
    const holder = 'execution-3';
    const probes: Array<{ during: string; otherRunGotLease: boolean }> = [];
    const probe = async (during: string) => {
      const other = await state.acquireLease('test-feed', 'another-run', new Date(Date.now() + 60_000));
      if (other.acquired) await state.releaseLease('test-feed', 'another-run');
      probes.push({ during, otherRunGotLease: other.acquired });
    };
    // The port's contract, played step by step (the SDK's replay is exercised by the tests above).
    const operations: string[] = [];
    const steps: DurableSteps = {
      step: async (name, fn) => {
        operations.push(name);
        return fn();
      },
      wait: async (name, seconds) => {
        operations.push(`${name} (${seconds} s)`);
        await probe(name);
      },
      map: async () => { throw new Error('a run of the live feed maps nothing'); },
    };
    const summary = await runDurably(steps, enginePass(pagedSpec(api), state, 600_000, [], { holder, keepLease: true }), {
      now: () => Date.now(),
      lease: {
        hold: async (until) => (await state.acquireLease('test-feed', holder, until)).acquired,
        release: () => state.releaseLease('test-feed', holder),
      },
    });
    expect(summary).toMatchObject({ status: 'succeeded', passes: 2 });
    expect(operations).toEqual(['pass 1', 'hold the lease through wait 1', expect.stringMatching(/^wait after pass 1 \((3599|3600) s\)$/), 'pass 2', 'release the lease']);
    expect(probes).toEqual([{ during: 'wait after pass 1', otherRunGotLease: false }]);
    await probe('after the run');
    expect(probes[1]).toEqual({ during: 'after the run', otherRunGotLease: true });
  });

  test('the records are the same as a single invocation\'s for the same API', async () => {
    const served = await pagedApi(4);
    api = served.api;
    const single = await runSpec(pagedSpec(api));
    const delivered: string[] = [];
    const handler = durableHandler(enginePass(pagedSpec(api), new MemoryStateStore(), 600_000, delivered));
    const execution = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} });
    expect(execution.getStatus()).toBe('SUCCEEDED');
    const envelope = (line: string) => {
      const { fetched_at: _fetchedAt, ...rest } = JSON.parse(line);
      return rest;
    };
    expect(delivered.map(envelope)).toEqual(single.sink.lines.map(envelope));
  });

  test('a run that keeps being held stops at the passes one execution may make, and says so', async () => {
    const handler = durableHandler(async () => ({
      ...heldPass(), resumeAt: new Date(Date.now() + 60_000).toISOString(),
    }), 3);
    const execution = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} });
    const summary = execution.getResult() as RunSummary;
    expect(summary.passes).toBe(3);
    expect(summary.stoppedEarly).toBe('the API asked to wait');
    expect(summary.warnings?.at(-1)).toMatch(/made 3 passes, the most one durable execution makes; the held partitions go on from their checkpoints in the next run/);
    // A pass is at most three operations (its step, the lease's renewal, a wait): well inside an execution's ~25,000.
    expect(DEFAULT_MAX_PASSES * 3).toBeLessThan(25_000);
  });

  test('at the passes one execution may make, the run gives its lease back (not completed) and goes on in a new execution with the held partitions', async () => {
    const calls: string[] = [];
    const held = [{ station: 'KSEA' }];
    const handler = withDurableExecution(async (_event: unknown, context: DurableContext) => runDurably(durableSteps(context),
      async () => ({ ...heldPass(), partitionsHeld: held, resumeAt: new Date(Date.now() + 60_000).toISOString() }), {
        now: () => Date.now(),
        maxPasses: 2,
        lease: {
          hold: async () => { calls.push('hold'); return true; },
          release: async (completed) => { calls.push(`release (completed: ${completed})`); },
        },
        continueRun: async (only) => { calls.push(`continue with ${JSON.stringify(only)}`); return 'continued-abc'; },
      }));
    const runner = new LocalDurableTestRunner({ handlerFunction: handler });
    const execution = await runner.run({ payload: {} });
    const summary = execution.getResult() as RunSummary;
    expect(summary).toMatchObject({ passes: 2, continuedIn: 'continued-abc', stoppedEarly: 'the API asked to wait' });
    expect(summary.warnings?.at(-1)).toMatch(/made 2 passes, the most one durable execution makes; it goes on from the held partitions' checkpoints in execution continued-abc/);
    // The new execution may take the lease: it was released first; and a partial run is not recorded as completed.
    expect(calls).toEqual(['hold', 'hold', 'release (completed: false)', 'continue with [{"station":"KSEA"}]']);
    expect(runner.getOperation('continue in a new execution').getStepDetails()?.result).toBe('continued-abc');
  });

  test('a wait that would outlast the execution\'s timeout is not begun: the run ends with the partition held, gives the lease back and says why', async () => {
    const calls: string[] = [];
    const handler = withDurableExecution(async (_event: unknown, context: DurableContext) => runDurably(durableSteps(context),
      async () => ({ ...heldPass(), resumeAt: new Date(Date.now() + 2 * 3_600_000).toISOString() }), {
        now: () => Date.now(),
        // An hour left: the API asks for two.
        executionDeadline: Date.now() + 3_600_000,
        lease: {
          hold: async () => { calls.push('hold'); return true; },
          release: async (completed) => { calls.push(`release (completed: ${completed})`); },
        },
      }));
    const execution = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} });
    const summary = execution.getResult() as RunSummary;
    expect(summary).toMatchObject({ passes: 1, stoppedEarly: 'the API asked to wait' });
    expect(summary.warnings?.at(-1)).toMatch(/the API asked to wait 7\d{3} s, past the execution's timeout \(executionTimeout\): the held partitions go on from their checkpoints in the next run/);
    expect(execution.getOperations().filter((operation) => operation.getType() === 'WAIT')).toEqual([]);
    // No renewal for a wait that is not begun; the lease is given back at once.
    expect(calls).toEqual(['release (completed: true)']);
  });

  test('a pass whose held partitions would not fit a checkpoint keeps none: the next pass goes over every partition, and the summary says why', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ station: `STATION-${String(i).padStart(5, '0')}-${'x'.repeat(20)}` }));
    const kept = keptOutcome({ summary: { ...heldPass(), partitionsHeld: many }, waitSeconds: 60 });
    expect(kept.summary.partitionsHeld).toBeUndefined();
    expect(kept.summary.stoppedEarly).toBe('the API asked to wait');
    expect(kept.summary.warnings?.at(-1)).toMatch(/the 5000 held partitions are too many to keep in a durable checkpoint \(128 KB\)/);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(MAX_KEPT_BYTES);
    const few = { summary: { ...heldPass(), partitionsHeld: many.slice(0, 10) }, waitSeconds: 60 };
    expect(keptOutcome(few)).toBe(few);
  });
});

/** A pass that stopped at a page the API asked to wait for (partial: its partition is held). */
function heldPass(): RunSummary {
  return {
    ...emptyRunSummary('feed', 'partial', 1),
    partitions: 1,
    pages: 1,
    requests: 1,
    checkpointsSaved: 1,
    shortReads: 0,
    stoppedEarly: 'the API asked to wait',
    partitionsHeld: [null],
    warnings: [],
  };
}
