/**
 * Durable runs, measured (not a test): the bundled durable poller (`assets/poller-durable`) under
 * AWS's local runner for durable functions (time skipped: an hour's wait returns at once, and the
 * runner counts the operations and keeps the step results Lambda would checkpoint), beside the
 * bundled single-invocation poller in its own process, both against the same loopback API and moto
 * (Firehose, S3, DynamoDB, SQS).
 *
 * 1. Pages without waits: 100 pages of 100 records, 20 ms per request. Reported: wall time, the
 *    run's own time (what an invocation is billed for, beside its start), records delivered, and
 *    for the durable run its operations and the bytes its steps checkpoint.
 * 2. An hour's Retry-After on page 3 of 6: the single invocation cannot wait that long (its run
 *    ends with the page failed, for the next run to fetch again); the durable run waits for it.
 * 3. A 40-minute export job, polled every 5 minutes.
 *
 * From these and AWS's list prices, the cost per million records and per hour waited in each mode.
 *
 * Run: npm run bench:durable (writes the "durable" section of docs/BENCHMARKS.md).
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import * as path from 'node:path';
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { ensureMoto, writeBenchmarksSection } from './support';
import type { FeedSpecInput } from '../src/feed-spec/feed-spec';
import { POLLER_ENV } from '../src/feed-spec/poller-contract';
import { asScheduled, invokeBundledHandler } from '../test/helpers/bundled-handler';
import { createFeedResources, FeedResources, motoEnv, pollerEnv, readAllObjects } from '../test/helpers/moto-aws';

const ROOT = path.resolve(__dirname, '..');

/** The real clock, kept before the durable runner fakes Date and the timers (its time skipping). */
const realHrtime = process.hrtime.bigint.bind(process.hrtime);
const wallClockMs = () => Number(realHrtime() / 1_000_000n);

/**
 * us-east-1 list prices (https://aws.amazon.com/lambda/pricing/, https://aws.amazon.com/step-functions/pricing/),
 * as read in late 2026: check them before you rely on a figure.
 */
export const PRICES = {
  /** Lambda duration, arm64 (the poller's architecture), first tier, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda requests (an invocation, a durable execution's every invocation included), each. */
  lambdaRequest: 0.20 / 1e6,
  /** Lambda durable functions: each durable operation (a step, a wait, a step's retry, the execution's start), each. */
  durableOperation: 8.00 / 1e6,
  /** Step Functions Standard: each state transition. */
  stepFunctionsTransition: 0.025 / 1000,
};

/** The poller's default memory: 512 MB. */
const MEMORY_GB = 0.5;

interface Api { url: string; server: Server; requests: () => number }

/** `pages` pages of `perPage` records after `latencyMs`; `refuse(page, seen)` may answer 429 with a Retry-After instead. */
async function startApi(pages: number, perPage: number, latencyMs: number,
  refuse: (page: number, seen: number) => string | undefined = () => undefined): Promise<Api> {
  const seen = new Map<number, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '1');
    seen.set(page, (seen.get(page) ?? 0) + 1);
    const retryAfter = refuse(page, seen.get(page)!);
    setTimeout(() => {
      if (retryAfter) return res.writeHead(429, { 'retry-after': retryAfter }).end();
      const data = Array.from({ length: perPage }, (_, i) => ({ id: `${page}-${i}`, value: i, note: 'x'.repeat(40) }));
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, more: page < pages }));
    }, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests: () => requests };
}

function pagedSpec(api: Api): FeedSpecInput {
  return {
    version: 1,
    feed: 'bench-durable',
    request: { url: `${api.url}/items` },
    records: { path: 'data' },
    pagination: { type: 'pageNumber', param: 'page', stop: { hasMorePath: 'more' } },
    limits: { allowPrivateAddresses: true },
  } as FeedSpecInput;
}

function exportSpec(url: string): FeedSpecInput {
  return {
    version: 1,
    feed: 'bench-durable',
    request: { url: `${url}/exports`, method: 'POST', body: { report: 'orders' } },
    records: { format: 'ndjson' },
    export: {
      jobIdPath: 'id',
      status: { url: `${url}/exports/{{ job.id }}`, path: 'state', ready: ['done'] },
      results: { url: `${url}/exports/{{ job.id }}/file` },
      pollSeconds: 300,
      maxPollSeconds: 300,
    },
    limits: { allowPrivateAddresses: true },
  } as FeedSpecInput;
}

const event = (spec: FeedSpecInput, executionId: string) => ({ spec, scheduledTime: '2026-12-07T06:00:00Z', executionId });

interface Measured {
  readonly mode: string;
  readonly wallMs: number;
  /** The run's own time (its summary's durationMs, summed over passes): billed compute, beside the invocations' starts. */
  readonly runMs: number;
  readonly status: string;
  readonly records: number;
  readonly distinct: number;
  /** Lambda invocations: one, or one more after each durable wait. */
  readonly invocations?: number;
  readonly operations?: number;
  readonly checkpointBytes?: number;
  readonly waits?: number[];
}

async function delivered(resources: FeedResources): Promise<{ records: number; distinct: number }> {
  const ids = [...(await readAllObjects(resources.bucketName)).values()].join('').split('\n').filter(Boolean).map((line) => JSON.parse(line).record.id);
  return { records: ids.length, distinct: new Set(ids).size };
}

async function single(spec: FeedSpecInput, executionId: string): Promise<Measured> {
  const resources = await createFeedResources();
  const started = wallClockMs();
  // The poller's default timeout (5 minutes): its time budget is what Lambda says remains.
  const outcome = await invokeBundledHandler(asScheduled(JSON.stringify(event(spec, executionId)), '2026-12-07T06:00:00Z', executionId), pollerEnv(resources), 300_000);
  const wallMs = wallClockMs() - started;
  const summary = outcome.result ?? {};
  // A failed invocation has no summary: its time is the process's, start included.
  const status = outcome.ok ? summary.status : 'failed: the invocation errs, the next run fetches the page again';
  return { mode: 'single invocation', wallMs, runMs: summary.durationMs ?? wallMs, status, invocations: 1, ...await delivered(resources) };
}

let durableHandler: (...args: any[]) => Promise<any>;

/**
 * A durable run of `spec`. `skipTime` for runs that wait: the runner's fake clock then ticks the
 * process's timers in 20 ms steps, which would slow a run without waits (the API's latency, the
 * engine's own timers) and make its time mean nothing, so a run without waits keeps the real clock.
 */
async function durable(spec: FeedSpecInput, executionId: string, skipTime: boolean): Promise<Measured> {
  const resources = await createFeedResources();
  // As deployed with the default executionTimeout (1 day): the poller keeps the execution's start in a step.
  Object.assign(process.env, pollerEnv(resources), { [POLLER_ENV.durableExecutionTimeout]: String(24 * 3600) });
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime });
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: durableHandler });
    const started = wallClockMs();
    const execution = await runner.run({ payload: event(spec, executionId) });
    const wallMs = wallClockMs() - started;
    const operations = execution.getOperations();
    const steps = operations.filter((operation) => operation.getType() === 'STEP');
    const summary = execution.getResult() as any;
    const waits = operations.filter((operation) => operation.getType() === 'WAIT').map((operation) => operation.getWaitDetails()?.waitSeconds ?? 0);
    return {
      mode: 'durable',
      wallMs,
      runMs: summary?.durationMs ?? 0,
      status: summary?.status ?? execution.getStatus(),
      // Lambda ends an invocation at each wait and invokes the function again after it.
      invocations: waits.length + 1,
      // The execution's start counts as an operation too.
      operations: operations.length + 1,
      checkpointBytes: steps.reduce((total, step) => total + Buffer.byteLength(JSON.stringify(step.getStepDetails()?.result ?? null)), 0),
      waits,
      ...await delivered(resources),
    };
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const dollars = (value: number) => (value >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`);

function row(m: Measured): string {
  return `| ${m.mode} | ${m.status} | ${seconds(m.wallMs)} | ${seconds(m.runMs)} | ${m.records} (${m.distinct} distinct) | ${m.invocations ?? ''} | `
    + `${m.operations ?? ''} | ${m.checkpointBytes !== undefined ? `${(m.checkpointBytes / 1024).toFixed(1)} KB` : ''} | ${m.waits?.length ? m.waits.join(', ') + ' s' : ''} |`;
}

async function main(): Promise<void> {
  const stopMoto = await ensureMoto();
  Object.assign(process.env, motoEnv());
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  durableHandler = require(path.join(ROOT, 'assets', 'poller-durable', 'index.js')).handler;
  const header = '| mode | status | wall time | run time (billed) | records delivered | invocations | durable operations | checkpointed | durable waits |\n'
    + '| --- | --- | --: | --: | --: | --: | --: | --: | --- |';
  const lines: string[] = [];
  try {
    // 1. Pages without waits.
    const pagesApi = await startApi(100, 100, 20);
    const pagesSingle = await single(pagedSpec(pagesApi), 'pages-single');
    const pagesDurable = await durable(pagedSpec(pagesApi), 'pages-durable', false);
    pagesApi.server.close();
    console.log(row(pagesSingle));
    console.log(row(pagesDurable));
    // 2. An hour's Retry-After on page 3 of 6.
    const hourApi = () => startApi(6, 100, 20, (page, seen) => (page === 3 && seen === 1 ? '3600' : undefined));
    const apiForSingle = await hourApi();
    const waitSingle = await single(pagedSpec(apiForSingle), 'wait-single');
    apiForSingle.server.close();
    const apiForDurable = await hourApi();
    const waitDurable = await durable(pagedSpec(apiForDurable), 'wait-durable', true);
    apiForDurable.server.close();
    console.log(row(waitSingle));
    console.log(row(waitDurable));
    // 3. A 40-minute export job, polled every 5 minutes.
    let polls = 0;
    const exportServer = createServer((req, res) => {
      if (req.method === 'POST') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"e1"}');
      if (req.url!.endsWith('/file')) {
        return res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: `e${i}` })).join('\n'));
      }
      polls += 1;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: polls >= 9 ? 'done' : 'running' }));
    });
    await new Promise<void>((resolve) => exportServer.listen(0, '127.0.0.1', resolve));
    const exportUrl = `http://127.0.0.1:${(exportServer.address() as AddressInfo).port}`;
    const exportDurable = await durable(exportSpec(exportUrl), 'export-durable', true);
    exportServer.close();
    console.log(row(exportDurable));

    // The cost model, from the measurements.
    const recordsPerPage = 100;
    const runSecondsPerPage = pagesSingle.runMs / 1000 / 100;
    const durableRunSecondsPerPage = pagesDurable.runMs / 1000 / 100;
    const computePerMillion = (secondsPerPage: number) => (1e6 / recordsPerPage) * secondsPerPage * MEMORY_GB * PRICES.lambdaGbSecond;
    // A pass runs until its budget (about 13 of 15 minutes): pages per pass at the measured pace.
    const pagesPerPass = Math.floor((15 * 60 * 0.85) / Math.max(durableRunSecondsPerPage, 0.001));
    const passesPerMillion = Math.ceil(1e6 / recordsPerPage / pagesPerPass);
    // Each pass: its step, the lease's renewal and a 1 s wait before the next (a new invocation); the run: start, its start time, release, report.
    const durableOpsPerMillion = passesPerMillion * 3 + 4;
    // Distributed: 100 records a partition, 125 partitions a batch; about 4 transitions a run and 3 a batch (docs/SCALING.md).
    const batches = Math.ceil(1e6 / recordsPerPage / 125);
    const transitions = 4 + 3 * batches;
    const waitOps = 3; // the lease's renewal, the wait, the next pass's step
    const rows = [
      ['single invocation', dollars(computePerMillion(runSecondsPerPage)), 'cannot: it waits in process up to its time budget (15 minutes at most), '
        + `then leaves the rest to the next run; in process, ${dollars(3600 * MEMORY_GB * PRICES.lambdaGbSecond)} an hour`],
      ['durable', `${dollars(computePerMillion(durableRunSecondsPerPage) + durableOpsPerMillion * PRICES.durableOperation)} (${durableOpsPerMillion} operations)`,
        `${dollars(waitOps * PRICES.durableOperation + PRICES.lambdaRequest)} (${waitOps} operations and one invocation, whatever the wait's length)`],
      ['distributed', `${dollars(computePerMillion(runSecondsPerPage) + transitions * PRICES.stepFunctionsTransition)} (${transitions} transitions)`,
        `as a single invocation: its workers are Lambda invocations that wait in process (${dollars(3600 * MEMORY_GB * PRICES.lambdaGbSecond)} an hour, 15 minutes at most)`],
    ];
    lines.push(
      '<!-- durable:start -->',
      '## Durable runs: what waiting and checkpointing cost',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:durable\` (bench/durable.ts) on ${cpus().length} CPUs `
      + `(${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, moto in server mode. The single-invocation `
      + 'poller is the bundled `assets/poller`, in its own process; the durable poller is the bundled `assets/poller-durable` under AWS\'s local '
      + 'runner for durable functions (`@aws/durable-execution-sdk-js-testing`) in this process, with time skipped for the runs that wait '
      + '(the runner\'s fake clock ticks timers in 20 ms steps, so their run times are coarse). "Run time" is the runs\' own '
      + 'duration from their summaries (passes summed), what Lambda bills beside each invocation\'s start; "checkpointed" is the size of '
      + 'the step results the runner kept, what Lambda stores for the execution.',
      '',
      '### 100 pages of 100 records, 20 ms per request',
      '',
      header,
      row(pagesSingle),
      row(pagesDurable),
      '',
      '### An hour\'s Retry-After on page 3 of 6',
      '',
      header,
      row(waitSingle),
      row(waitDurable),
      '',
      '### A 40-minute export job, polled every 5 minutes',
      '',
      header,
      row(exportDurable),
      '',
      '### Cost per million records and per hour waited',
      '',
      `From the measurements above (${runSecondsPerPage.toFixed(3)} s of run time a page in one invocation, ${durableRunSecondsPerPage.toFixed(3)} s `
      + `in a durable pass; 100 records a page; 512 MB) and us-east-1 list prices: Lambda arm64 $${PRICES.lambdaGbSecond} per GB-second and `
      + '$0.20 per million requests, durable operations $8.00 per million, Step Functions Standard $0.025 per 1,000 state transitions '
      + '(aws.amazon.com/lambda/pricing, aws.amazon.com/step-functions/pricing; check them). Firehose, S3, DynamoDB and the API cost the '
      + 'same in every mode and are left out; so are Lambda\'s data-written and data-retained charges for durable executions, which '
      + `are per GB: the runs above checkpoint ${((pagesDurable.checkpointBytes ?? 0) / 1024).toFixed(1)} KB for 10,000 records.`,
      '',
      '| mode | per million records | per hour waited |',
      '| --- | --- | --- |',
      ...rows.map((cells) => `| ${cells.join(' | ')} |`),
      '<!-- durable:end -->',
    );
  } finally {
    stopMoto();
  }
  writeBenchmarksSection('durable', lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
