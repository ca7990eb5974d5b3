/**
 * Reliability scenarios with real parts: a loopback API (which can fail, time out or answer
 * malformed pages), the engine with the real Firehose sink, SDK clients, SQS dead letters and
 * DynamoDB state, moto behind a fault-injecting proxy. Each scenario accounts for every record
 * the API served: found in S3 or in the dead-letter queue; lost = served − found.
 *
 * Used by test/reliability/reliability.test.ts (assertions) and scripts/reliability.ts
 * (`npm run reliability`, which writes docs/RELIABILITY.md).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseFeedSpec, FeedSpecInput } from '../../src/feed-spec/feed-spec';
import { SqsDeadLetterWriter } from '../../src/runtime/dead-letters/sqs-dead-letter-writer';
import { runFeed, RunSummary } from '../../src/runtime/engine/engine';
import { SecretRedactor } from '../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../../src/runtime/secrets/secret-resolver';
import { FirehoseSink } from '../../src/runtime/sinks/firehose-sink';
import { DynamoDbStateStore } from '../../src/runtime/state/dynamodb-state-store';
import { BUNDLED_HANDLER } from '../helpers/bundled-handler';
import { Faults, startFaultProxy } from '../helpers/fault-proxy';
import { json, startLoopbackApi } from '../helpers/loopback-api';
import { memoryLogger } from '../helpers/memory-logger';
import {
  createFeedResources, drainQueue, dynamoDbClient, FeedResources, motoEndpoint, pollerEnv, readAllObjects, s3Client, sqsClient, TEST_REGION,
} from '../helpers/moto-aws';

export interface ApiFaults {
  /** Share of page requests answered 503 (retried by the poller). */
  errorRate?: number;
  /** Share of page requests answered after the poller's timeout. */
  timeoutRate?: number;
  /** This page number answers truncated JSON, every time. */
  malformedPage?: number;
  /** Milliseconds before each page is answered. */
  pageDelayMs?: number;
}

export interface Scenario {
  readonly name: string;
  readonly records: number;
  readonly pageSize: number;
  readonly faults?: Faults;
  readonly api?: ApiFaults;
  /** Records this large (bytes of padding) are over the Firehose record limit. */
  readonly oversizedEvery?: number;
  /** Run with this time budget per run, again until done (a backfill over several runs). */
  readonly runBudgetMs?: number;
  /** Kill the bundled handler process after this many pages, then run it again. */
  readonly killAfterPages?: number;
  /** Start two bundled handler processes at once. */
  readonly overlapping?: boolean;
  /** The spec has a schema under `freeze`; every this-many-th record has a field it does not name. */
  readonly freezeDriftEvery?: number;
  /** The spec has a transform that fails on every this-many-th record. */
  readonly transformFailsEvery?: number;
  /** The records that must end in the dead-letter queue (the rest in S3). */
  readonly expectedInDlq?: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly served: number;
  readonly inS3: number;
  readonly inDlq: number;
  readonly requestDeadLetters: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Upper bound on duplicates the scenario's faults can force (0 when none can). */
  readonly duplicatesAllowed: number;
  readonly runs: number;
  readonly putRecordBatchCalls: number;
  readonly notes: string;
}

const SEED = 20261125;

function item(i: number, s: Scenario) {
  const pad = s.oversizedEvery && i % s.oversizedEvery === 0 ? 1_100_000 : 40;
  const record: Record<string, unknown> = { id: i, updated_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), pad: 'x'.repeat(pad) };
  if (s.freezeDriftEvery && i % s.freezeDriftEvery === 0) record.surprise = true;
  return record;
}

/**
 * Holds the API's answers until it is released: the overlapping scenario keeps the first run
 * inside its lease until the second has tried to take it, however slowly either process starts.
 */
interface ApiGate {
  wait?: Promise<void>;
  release?: () => void;
  firstPages: number;
}

async function startApi(s: Scenario, served: Set<number>, pagesServed: { n: number }, gate: ApiGate = { firstPages: 0 }) {
  const random = (() => { let a = SEED; return () => { a = (a * 1103515245 + 12345) % 2147483648; return a / 2147483648; }; })();
  return startLoopbackApi({
    '/items': async (_req, res, url) => {
      const page = Number(url.searchParams.get('page'));
      // Two first pages mean both runs hold a lease (the fault under test): answer both, so the
      // run ends and the duplicates are counted instead of waiting forever.
      if (page === 1 && ++gate.firstPages >= 2) gate.release?.();
      if (gate.wait) await gate.wait;
      if (s.api?.pageDelayMs) await new Promise((r) => setTimeout(r, s.api!.pageDelayMs));
      if (s.api?.errorRate && random() < s.api.errorRate) return json(res, 503, { error: 'busy' });
      if (s.api?.timeoutRate && random() < s.api.timeoutRate) return setTimeout(() => json(res, 200, { data: [] }), 1500);
      const ids = Array.from({ length: s.pageSize }, (_, i) => (page - 1) * s.pageSize + i + 1).filter((i) => i <= s.records);
      if (s.api?.malformedPage === page) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":');
      ids.forEach((i) => served.add(i));
      pagesServed.n += 1;
      return json(res, 200, { data: ids.map((i) => item(i, s)) });
    },
  });
}

function spec(apiUrl: string, s: Scenario): FeedSpecInput {
  return {
    version: 1,
    feed: 'reliability',
    request: { url: `${apiUrl}/items` },
    pagination: { type: 'pageNumber', param: 'page', stop: { shortPage: s.pageSize, maxPages: 100_000 } },
    records: { path: 'data' },
    // The scenario's API listens on loopback: the spec opts in, as one for an API inside a VPC would.
    limits: { maxRetries: 6, requestTimeoutSeconds: 1, allowPrivateAddresses: true },
    ...(s.freezeDriftEvery ? {
      schema: { columns: { id: { type: 'integer' }, updated_at: { type: 'timestamp' }, pad: { type: 'string' } }, contract: 'freeze' },
    } : {}),
    ...(s.transformFailsEvery ? {
      // $number("x") fails: the record goes to the dead-letter queue with JSONata's error.
      transform: { expression: `{ "id": id, "updated_at": updated_at, "check": id % ${s.transformFailsEvery} = 0 ? $number("x") : 1 }` },
    } : {}),
  } as FeedSpecInput;
}

/** A delivered line's record id: an envelope's record, or a row of a schema (which has the record's columns). */
function idOf(line: string): number {
  const parsed = JSON.parse(line);
  return parsed.record !== undefined ? parsed.record.id : parsed.id;
}

/** Record ids found in S3 (delivered) and in the dead-letter queue (records letters). */
async function account(resources: FeedResources) {
  const s3Ids: number[] = [];
  for (const [key, body] of await readAllObjects(resources.bucketName)) {
    if (key.startsWith('dead-letters/')) continue;
    for (const line of body.split('\n').filter(Boolean)) s3Ids.push(idOf(line));
  }
  const dlqIds: number[] = [];
  let requestDeadLetters = 0;
  for (const letter of await drainQueue(resources.queueUrl)) {
    if (letter.kind === 'request') { requestDeadLetters += 1; continue; }
    let payload: string = letter.payload;
    if (letter.payloadS3) {
      const object = await s3Client().send(new GetObjectCommand({ Bucket: letter.payloadS3.bucket, Key: letter.payloadS3.key }));
      payload = await object.Body!.transformToString('utf8');
    }
    for (const line of payload.split('\n').filter(Boolean)) dlqIds.push(idOf(line));
  }
  return { s3Ids, dlqIds, requestDeadLetters };
}

async function runInProcess(s: Scenario, apiUrl: string, resources: FeedResources, proxyUrl: string): Promise<RunSummary[]> {
  const client = new FirehoseClient({
    endpoint: proxyUrl,
    region: TEST_REGION,
    maxAttempts: 2,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    requestHandler: { requestTimeout: 5_000, connectionTimeout: 2_000 },
  });
  const summaries: RunSummary[] = [];
  for (let run = 0; run < 50; run++) {
    const redactor = new SecretRedactor();
    const logger = memoryLogger();
    const deadLetters = new SqsDeadLetterWriter({ sqs: async () => sqsClient(), s3: async () => s3Client(), queueUrl: resources.queueUrl, bucket: resources.bucketName, feed: 'reliability' });
    const summary = await runFeed(parseFeedSpec(spec(apiUrl, s)), {
      // One line a Firehose record, so a scenario makes enough PutRecordBatch calls for its faults.
      sink: new FirehoseSink({
        client, deliveryStreamName: resources.streamName, deadLetters, logger, maxRecordBytes: 300, retries: 6, minBackoffMs: 10,
      }),
      state: new DynamoDbStateStore(dynamoDbClient(), resources.tableName),
      secrets: new CachingSecretResolver(async () => '', redactor),
      deadLetters,
      logger,
      redactor,
      minBackoffMs: 10,
      deadline: s.runBudgetMs ? Date.now() + s.runBudgetMs : undefined,
    });
    summaries.push(summary);
    if (!summary.stoppedEarly) break;
  }
  return summaries;
}

function spawnHandler(event: unknown, env: Record<string, string>): ChildProcess {
  const runner = `require(process.argv[1]).handler(JSON.parse(process.argv[2]), { awsRequestId: process.argv[3] })
    .then((r) => console.log('@@RESULT@@' + JSON.stringify(r)), (e) => console.log('@@ERROR@@' + e.message));`;
  return spawn(process.execPath, ['-e', runner, BUNDLED_HANDLER, JSON.stringify(event), `req-${Math.random()}`], {
    env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function outcome(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

export async function runScenario(s: Scenario): Promise<ScenarioResult> {
  const resources = await createFeedResources('data/');
  const proxy = await startFaultProxy(motoEndpoint(), s.faults ?? {}, SEED);
  const served = new Set<number>();
  const pagesServed = { n: 0 };
  const gate: ApiGate = { firstPages: 0 };
  if (s.overlapping) gate.wait = new Promise<void>((resolve) => { gate.release = resolve; });
  const api = await startApi(s, served, pagesServed, gate);
  let runs = 0;
  let notes = '';
  try {
    if (s.killAfterPages !== undefined || s.overlapping) {
      const env = { ...pollerEnv(resources), AWS_ENDPOINT_URL_FIREHOSE: proxy.url };
      const event = { spec: spec(api.url, s), executionId: `exec-${s.name}` };
      if (s.overlapping) {
        // The API answers once either invocation has exited (the one that found the lease held),
        // so the two overlap whatever the machine's speed.
        const children = [spawnHandler(event, env), spawnHandler({ ...event, executionId: 'exec-other' }, env)];
        for (const child of children) child.on('exit', () => gate.release?.());
        const outs = await Promise.all(children.map(outcome));
        runs = 2;
        notes = outs.some((o) => o.includes('"status":"skipped"')) ? 'one invocation found the lease held and exited cleanly' : 'both ran';
      } else {
        const first = spawnHandler(event, env);
        const done = outcome(first);
        while (pagesServed.n < s.killAfterPages! && first.exitCode === null) await new Promise((r) => setTimeout(r, 5));
        first.kill('SIGKILL');
        await done;
        // The killed run's lease would expire 60 s after its deadline; make that time pass.
        await dynamoDbClient().send(new UpdateItemCommand({
          TableName: resources.tableName,
          Key: { pk: { S: 'feed#reliability' }, sk: { S: 'lease' } },
          UpdateExpression: 'SET expiresAt = :past',
          ExpressionAttributeValues: { ':past': { N: '0' } },
        }));
        const second = await outcome(spawnHandler(event, env));
        runs = 2;
        notes = `killed after ${s.killAfterPages} pages; the rerun resumed from the last checkpoint (${second.includes('"status":"succeeded"') ? 'succeeded' : 'did not succeed'})`;
      }
    } else {
      const summaries = await runInProcess(s, api.url, resources, proxy.url);
      runs = summaries.length;
      const last = summaries[summaries.length - 1];
      notes = [
        proxy.stats.recordsFailed ? `${proxy.stats.recordsFailed} records refused by Firehose and resent` : '',
        proxy.stats.throttled ? `${proxy.stats.throttled} calls throttled` : '',
        proxy.stats.droppedBefore + proxy.stats.droppedAfter ? `${proxy.stats.droppedBefore + proxy.stats.droppedAfter} connections dropped` : '',
        last.failures.length ? `${last.failures.length} partition(s) failed: ${last.failures[0].error.slice(0, 60)}` : '',
        last.schemaDrift?.recordsRejected ? `${last.schemaDrift.recordsRejected} records rejected by the freeze contract, dead-lettered with the fields that broke it` : '',
        last.transform?.errors ? `${last.transform.errors} records the transform failed on, dead-lettered with JSONata's error` : '',
        runs > 1 ? `continued from checkpoints over ${runs} runs` : '',
      ].filter(Boolean).join('; ');
    }
    const { s3Ids, dlqIds, requestDeadLetters } = await account(resources);
    const found = new Set([...s3Ids, ...dlqIds]);
    const lost = [...served].filter((id) => !found.has(id)).length;
    const duplicates = s3Ids.length + dlqIds.length - found.size;
    const checkpointLines = 50 * s.pageSize; // CHECKPOINT_PAGES pages of records
    const duplicatesAllowed = proxy.stats.linesLandedUnacknowledged + (s.killAfterPages !== undefined ? checkpointLines : 0);
    return {
      name: s.name,
      served: served.size,
      inS3: new Set(s3Ids).size,
      inDlq: new Set(dlqIds).size,
      requestDeadLetters,
      lost,
      duplicates,
      duplicatesAllowed,
      runs,
      putRecordBatchCalls: proxy.stats.calls,
      notes,
    };
  } finally {
    await api.close();
    await proxy.close();
  }
}

export const SCENARIOS: Scenario[] = [
  { name: 'no faults', records: 3000, pageSize: 100 },
  { name: 'Firehose partial failures, 10% of records', records: 10000, pageSize: 100, faults: { partialFailureRate: 0.1 } },
  { name: 'Firehose partial failures, 50% of records', records: 10000, pageSize: 100, faults: { partialFailureRate: 0.5 } },
  { name: 'Firehose throttling, 30% of calls', records: 10000, pageSize: 100, faults: { throttleRate: 0.3 } },
  { name: 'dropped connections before Firehose, 20%', records: 10000, pageSize: 100, faults: { dropBeforeRate: 0.2 } },
  { name: 'dropped connections after Firehose accepted, 10%', records: 10000, pageSize: 100, faults: { dropAfterRate: 0.1 } },
  { name: 'slow Firehose, 150 ms a call', records: 5000, pageSize: 100, faults: { delayMs: 150 } },
  { name: 'Firehose refuses everything', records: 1000, pageSize: 100, faults: { partialFailureRate: 1 } },
  { name: 'API answers 503 on 30% of requests', records: 2000, pageSize: 100, api: { errorRate: 0.3 } },
  { name: 'API times out on 15% of requests', records: 1000, pageSize: 100, api: { timeoutRate: 0.15 } },
  { name: 'API answers a malformed page', records: 2000, pageSize: 100, api: { malformedPage: 7 } },
  { name: 'records over the 1,000 KiB Firehose limit', records: 300, pageSize: 50, oversizedEvery: 100 },
  { name: 'backfill larger than one run (time budget)', records: 4000, pageSize: 50, api: { pageDelayMs: 15 }, runBudgetMs: 700 },
  { name: 'handler killed mid-run, run again', records: 12000, pageSize: 100, killAfterPages: 75, api: { pageDelayMs: 2 } },
  { name: 'two overlapping invocations', records: 3000, pageSize: 100, overlapping: true, api: { pageDelayMs: 10 } },
  { name: 'schema freeze: every 9th record has a field not in the schema', records: 2000, pageSize: 100, freezeDriftEvery: 9, expectedInDlq: Math.floor(2000 / 9) },
  { name: 'transform fails on every 7th record', records: 2000, pageSize: 100, transformFailsEvery: 7, expectedInDlq: Math.floor(2000 / 7) },
];
