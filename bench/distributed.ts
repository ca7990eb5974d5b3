/**
 * Distributed runs, measured (not a test): the bundled poller's plan and slice modes, each
 * invocation in its own process as Lambda runs it, against moto (DynamoDB state and rate budget,
 * S3 control folder, Firehose) and a loopback API in its own process that answers after a fixed
 * latency, counts the requests it receives in each calendar second and answers 429 above its limit.
 *
 * 1. Rate budget: 1, 4 and 16 concurrent workers share `limits.requestsPerSecond`; the API's
 *    limit equals the budget. Reported: the most requests the API saw in a second, its 429s, the
 *    share of the budget used over the run, and records delivered (each exactly once?).
 * 2. Wall time to ingest 2,000 partitions (100 ms per request, a budget of 200 requests/s): one
 *    invocation (`run` mode, 4 partitions at a time) against 4 and 16 workers, next to the floor
 *    the budget sets (requests / budget).
 *
 * 3. Near-real-time: one invocation polling every 2 s for 20 s (`repeat`, as `pollInterval` sets it),
 *    in process, into moto's Firehose: the delay from the API's response to Firehose accepting the
 *    record (the PutRecordBatch answer), per record.
 *
 * Run: npm run bench:distributed (writes the "distributed" section of docs/BENCHMARKS.md).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { ensureMoto, writeBenchmarksSection } from './support';
import type { FeedSpecInput } from '../src/feed-spec/feed-spec';
import { parseFeedSpec } from '../src/feed-spec/feed-spec';
import { POLLER_ENV } from '../src/feed-spec/poller-contract';
import { runFeed } from '../src/runtime/engine/engine';
import { jsonLogger } from '../src/runtime/logging/json-logger';
import { SecretRedactor } from '../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../src/runtime/secrets/secret-resolver';
import { FirehoseSink } from '../src/runtime/sinks/firehose-sink';
import { MemoryStateStore } from '../src/runtime/state/memory-state-store';
import { invokeBundledHandler } from '../test/helpers/bundled-handler';
import { createFeedResources, createStreamAndBucket, firehoseClient, pollerEnv, readAllObjects, s3Client } from '../test/helpers/moto-aws';
import { SerializingProxy, startSerializingProxy } from '../test/helpers/serializing-proxy';


/** The API: `latencyMs` before each answer, one record per partition, 429 above `limit` requests in a calendar second. */
const API_SOURCE = `
const { createServer } = require('node:http');
const [latency, limit] = process.argv.slice(1).map(Number);
const perSecond = new Map();
let throttled = 0;
createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ perSecond: [...perSecond.entries()], throttled }));
    perSecond.clear(); throttled = 0;
    return;
  }
  const second = Math.floor(Date.now() / 1000);
  const count = (perSecond.get(second) ?? 0) + 1;
  perSecond.set(second, count);
  if (count > limit) { throttled += 1; res.writeHead(429, { 'retry-after': '1' }).end(); return; }
  const id = req.url.split('/')[2];
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id, at: Date.now() }] })), latency);
}).listen(0, '127.0.0.1', function () { process.send({ url: 'http://127.0.0.1:' + this.address().port }); });
`;

interface Api { url: string; process: ChildProcess }

async function startApi(latencyMs: number, limit: number): Promise<Api> {
  const child = spawn(process.execPath, ['-e', API_SOURCE, String(latencyMs), String(limit)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve) => child.once('message', (m: any) => resolve(m.url)));
  return { url, process: child };
}

async function apiStats(api: Api): Promise<{ perSecond: Array<[number, number]>; throttled: number }> {
  return (await fetch(`${api.url}/stats`)).json() as any;
}

function spec(url: string, partitions: number, budget: number): FeedSpecInput {
  return {
    version: 1,
    feed: 'bench-stations',
    request: { url: `${url}/stations/{{ partition.id }}` },
    records: { path: 'data' },
    partitions: { type: 'list', values: Array.from({ length: partitions }, (_, i) => ({ id: `s${i}` })) },
    limits: { allowPrivateAddresses: true, requestsPerSecond: budget, maxRetries: 3 },
  } as FeedSpecInput;
}

interface Result {
  readonly mode: string;
  readonly workers: number;
  readonly partitions: number;
  readonly seconds: number;
  readonly requests: number;
  readonly maxPerSecond: number;
  readonly throttled: number;
  readonly budgetUsed: number;
  readonly delivered: number;
  readonly unique: number;
}

let serializing: Promise<SerializingProxy> | undefined;
const serializedDynamoDb = () => (serializing ??= startSerializingProxy(process.env.MOTO_ENDPOINT!));

/** One distributed run: the plan, then its batches on `workers` concurrent worker processes. */
async function distributedRun(api: Api, partitions: number, budget: number, workers: number, itemsPerBatch: number): Promise<Result> {
  const moto = await createFeedResources('bench/');
  // DynamoDB's writes reach moto one at a time, as DynamoDB applies them to an item (the rate budget relies on it).
  const env = { ...pollerEnv(moto), [POLLER_ENV.controlBucket]: moto.bucketName, AWS_ENDPOINT_URL_DYNAMODB: (await serializedDynamoDb()).url };
  const feedSpec = spec(api.url, partitions, budget);
  await apiStats(api);
  const started = Date.now();
  const runId = `bench-${workers}-${started}`;
  const plan = await invokeBundledHandler({ mode: 'plan', runId, request: { spec: feedSpec, executionId: runId } }, env);
  if (!plan.ok) throw new Error(`plan failed: ${plan.error?.message}`);
  const object = await s3Client().send(new GetObjectCommand({ Bucket: moto.bucketName, Key: plan.result.itemsKey }));
  const items = (await object.Body!.transformToString()).trim().split('\n').map((line) => JSON.parse(line));
  const batches: unknown[][] = [];
  for (let i = 0; i < items.length; i += itemsPerBatch) batches.push(items.slice(i, i + itemsPerBatch));
  const limit = pLimit(workers);
  const slice = (batch: unknown[]) => invokeBundledHandler({ Items: batch, BatchInput: { mode: 'slice', spec: feedSpec, runId, plan: plan.result } }, env);
  const outcomes = await Promise.all(batches.map((batch) => limit(() => slice(batch))));
  const seconds = (Date.now() - started) / 1000;
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length) throw new Error(`${failed.length} slices failed: ${failed[0].error?.message}`);
  return summarize('distributed', workers, partitions, budget, seconds, api, moto.bucketName);
}

/** One invocation of today's single mode over every partition. */
async function singleRun(api: Api, partitions: number, budget: number): Promise<Result> {
  const moto = await createFeedResources('bench/');
  await apiStats(api);
  const started = Date.now();
  const outcome = await invokeBundledHandler({ spec: spec(api.url, partitions, budget), executionId: `single-${started}` }, pollerEnv(moto));
  if (!outcome.ok) throw new Error(`run failed: ${outcome.error?.message}`);
  return summarize('single invocation', 1, partitions, budget, (Date.now() - started) / 1000, api, moto.bucketName);
}

async function summarize(
  mode: string, workers: number, partitions: number, budget: number, seconds: number, api: Api, bucket: string,
): Promise<Result> {
  const stats = await apiStats(api);
  const requests = stats.perSecond.reduce((total, [, n]) => total + n, 0);
  const records = [...(await readAllObjects(bucket)).entries()].filter(([key]) => key.startsWith('bench/'))
    .flatMap(([, body]) => body.trim().split('\n')).map((line) => JSON.parse(line).record.id);
  return {
    mode,
    workers,
    partitions,
    seconds,
    requests,
    maxPerSecond: Math.max(...stats.perSecond.map(([, n]) => n)),
    throttled: stats.throttled,
    budgetUsed: requests / (seconds * budget),
    delivered: records.length,
    unique: new Set(records).size,
  };
}

function row(r: Result, budget: number): string {
  const floor = r.partitions / budget;
  return `| ${r.mode} | ${r.workers} | ${r.partitions} | ${r.seconds.toFixed(1)} s | ${floor.toFixed(1)} s | ${r.requests} | ${r.maxPerSecond} / ${budget} | ${r.throttled} `
    + `| ${(r.budgetUsed * 100).toFixed(0)} % | ${r.delivered} (${r.unique} distinct) |`;
}

/** Near-real-time: polls every `everyMs` for `forMs`; per record, API response to Firehose acceptance. */
async function pollingDelays(everyMs: number, forMs: number): Promise<{ passes: number; delays: number[] }> {
  const api = await startApi(20, 1000);
  const { streamName } = await createStreamAndBucket('nrt/');
  const client = firehoseClient();
  const delays: number[] = [];
  client.middlewareStack.add((next) => async (args: any) => {
    const body = JSON.parse(Buffer.from(args.request.body).toString('utf8'));
    const sent = body.Records.flatMap((r: { Data: string }) => Buffer.from(r.Data, 'base64').toString('utf8').trim().split('\n'))
      .map((line: string) => JSON.parse(line).record.at as number);
    const output = await next(args);
    const accepted = Date.now();
    delays.push(...sent.map((at: number) => accepted - at));
    return output;
  }, { step: 'finalizeRequest', name: 'acceptance' });
  const redactor = new SecretRedactor();
  const started = Date.now();
  const summary = await runFeed(parseFeedSpec(spec(api.url, 1, 10)), {
    sink: new FirehoseSink({ client, deliveryStreamName: streamName }),
    state: new MemoryStateStore(),
    secrets: new CachingSecretResolver(async () => '', redactor),
    logger: jsonLogger(redactor, () => undefined),
    redactor,
    allowLoopback: true,
    repeat: { intervalMs: everyMs, untilMs: started + forMs },
  });
  api.process.kill();
  return { passes: summary.passes ?? 1, delays };
}

async function main(): Promise<void> {
  const stopMoto = await ensureMoto();
  const header = '| mode | workers | partitions | wall time | floor (requests / budget) | requests | most in one second / budget | 429s | budget used | records delivered |\n'
    + '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |';
  const lines: string[] = [];
  try {
    // 1. The shared budget: 50 requests/s, 10 ms per request, 600 partitions.
    const budgetApi = await startApi(10, 50);
    const budgetRows: string[] = [];
    for (const workers of [1, 4, 16]) {
      const result = await distributedRun(budgetApi, 600, 50, workers, 40);
      budgetRows.push(row(result, 50));
      console.log(row(result, 50));
    }
    budgetApi.process.kill();
    // 2. 2,000 partitions, 100 ms per request, 200 requests/s.
    const scaleApi = await startApi(100, 200);
    const scaleRows: string[] = [];
    const single = await singleRun(scaleApi, 2000, 200);
    scaleRows.push(row(single, 200));
    console.log(row(single, 200));
    for (const workers of [4, 16]) {
      const result = await distributedRun(scaleApi, 2000, 200, workers, 125);
      scaleRows.push(row(result, 200));
      console.log(row(result, 200));
    }
    scaleApi.process.kill();
    // 3. Near-real-time.
    const polling = await pollingDelays(2000, 20_000);
    const sorted = [...polling.delays].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    console.log(`near-real-time: ${polling.passes} passes, delays ms median ${pct(50)} p95 ${pct(95)} max ${sorted[sorted.length - 1]}`);
    lines.push(
      '<!-- distributed:start -->',
      '## Distributed runs: the shared rate budget and scale-out',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:distributed\` (bench/distributed.ts) on ${cpus().length} CPUs `
      + `(${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, moto in server mode. Each invocation of the bundled `
      + 'poller is its own process, as Lambda runs it; the workers of a distributed run share the rate budget in moto\'s DynamoDB. The API '
      + 'counts the requests it receives in each calendar second and answers 429 above its limit (the budget). Wall times include '
      + 'starting a Node.js process per invocation (about 0.3 s of CPU; a warm Lambda has none), and every process shares the same '
      + `${cpus().length} CPUs with moto and the API: with many workers this machine, not the budget, is the limit.`,
      '',
      '### The budget holds across workers (50 requests/s, 10 ms per request, 600 partitions, 40 per batch)',
      '',
      header,
      ...budgetRows,
      '',
      'The slots the budget hands out never exceed it (test/runtime/state/dynamodb-rate-budget.test.ts); what the API counts is '
      + 'when requests arrive. A worker whose timer fires after its slot\'s second has ended (a process waiting for a CPU beyond the 100 ms '
      + 'each second keeps free) lets the slot go and takes another, so no second gets more than the budget even with 16 processes on '
      + '2 CPUs. The workers reach moto\'s DynamoDB through a proxy that applies its writes one at a time, as DynamoDB does per item '
      + '(moto\'s threaded server does not); with 16 processes that queue of slot claims and the 2 CPUs, not the budget, set the pace. '
      + 'On Lambda each worker has its own CPU and DynamoDB answers in milliseconds.',
      '',
      '### 2,000 partitions, 100 ms per request, a budget of 200 requests/s (125 partitions per batch)',
      '',
      header,
      ...scaleRows,
      '',
      'One invocation runs 4 partitions at once (the spec\'s `partitions.concurrency` default), so it waits for the API\'s latency '
      + '500 times in a row: 40 requests/s at 100 ms, whatever the budget; its 15-minute limit caps it near 36,000 such partitions. '
      + 'Each worker runs 4 partitions at once too, so 4 workers keep 16 requests in flight and 16 workers 64, enough for the budget '
      + 'to set the pace; here they stay far from it because every partition also makes about four calls to moto (its checkpoint '
      + 'and cursor reads, its budget slot, its share of PutRecordBatch), and moto is one Python process on the same 2 CPUs: the '
      + 'workers wait on moto, not on the API or the budget. In AWS those calls take milliseconds each and scale out.',
      '',
      '### Near-real-time: polling every 2 s inside one invocation',
      '',
      `One invocation polling every 2 s for 20 s (\`repeat\`, what \`pollInterval\` sets), into moto's Firehose: ${polling.passes} passes, `
      + `${polling.delays.length} records. From the API's response to Firehose accepting the record (the PutRecordBatch answer): median `
      + `${pct(50)} ms, p95 ${pct(95)} ms, max ${sorted[sorted.length - 1]} ms. A record waits at most the poll interval on the API's side `
      + 'before it is fetched, then these milliseconds, then the stream\'s buffering interval (0 s where Firehose allows it) before it is in S3.',
      '<!-- distributed:end -->',
    );
  } finally {
    stopMoto();
  }
  writeBenchmarksSection('distributed', lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
