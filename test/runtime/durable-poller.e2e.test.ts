/**
 * The durable poller as it ships (`assets/poller-durable/index.js`, the bundle
 * `ExecutionMode.durable()` deploys) under AWS's local runner for durable functions
 * (`@aws/durable-execution-sdk-js-testing`, time skipped: an hour's wait returns at once), with
 * the schedule's own event from a synthesized template, a loopback API, and moto for Firehose, S3,
 * DynamoDB, SQS and Secrets Manager.
 *
 * The bundle is loaded in this process (the runner calls the handler in-process) with the
 * environment the construct gives it; its AWS clients are made once, when it loads, as in Lambda.
 */
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Duration } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Auth, ExecutionMode, ExportJob, ExportResults, HttpMethod, Incremental, Pagination,
  Records,
} from '../../src';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { forward, readAll } from '../helpers/fault-proxy';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, drainQueue, dynamoDbClient, FeedResources, motoEndpoint, motoEnv, pollerEnv, readAllObjects, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';
import { PROJECT_ROOT } from '../setup/moto-server';

const DURABLE_BUNDLE = path.join(PROJECT_ROOT, 'assets', 'poller-durable', 'index.js');
const SECRET = 'k3y-Wh1ch/Must+Never=Leave';

/**
 * Firehose through a proxy to moto that can refuse one PutRecordBatch call as if the stream were
 * gone (ResourceNotFoundException, which the sink does not retry): the pass throws mid-run, as an
 * invocation that dies does, and the durable step is tried again.
 */
let refuseBatchNumber = 0;
let batches = 0;
let firehoseProxy: Server;

async function startFirehoseProxy(): Promise<string> {
  const target = new URL(motoEndpoint());
  firehoseProxy = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    if (String(req.headers['x-amz-target'] ?? '').endsWith('.PutRecordBatch')) {
      batches += 1;
      if (batches === refuseBatchNumber) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ResourceNotFoundException' })
          .end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Stream not found (the test says so)' }));
        return;
      }
    }
    const answer = await forward(target, req, body);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => firehoseProxy.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(firehoseProxy.address() as AddressInfo).port}`;
}

let handler: (...args: any[]) => Promise<any>;
let firehoseUrl: string;
let secretArn: string;

beforeAll(async () => {
  firehoseUrl = await startFirehoseProxy();
  const secrets = new SecretsManagerClient({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  secretArn = (await secrets.send(new CreateSecretCommand({ Name: `durable-${process.pid}-${Date.now()}`, SecretString: SECRET }))).ARN!;
  Object.assign(process.env, motoEnv(), { AWS_ENDPOINT_URL_FIREHOSE: firehoseUrl });
  // The bundle reads its clients' settings when it loads, as in Lambda.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = require(DURABLE_BUNDLE).handler;
});
afterAll(() => new Promise((resolve) => firehoseProxy.close(resolve)));
// Each test on its own skipped clock: the SDK reads a clock an hour ahead (after a test's hour-long
// wait) as skew, and would retry the refused batch itself, hiding the failure a later test injects.
beforeEach(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: true }));
afterEach(() => LocalDurableTestRunner.teardownTestEnvironment());

interface DurableFeed {
  /** The schedule's input (the spec travels there). */
  readonly input: string;
  /** The poller's environment from the template, where it is a plain value (the spec binding). */
  readonly env: Record<string, string>;
}

/** A durable feed of `source`, synthesized: its schedule's input and the poller's plain environment. */
function durableFeed(source: ApiSource, props: Partial<ApiToFirehoseIngestionProps> = {}): DurableFeed {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Feed', { feedName: 'orders', source, executionMode: ExecutionMode.durable(), ...props });
  const template = templateOf(stack);
  const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0];
  const [poller] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('FeedPoller')).map(([, r]) => r);
  const env = Object.fromEntries(Object.entries(poller.Properties.Environment.Variables as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return { input: schedule.Properties.Target.Input, env };
}

/** Runs one durable execution of the bundled handler with `event`, with the feed's resources in the environment. */
async function runExecution(feed: DurableFeed, resources: FeedResources, event: unknown) {
  Object.assign(process.env, feed.env, pollerEnv(resources), { AWS_ENDPOINT_URL_FIREHOSE: firehoseUrl });
  const runner = new LocalDurableTestRunner({ handlerFunction: handler });
  const execution = await runner.run({ payload: event });
  return { runner, execution };
}

const deliveredIds = async (bucket: string) => [...(await readAllObjects(bucket)).values()].join('').split('\n').filter(Boolean)
  .map((line) => JSON.parse(line).record.id).sort();

async function leaseOf(tableName: string, feed: string) {
  const items = (await dynamoDbClient().send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  return items.filter((item) => item.pk?.S === `feed#${feed}` && item.sk?.S === 'lease');
}

/** Pages of two orders; `refuse` may answer a page with a 429 and a Retry-After before it is served. */
function ordersApi(pages: number, refuse: (page: number, seen: number) => string | undefined = () => undefined) {
  const seen = new Map<number, number>();
  return startLoopbackApi({
    '/orders': (_req, res, url) => {
      if (url.searchParams.get('api_key') !== SECRET) return json(res, 401, { error: 'no key' });
      const page = Number(url.searchParams.get('page') ?? '1');
      seen.set(page, (seen.get(page) ?? 0) + 1);
      const retryAfter = refuse(page, seen.get(page)!);
      if (retryAfter) return res.writeHead(429, { 'retry-after': retryAfter, 'content-type': 'application/json' }).end('{"error":"slow down"}');
      return json(res, 200, { data: [{ id: `o${page}a` }, { id: `o${page}b` }], more: page < pages });
    },
  }).then((api) => ({ api, seen }));
}

function ordersSource(api: LoopbackApi, stack = testStack()): ApiSource {
  return ApiSource.http({
    url: `${api.url}/orders`,
    records: Records.at('data'),
    pagination: Pagination.pageNumber({ param: 'page', hasMorePath: 'more' }),
    auth: Auth.apiKeyQuery('api_key', secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', secretArn)),
    limits: { allowPrivateAddresses: true },
  });
}

describe('the bundled durable poller', () => {
  let api: LoopbackApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
    refuseBatchNumber = 0;
  });

  test('a Retry-After of an hour is one durable wait: every record once, identical to the single-invocation poller\'s, lease released, '
    + 'and the execution\'s history holds no secret in any encoding', async () => {
    const served = await ordersApi(4, (page, seen) => (page === 3 && seen === 1 ? '3600' : undefined));
    api = served.api;
    const feed = durableFeed(ordersSource(api));
    const resources = await createFeedResources();
    const event = asScheduled(feed.input, '2026-12-07T06:00:00Z', 'exec-durable-1');
    const { runner, execution } = await runExecution(feed, resources, event);

    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(execution.getResult()).toMatchObject({ feed: 'orders', status: 'succeeded', passes: 2, pages: 4, recordsDelivered: 8 });
    const wait = runner.getOperation('wait after pass 1').getWaitDetails()?.waitSeconds;
    expect(wait).toBeGreaterThanOrEqual(3599);
    expect(wait).toBeLessThanOrEqual(3600);
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 1, 3: 2, 4: 1 });
    const ids = await deliveredIds(resources.bucketName);
    expect(ids).toEqual(['o1a', 'o1b', 'o2a', 'o2b', 'o3a', 'o3b', 'o4a', 'o4b']);
    expect(await leaseOf(resources.tableName, 'orders')).toEqual([
      expect.objectContaining({ lastCompleted: { S: 'exec-durable-1' } }),
    ]);
    expect((await leaseOf(resources.tableName, 'orders'))[0].holder).toBeUndefined();
    expect(await drainQueue(resources.queueUrl)).toEqual([]);

    // What Lambda keeps for the execution (every operation's name, result and error): no secret.
    const history = JSON.stringify(execution.getOperations().map((operation) => ({
      name: operation.getName(), type: operation.getType(), details: operation.getType() === 'WAIT' ? operation.getWaitDetails() : operation.getStepDetails(),
    }))) + JSON.stringify(execution.getResult());
    for (const encoding of [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64'), JSON.stringify(SECRET).slice(1, -1)]) {
      expect(history).not.toContain(encoding);
    }
    expect(history).toContain('Retry-After of 3600 s');

    // The single-invocation poller, on the same API (served whole now), delivers the same records.
    const single = await createFeedResources();
    const stack = testStack();
    const singleFeed = new ApiToFirehoseIngestion(stack, 'Feed', { feedName: 'orders', source: ordersSource(api, stack) });
    const input = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0].Properties.Target.Input;
    expect(singleFeed.pollerAlias).toBeUndefined();
    const outcome = await invokeBundledHandler(asScheduled(input, '2026-12-07T06:00:00Z', 'exec-single-1'), pollerEnv(single));
    expect(outcome.result).toMatchObject({ status: 'succeeded', recordsDelivered: 8 });
    const envelopes = async (bucket: string) => [...(await readAllObjects(bucket)).values()].join('').split('\n').filter(Boolean)
      .map((line) => { const { fetched_at: _f, ...rest } = JSON.parse(line); return rest; })
      .sort((a, b) => a.record.id.localeCompare(b.record.id));
    expect(await envelopes(resources.bucketName)).toEqual(await envelopes(single.bucketName));
  });

  test('a Retry-After past the execution\'s timeout is not waited for: the run ends partial with the page held for the next run, '
    + 'which fetches only from there', async () => {
    const served = await ordersApi(3, (page, seen) => (page === 2 && seen === 1 ? '3600' : undefined));
    api = served.api;
    const feed = durableFeed(ordersSource(api), { executionMode: ExecutionMode.durable({ executionTimeout: Duration.minutes(30) }) });
    expect(feed.env.DURABLE_EXECUTION_TIMEOUT_SECONDS).toBe('1800');
    const resources = await createFeedResources();
    const first = await runExecution(feed, resources, asScheduled(feed.input, '2026-12-07T08:00:00Z', 'exec-durable-deadline-1'));

    expect(first.execution.getStatus()).toBe('SUCCEEDED');
    expect(first.execution.getResult()).toMatchObject({ status: 'partial', passes: 1, recordsDelivered: 2 });
    expect(first.execution.getResult().warnings.at(-1)).toMatch(/past the execution's timeout \(executionTimeout\)/);
    expect(first.execution.getOperations().filter((operation) => operation.getType() === 'WAIT')).toEqual([]);
    expect((await leaseOf(resources.tableName, 'orders'))[0].holder).toBeUndefined();

    // The next scheduled run starts at the held page: page 1 is not fetched again.
    const second = await runExecution(feed, resources, asScheduled(feed.input, '2026-12-07T09:00:00Z', 'exec-durable-deadline-2'));
    expect(second.execution.getResult()).toMatchObject({ status: 'succeeded', recordsDelivered: 4 });
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 2, 3: 1 });
    expect(await deliveredIds(resources.bucketName)).toEqual(['o1a', 'o1b', 'o2a', 'o2b', 'o3a', 'o3b']);
  });

  test('an execution whose pass dies mid-run (Firehose refuses a batch) resumes after the last delivered page: no page delivered twice', async () => {
    const served = await ordersApi(5);
    api = served.api;
    const feed = durableFeed(ordersSource(api));
    const resources = await createFeedResources();
    batches = 0;
    // The third page's batch: pages 1 and 2 are delivered and checkpointed, then the pass throws.
    refuseBatchNumber = 3;
    const { execution } = await runExecution(feed, resources, asScheduled(feed.input, '2026-12-07T07:00:00Z', 'exec-durable-2'));

    expect(execution.getStatus()).toBe('SUCCEEDED');
    const pass = execution.getOperations().find((operation) => operation.getName() === 'pass 1')!;
    expect(pass.getStepDetails()?.attempt).toBe(2);
    // The summary is the attempt that completed: pages 3 to 5.
    expect(execution.getResult()).toMatchObject({ status: 'succeeded', pages: 3, recordsDelivered: 6 });
    // Pages 1 and 2 were delivered by the attempt that died: never fetched again. Page 3 was fetched,
    // its batch refused; page 4 was fetched ahead meanwhile: both fetched again, delivered once.
    expect(Object.fromEntries(served.seen)).toEqual({ 1: 1, 2: 1, 3: 2, 4: 2, 5: 1 });
    expect(await deliveredIds(resources.bucketName)).toEqual(['o1a', 'o1b', 'o2a', 'o2b', 'o3a', 'o3b', 'o4a', 'o4b', 'o5a', 'o5b']);
    expect(await drainQueue(resources.queueUrl)).toEqual([]);
  });

  test('a 40-minute export job: polled every 5 minutes in durable waits, created once, its file delivered; the job gone from the state after', async () => {
    let creates = 0;
    let polls = 0;
    api = await startLoopbackApi({
      '/exports': (_req, res) => { creates += 1; json(res, 201, { id: 'exp-1' }); },
      '/exports/exp-1': (_req, res) => { polls += 1; json(res, 200, { state: polls >= 9 ? 'done' : 'running' }); },
      '/exports/exp-1/file': (_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"id":"e1"}\n{"id":"e2"}\n{"id":"e3"}\n'),
    });
    const feed = durableFeed(ApiSource.http({
      url: `${api.url}/exports`,
      method: HttpMethod.POST,
      body: { report: 'orders' },
      records: Records.ndjson(),
      exportJob: ExportJob.poll({
        jobIdPath: 'id',
        statusUrl: `${api.url}/exports/{{ job.id }}`,
        statusPath: 'state',
        readyStates: ['done'],
        failedStates: ['failed'],
        results: ExportResults.fromUrl(`${api.url}/exports/{{ job.id }}/file`),
        pollInterval: Duration.minutes(5),
        maxPollInterval: Duration.minutes(5),
      }),
      limits: { allowPrivateAddresses: true },
    }));
    const resources = await createFeedResources();
    const { execution } = await runExecution(feed, resources, asScheduled(feed.input, '2026-12-07T08:00:00Z', 'exec-durable-3'));

    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(creates).toBe(1);
    expect(polls).toBe(9);
    const waits = execution.getOperations().filter((operation) => operation.getType() === 'WAIT').map((operation) => operation.getWaitDetails()?.waitSeconds);
    expect(waits).toEqual(Array(8).fill(300));
    expect(await deliveredIds(resources.bucketName)).toEqual(['e1', 'e2', 'e3']);
    const job = await dynamoDbClient().send(new GetItemCommand({ TableName: resources.tableName, Key: { pk: { S: 'feed#orders' }, sk: { S: 'checkpoint#-' } } }));
    expect(job.Item).toBeUndefined();
  });

  test('a backfill runs its windows in one execution, two at a time, each in its own state; a second backfill of the range asks the API nothing', async () => {
    let inFlight = 0;
    let mostAtOnce = 0;
    const windowsAsked: string[] = [];
    api = await startLoopbackApi({
      '/orders': async (_req, res, url) => {
        inFlight += 1;
        mostAtOnce = Math.max(mostAtOnce, inFlight);
        windowsAsked.push(`${url.searchParams.get('from')}/${url.searchParams.get('to')}`);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        const day = url.searchParams.get('from')!.slice(0, 10);
        json(res, 200, { data: [{ id: `${day}-1`, updated_at: `${day}T01:00:00Z` }, { id: `${day}-2`, updated_at: `${day}T02:00:00Z` }] });
      },
    });
    const feed = durableFeed(ApiSource.http({
      url: `${api.url}/orders`,
      query: { from: '{{ cursor }}', to: '{{ window.end }}' },
      records: Records.at('data'),
      incremental: Incremental.datetime({ recordPath: 'updated_at', start: '2026-01-01T00:00:00Z' }),
      limits: { allowPrivateAddresses: true },
    }), { executionMode: ExecutionMode.durable({ backfillConcurrency: 2 }) });
    expect(feed.env.BACKFILL_CONCURRENCY).toBe('2');
    const resources = await createFeedResources();
    const backfill = { from: '2026-01-01T00:00:00Z', to: '2026-01-04T00:00:00Z', windowSeconds: 86_400 };
    const event = { ...asScheduled(feed.input, '2026-12-07T09:00:00Z', 'on-demand-1') as object, backfill };
    const { execution } = await runExecution(feed, resources, event);

    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(execution.getResult()).toMatchObject({ status: 'succeeded', windows: 3, windowsDone: 3, runs: { recordsDelivered: 6 } });
    expect(windowsAsked.sort()).toEqual([
      '2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z/2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z/2026-01-04T00:00:00.000Z',
    ]);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    expect(await deliveredIds(resources.bucketName)).toEqual(['2026-01-01-1', '2026-01-01-2', '2026-01-02-1', '2026-01-02-2', '2026-01-03-1', '2026-01-03-2']);
    // The live feed's cursor was never written: only the windows' state.
    const items = (await dynamoDbClient().send(new ScanCommand({ TableName: resources.tableName }))).Items ?? [];
    expect(items.filter((item) => item.pk?.S === 'feed#orders' && item.sk?.S?.startsWith('cursor#'))).toEqual([]);

    const again = await runExecution(feed, resources, { ...event, executionId: 'on-demand-2' });
    expect(again.execution.getResult()).toMatchObject({ status: 'succeeded', windowsDone: 0, windowsAlreadyDone: 3 });
    expect(windowsAsked).toHaveLength(3);
  });
});
