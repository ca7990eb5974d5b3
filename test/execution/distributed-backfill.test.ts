/**
 * A backfill against a deployed distributed feed: an execution of its synthesized state machine
 * with `backfill` in its input (what `api-ingest backfill --schedule` starts), walked as
 * distributed-flow.test.ts walks a run: the bundled poller's plan, slice and aggregate modes
 * against a loopback API and moto. The plan lists windows times stations; each worker fetches its
 * items in their windows with the windows' own state; the live feed's lease and cursors are not
 * touched; a second execution fetches only what did not complete.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { ApiSource, ApiToFirehoseIngestion, ExecutionMode, Incremental, Partitions, Records } from '../../src';
import { runDistributed } from '../helpers/distributed-run';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, dynamoDbClient, readAllObjects, s3Client } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const STATIONS = ['s1', 's2', 's3'].map((id) => ({ id }));
const BACKFILL = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z', windowSeconds: 86_400 };

describe('a distributed backfill', () => {
  let api: LoopbackApi;
  /** "station window-start" pairs that answer 500 while listed. */
  const broken = new Set<string>();
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/v1/stations/*': (_req, res, url) => {
        const id = url.pathname.split('/')[3];
        const from = url.searchParams.get('from')!;
        if (broken.has(`${id} ${from}`)) return json(res, 500, { error: 'archive offline' });
        // Six observations a day, four hours apart, inside [from, to).
        const start = Date.parse(from);
        const data = Array.from({ length: 6 }, (_, i) => ({ station: id, at: new Date(start + i * 4 * 3_600_000).toISOString() }))
          .filter((o) => Date.parse(o.at) < Date.parse(url.searchParams.get('to')!));
        return json(res, 200, { data });
      },
    });
  });
  afterAll(() => api.close());

  function synthesize() {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Stations', {
      feedName: 'stations',
      source: ApiSource.http({
        url: `${api.url}/v1/stations/{{ partition.id }}/observations`,
        query: { from: '{{ window.start }}', to: '{{ window.end }}' },
        records: Records.at('data'),
        partitions: Partitions.list(STATIONS, { concurrency: 2 }),
        incremental: Incremental.datetime({ recordPath: 'at', start: '2026-11-01T00:00:00Z', lookback: Duration.hours(1) }),
        limits: { allowPrivateAddresses: true, requestsPerSecond: 50, maxRetries: 0 },
      }),
      executionMode: ExecutionMode.distributed({ itemsPerBatch: 4, maxConcurrency: 3, toleratedFailurePercentage: 50 }),
    });
    return templateOf(stack).toJSON().Resources as Record<string, any>;
  }

  test('windows times stations, each once; a failed item is all a second execution fetches; the live lease and cursor are not touched', async () => {
    const moto = await createFeedResources('stations/');
    const resources = synthesize();
    const table = moto.tableName;
    const key = (sk: string) => ({ pk: { S: 'feed#stations' }, sk: { S: sk } });
    // A live run holds the feed's lease, and station s1 has a live cursor: a backfill needs neither.
    await dynamoDbClient().send(new PutItemCommand({ TableName: table, Item: { ...key('lease'), holder: { S: 'live-run' }, expiresAt: { N: String(Date.now() + 3_600_000) } } }));
    await dynamoDbClient().send(new PutItemCommand({ TableName: table, Item: { ...key('cursor#{"id":"s1"}'), cursor: { S: '2026-12-01T00:00:00Z' } } }));
    broken.add('s2 2026-01-04T00:00:00.000Z');

    const first = await runDistributed(resources, moto, 'backfill-1', { backfill: BACKFILL });
    expect(first.output.plan).toMatchObject({ items: 21, backfill: BACKFILL });
    const itemsFile = await s3Client().send(new GetObjectCommand({ Bucket: moto.bucketName, Key: first.output.plan.itemsKey }));
    const items = (await itemsFile.Body!.transformToString()).trim().split('\n').map((line) => JSON.parse(line));
    expect(items[0]).toEqual({ partition: { id: 's1' }, window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' } });
    expect(first.output.summary).toMatchObject({ status: 'partial', items: 21, itemsFailed: 4, partitionsFailed: 1 });

    // Every station-day but the broken one, once: six observations each.
    const delivered = async () => [...(await readAllObjects(moto.bucketName)).entries()].filter(([k]) => k.startsWith('stations/'))
      .flatMap(([, body]) => body.trim().split('\n')).map((line) => JSON.parse(line).record as { station: string; at: string });
    const afterFirst = await delivered();
    const ids = (records: Array<{ station: string; at: string }>) => records.map((r) => `${r.station} ${r.at}`);
    expect(new Set(ids(afterFirst)).size).toBe(afterFirst.length);
    expect(afterFirst).toHaveLength(20 * 6);
    expect(afterFirst.filter((r) => r.station === 's2' && r.at.startsWith('2026-01-04'))).toEqual([]);

    // The archive is back: a second execution of the same backfill fetches only s2's 4 January.
    broken.clear();
    const before = api.requests.length;
    const second = await runDistributed(resources, moto, 'backfill-2', { backfill: BACKFILL });
    expect(second.output.summary).toMatchObject({ status: 'succeeded', items: 21, itemsFailed: 0, recordsDelivered: 6 });
    expect(api.requests.slice(before).map((r) => r.path)).toEqual([
      `/v1/stations/s2/observations?from=${encodeURIComponent('2026-01-04T00:00:00.000Z')}&to=${encodeURIComponent('2026-01-05T00:00:00.000Z')}`,
    ]);
    const all = await delivered();
    expect(all).toHaveLength(21 * 6);
    expect(new Set(ids(all)).size).toBe(all.length);

    // The live run's lease and cursor are as they were; the backfill's lease is free again.
    const lease = await dynamoDbClient().send(new GetItemCommand({ TableName: table, Key: key('lease') }));
    expect(lease.Item?.holder?.S).toBe('live-run');
    const cursor = await dynamoDbClient().send(new GetItemCommand({ TableName: table, Key: key('cursor#{"id":"s1"}') }));
    expect(cursor.Item?.cursor?.S).toBe('2026-12-01T00:00:00Z');
    const backfillLease = await dynamoDbClient().send(new GetItemCommand({
      TableName: table, Key: { pk: { S: `feed#stations#backfill#${BACKFILL.from}/${BACKFILL.to}/86400s` }, sk: { S: 'lease' } },
    }));
    expect(backfillLease.Item).toBeDefined();
    expect(backfillLease.Item?.holder).toBeUndefined();
  }, 300_000);

  test('a backfill of a spec without {{ window.end }} fails its plan with what to add, and takes no lease', async () => {
    const moto = await createFeedResources('stations/');
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Stations', {
      feedName: 'stations',
      source: ApiSource.http({
        url: `${api.url}/v1/stations/{{ partition.id }}/observations`,
        query: { since: '{{ cursor }}' },
        records: Records.at('data'),
        partitions: Partitions.list(STATIONS),
        incremental: Incremental.datetime({ recordPath: 'at', start: '2026-11-01T00:00:00Z' }),
        limits: { allowPrivateAddresses: true },
      }),
      executionMode: ExecutionMode.distributed(),
    });
    const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
    await expect(runDistributed(resources, moto, 'backfill-3', { backfill: BACKFILL })).rejects.toThrow(/does not send \{\{ window.end \}\}/);
    const lease = await dynamoDbClient().send(new GetItemCommand({
      TableName: moto.tableName, Key: { pk: { S: `feed#stations#backfill#${BACKFILL.from}/${BACKFILL.to}/86400s` }, sk: { S: 'lease' } },
    }));
    expect(lease.Item).toBeUndefined();
  }, 300_000);
});
