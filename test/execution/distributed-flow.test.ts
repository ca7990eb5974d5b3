/**
 * A distributed run for real, in the order its synthesized state machine prescribes: the plan,
 * slice and aggregate modes of the bundled poller, each in its own process, against a loopback
 * API and moto (the work items and results in S3, the lease and cursors in DynamoDB, the records
 * in Firehose). The state machine's definition is read from the template and walked by
 * test/helpers/state-machine-driver.ts (moto's Step Functions interpreter cannot reach the
 * bundled handler: it runs Lambda code only in Docker, which this machine does not have).
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ApiSource, ApiToFirehoseIngestion, ExecutionMode, Pagination, Partitions, Records } from '../../src';
import { runDistributed } from '../helpers/distributed-run';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, dynamoDbClient, readAllObjects, s3Client } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const STATIONS = Array.from({ length: 23 }, (_, i) => ({ id: `s${String(i).padStart(2, '0')}` }));
const BROKEN = 's13';

describe('a distributed run, step by step as the state machine prescribes', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/v1/stations/*': (_req, res, url) => {
        const id = url.pathname.split('/')[3];
        if (id === BROKEN) return json(res, 500, { error: 'station offline' });
        const page = Number(url.searchParams.get('page') ?? '1');
        // Two pages per station: the worker follows pagination as a single run does.
        return json(res, 200, { data: [{ station: id, page, value: page * 10 }], more: page < 2 });
      },
    });
  });
  afterAll(() => api.close());

  function synthesize(tolerated: number) {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Stations', {
      feedName: 'stations',
      source: ApiSource.http({
        url: `${api.url}/v1/stations/{{ partition.id }}/observations`,
        pagination: Pagination.pageNumber({ param: 'page', hasMorePath: 'more' }),
        records: Records.at('data'),
        partitions: Partitions.list(STATIONS, { concurrency: 2 }),
        limits: { allowPrivateAddresses: true, requestsPerSecond: 50, maxRetries: 0 },
      }),
      executionMode: ExecutionMode.distributed({ itemsPerBatch: 5, maxConcurrency: 3, toleratedFailurePercentage: tolerated }),
    });
    return templateOf(stack).toJSON().Resources as Record<string, any>;
  }

  const runOnce = runDistributed;

  test('plan, slices and aggregate: every good station delivered once, the broken one\'s batch failed and counted, the lease given back', async () => {
    const moto = await createFeedResources('stations/');
    const run = await runOnce(synthesize(25), moto, 'run-1');

    // The states in the definition's order: five batches of five items, three at a time.
    expect(run.trace[0]).toBe('Plan');
    expect(run.trace[1]).toBe('Planned?');
    expect(run.trace.filter((s) => s.endsWith(':Slice'))).toHaveLength(5);
    expect(run.trace.at(-1)).toBe('Aggregate');
    const plan = run.output.plan;
    expect(plan).toMatchObject({ runId: 'run-1', items: 23, itemsKey: 'control/feed=stations/runs/run-1/items.jsonl' });
    // Each slice got its batch and the batch input the definition names.
    const slices = run.invocations.filter((i) => i.state.endsWith(':Slice'));
    expect(slices.map((s) => s.payload.Items.length).sort()).toEqual([3, 5, 5, 5, 5]);
    expect(slices[0].payload.BatchInput).toMatchObject({ mode: 'slice', runId: 'run-1', spec: { feed: 'stations' } });

    // Firehose got every record of the 22 good stations exactly once, none of the broken one.
    const objects = [...(await readAllObjects(moto.bucketName)).entries()].filter(([key]) => key.startsWith('stations/'));
    const records = objects.flatMap(([, body]) => body.trim().split('\n')).map((line) => JSON.parse(line).record);
    const seen = records.map((r) => `${r.station}/${r.page}`).sort();
    const expected = STATIONS.filter((s) => s.id !== BROKEN).flatMap((s) => [`${s.id}/1`, `${s.id}/2`]).sort();
    expect(seen).toEqual(expected);

    // The summary: counted from the result files, the failed batch's other four stations included.
    const summary = run.output.summary;
    expect(summary).toMatchObject({
      runId: 'run-1', status: 'partial', items: 23, itemsFailed: 5, partitionsFailed: 1, recordsDelivered: 44, recordsFetched: 44,
    });
    const stored = await s3Client().send(new GetObjectCommand({ Bucket: moto.bucketName, Key: 'control/feed=stations/runs/run-1/summary.json' }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ status: 'partial', recordsDelivered: 44 });

    // The lease is free again, and the execution is not marked completed (an item failed).
    const lease = await dynamoDbClient().send(new GetItemCommand({ TableName: moto.tableName, Key: { pk: { S: 'feed#stations' }, sk: { S: 'lease' } } }));
    expect(lease.Item?.holder).toBeUndefined();
    expect(lease.Item?.lastCompleted).toBeUndefined();
  }, 300_000);

  test('a run while another holds the lease plans nothing and ends at Skipped: runs never overlap', async () => {
    const moto = await createFeedResources('stations/');
    await dynamoDbClient().send(new PutItemCommand({
      TableName: moto.tableName,
      Item: { pk: { S: 'feed#stations' }, sk: { S: 'lease' }, holder: { S: 'run-0' }, expiresAt: { N: String(Date.now() + 3_600_000) } },
    }));
    const run = await runOnce(synthesize(25), moto, 'run-2');
    expect(run.trace).toEqual(['Plan', 'Planned?', 'Skipped']);
    expect(run.output.plan.skipped).toMatch(/another run \(run-0\) holds the feed's lease/);
    expect([...(await readAllObjects(moto.bucketName)).keys()].filter((key) => key.startsWith('stations/'))).toEqual([]);
  }, 300_000);

  test('a Map that fails beyond its tolerance is still summed up (failed) and gives the lease back', async () => {
    const moto = await createFeedResources('stations/');
    const run = await runOnce(synthesize(0), moto, 'run-3');
    expect(run.trace.at(-1)).toBe('Aggregate');
    expect(run.output.map.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(run.output.summary).toMatchObject({ status: 'failed', itemsFailed: 5 });
    const lease = await dynamoDbClient().send(new GetItemCommand({ TableName: moto.tableName, Key: { pk: { S: 'feed#stations' }, sk: { S: 'lease' } } }));
    expect(lease.Item?.holder).toBeUndefined();
  }, 300_000);

  test('a run on demand for two stations plans and delivers those only; a station the feed does not have fails the plan and frees the lease', async () => {
    const moto = await createFeedResources('stations/');
    const resources = synthesize(25);
    const run = await runOnce(resources, moto, 'run-4', { partitions: [{ id: 's01' }, { id: 's02' }] });
    expect(run.output.plan.items).toBe(2);
    expect(run.output.summary).toMatchObject({ status: 'succeeded', items: 2, recordsDelivered: 4 });
    const objects = [...(await readAllObjects(moto.bucketName)).entries()].filter(([key]) => key.startsWith('stations/'));
    const stations = new Set(objects.flatMap(([, body]) => body.trim().split('\n')).map((line) => JSON.parse(line).record.station));
    expect([...stations].sort()).toEqual(['s01', 's02']);

    // A partition outside the spec's list: an IAM-authorized caller still cannot add one.
    await expect(runOnce(resources, moto, 'run-5', { partitions: [{ id: 'evil.example.com' }] }))
      .rejects.toThrow(/1 of the partitions asked for are not partitions of feed stations/);
    const lease = await dynamoDbClient().send(new GetItemCommand({ TableName: moto.tableName, Key: { pk: { S: 'feed#stations' }, sk: { S: 'lease' } } }));
    expect(lease.Item?.holder).toBeUndefined();
  }, 300_000);
});
