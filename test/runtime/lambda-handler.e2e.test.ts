/**
 * End to end with real parts: a loopback HTTP server plays the weather API, moto plays Firehose
 * and S3, and the bundled handler (the file that ships) is invoked with exactly the event the
 * synthesized schedule would send.
 */
import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ApiSource, ApiToFirehoseIngestion, Incremental, Pagination, Partitions, Records, ResponseRule } from '../../src';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { startFaultProxy } from '../helpers/fault-proxy';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, drainQueue, dynamoDbClient, motoEnv, pollerEnv, readAllObjects, s3Client } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const OBSERVATIONS = Array.from({ length: 1200 }, (_, i) => ({
  station: `ST-${String(i).padStart(4, '0')}`,
  observed_at: new Date(Date.UTC(2026, 10, 25, 0, i % 60)).toISOString(),
  temperature_c: Math.round((i % 40) * 10 - 50) / 10,
  conditions: i % 7 === 0 ? 'pluie légère ☔' : 'clear',
  wind: { speed_kmh: i % 30, direction: 'NNE' },
}));

/** The schedule's input, taken from a synthesized template whose source points at `apiUrl`. */
function scheduleInputFor(apiUrl: string): string {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Weather', {
    feedName: 'weather',
    // The loopback test API is reachable only because the spec opts in to private addresses.
    source: ApiSource.http({
      url: `${apiUrl}/v1/observations`, query: { city: 'Seoul' }, records: Records.at('data'), limits: { allowPrivateAddresses: true },
    }),
  });
  const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
  return schedule.Properties.Target.Input;
}

describe('bundled poller Lambda, end to end against loopback API and moto', () => {
  let api: LoopbackApi;
  let status = 200;

  beforeAll(async () => {
    api = await startLoopbackApi({
      '/v1/observations': (_req, res, url) => {
        if (status !== 200) {
          json(res, status, { error: 'upstream unavailable' });
          return;
        }
        json(res, 200, { data: url.searchParams.get('city') === 'Seoul' ? OBSERVATIONS : [], meta: { count: OBSERVATIONS.length } });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { status = 200; });

  test('every record lands in S3 as one enveloped JSON line, byte for byte', async () => {
    const resources = await createFeedResources();
    const { bucketName } = resources;
    const event = asScheduled(scheduleInputFor(api.url), '2026-11-25T12:00:00Z', 'exec-1');
    const before = Date.now();

    const outcome = await invokeBundledHandler(event, pollerEnv(resources));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ feed: 'weather', status: 'succeeded', pages: 1, recordsFetched: 1200, recordsDelivered: 1200 });
    // EMF metrics for the run, as CloudWatch reads them from the log.
    const emf = outcome.logs.split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Feed: 'weather', RecordsFetched: 1200, RecordsDelivered: 1200, RecordsDeadLettered: 0, Pages: 1 });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('CdkApiIngestion');

    // A late duplicate delivery of the same scheduler execution does nothing.
    const duplicate = await invokeBundledHandler(event, pollerEnv(resources));
    expect(duplicate.result).toMatchObject({ status: 'skipped', skipped: expect.stringMatching(/execution exec-1 already completed/) });
    expect(api.requests.at(-1)?.path).toBe('/v1/observations?city=Seoul');

    const objects = await readAllObjects(bucketName);
    const content = [...objects.keys()].sort().map((key) => objects.get(key)).join('');
    const lines = content.split('\n');
    expect(lines.pop()).toBe(''); // every line is newline-terminated
    expect(lines).toHaveLength(1200);

    // The fetch time is the one value the test cannot predict: read it, check it, then predict
    // every byte of every line from the API's records.
    const fetchedAt = JSON.parse(lines[0]).fetched_at;
    expect(Date.parse(fetchedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(fetchedAt)).toBeLessThanOrEqual(Date.now());
    const sourceUrl = `${api.url}/v1/observations?city=Seoul`;
    const expected = OBSERVATIONS.map((record) => JSON.stringify({
      feed: 'weather',
      record_id: expectedRecordId('weather', record),
      fetched_at: fetchedAt,
      source_url: sourceUrl,
      partition: null,
      record,
    })).join('\n') + '\n';
    expect(content).toBe(expected);
  });

  test('a distributed worker that Firehose throttles holds back every worker through the feed\'s shared budget', async () => {
    const resources = await createFeedResources();
    // Firehose says "slow down" to about half the calls (seeded): the worker's sink retries them. One line
    // per record makes 1,200 records, three PutRecordBatch calls at least.
    const proxy = await startFaultProxy(process.env.MOTO_ENDPOINT!, { throttleRate: 0.5 });
    try {
      const spec = { ...(JSON.parse(scheduleInputFor(api.url)).spec), limits: { allowPrivateAddresses: true, requestsPerSecond: 20 } };
      // The plan's items file, and the plan as the state machine passes it (with the file's digest).
      const items = '{"partition":null}\n';
      const itemsKey = 'control/feed=weather/runs/run-1/items.jsonl';
      await s3Client().send(new PutObjectCommand({ Bucket: resources.bucketName, Key: itemsKey, Body: items }));
      const plan = { runId: 'run-1', bucket: resources.bucketName, itemsKey, itemsSha256: createHash('sha256').update(items).digest('hex'), items: 1 };
      const slice = { Items: [{ partition: null }], BatchInput: { mode: 'slice', runId: 'run-1', spec, plan } };
      const outcome = await invokeBundledHandler(slice, {
        ...pollerEnv(resources), AWS_ENDPOINT_URL_FIREHOSE: proxy.url, CONTROL_BUCKET: resources.bucketName, MAX_LINES_PER_RECORD: '1',
      });
      expect(outcome.result).toMatchObject({ status: 'succeeded', recordsDelivered: 1200 });
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      // Logged once the hold is written to the feed's counter in the state table (what the other workers read).
      expect(outcome.logs).toContain('Firehose is throttling: every worker of the run holds its requests back');
    } finally {
      await proxy.close();
    }
  });

  test('with dynamic partitioning on, the construct\'s MAX_LINES_PER_RECORD keeps each Firehose record within deaggregation\'s 500 lines', async () => {
    const resources = await createFeedResources();
    // A pass-through proxy in front of moto counts the JSON lines in each Firehose record.
    const proxy = await startFaultProxy(process.env.MOTO_ENDPOINT!);
    try {
      const event = asScheduled(scheduleInputFor(api.url), '2026-11-25T12:00:00Z', 'exec-dp');
      const packed = await invokeBundledHandler(event, { ...pollerEnv(resources), AWS_ENDPOINT_URL_FIREHOSE: proxy.url });
      expect(packed.result).toMatchObject({ status: 'succeeded', recordsDelivered: 1200 });
      // Without the limit the poller packs small records by bytes only: far more than 500 lines.
      expect(proxy.stats.maxLinesPerRecord).toBeGreaterThan(500);

      proxy.stats.maxLinesPerRecord = 0;
      const partitioned = await createFeedResources();
      const limited = await invokeBundledHandler(asScheduled(scheduleInputFor(api.url), '2026-11-25T12:00:00Z', 'exec-dp2'),
        { ...pollerEnv(partitioned), AWS_ENDPOINT_URL_FIREHOSE: proxy.url, MAX_LINES_PER_RECORD: '500' });
      expect(limited.result).toMatchObject({ status: 'succeeded', recordsDelivered: 1200 });
      expect(proxy.stats.maxLinesPerRecord).toBe(500);
      const lines = [...(await readAllObjects(partitioned.bucketName)).values()].join('').split('\n');
      expect(lines.length - 1).toBe(1200);
    } finally {
      await proxy.close();
    }
  });

  test('an API failure fails the invocation (for retry and the DLQ) and delivers nothing', async () => {
    status = 503;
    const resources = await createFeedResources();
    const event = asScheduled(scheduleInputFor(api.url), '2026-11-25T12:05:00Z', 'exec-2');

    const outcome = await invokeBundledHandler(event, pollerEnv(resources));
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/answered HTTP 503/);
    expect((await readAllObjects(resources.bucketName)).size).toBe(0);
    // The failed request is in the dead-letter queue with its context.
    const letters = await drainQueue(resources.queueUrl);
    expect(letters).toEqual([expect.objectContaining({
      format: 'cdk-api-ingestion/dead-letter@1',
      kind: 'request',
      feed: 'weather',
      partition: null,
      request: { method: 'GET', url: `${api.url}/v1/observations?city=Seoul` },
      error: expect.stringMatching(/answered HTTP 503/),
      attempts: 6, // the first request and the spec's default 5 retries
    })]);
  });

  test('a missing delivery stream fails the invocation with Firehose\'s error', async () => {
    const event = asScheduled(scheduleInputFor(api.url), '2026-11-25T12:10:00Z', 'exec-3');
    const outcome = await invokeBundledHandler(event, { ...pollerEnv(await createFeedResources()), DELIVERY_STREAM_NAME: 'no-such-stream' });
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.name).toBe('FirehoseDeliveryError');
  });

  test('an invalid spec in the event is rejected with every problem and its path', async () => {
    const outcome = await invokeBundledHandler(
      { spec: { version: 1, feed: 'weather', request: { url: 'file:///etc/passwd' }, records: { path: '' } } },
      { ...motoEnv(), DELIVERY_STREAM_NAME: 'unused', DEAD_LETTER_QUEUE_URL: 'unused', DEAD_LETTER_BUCKET: 'unused', STATE_TABLE_NAME: 'unused' },
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/spec\.request\.url: must be an absolute http/);
    expect(outcome.error?.message).toMatch(/spec\.records\.path: must name/);
  });
});

describe('the bundled poller follows the pagination real SaaS APIs use', () => {
  let saas: LoopbackApi;
  beforeAll(async () => {
    saas = await startLoopbackApi({
      // Next links drop the page size the first request sent; a header says whether more pages follow.
      '/v2/contacts': (_req, res, url) => {
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Number(url.searchParams.get('limit') ?? '1');
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-has-more': page < 3 ? 'true' : 'false' };
        // A link even on the last page: only the header says it is the last.
        headers.link = `<${saas.url}/v2/contacts?page=${page + 1}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ results: Array.from({ length: size }, (_, i) => ({ id: `c${(page - 1) * size + i}` })) }));
      },
    });
  });
  afterAll(() => saas.close());

  test('stopAtCursor: a newest-first API without a filter; the second invocation delivers only the new records and asks for one page', async () => {
    let events = Array.from({ length: 25 }, (_, i) => ({ id: `ev${25 - i}`, created_at: new Date(Date.UTC(2026, 11, 6, 25 - i)).toISOString() }));
    const pages: number[] = [];
    const api = await startLoopbackApi({
      '/repos/acme/app/events': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        pages.push(page);
        json(res, 200, events.slice((page - 1) * 10, page * 10));
      },
    });
    try {
      const stack = testStack();
      new ApiToFirehoseIngestion(stack, 'Events', {
        feedName: 'repo-events',
        source: ApiSource.http({
          url: `${api.url}/repos/acme/app/events`,
          records: Records.at('$'),
          pagination: Pagination.pageNumber({ param: 'page', shortPageSize: 10 }),
          incremental: Incremental.datetime({ recordPath: 'created_at', start: '2026-12-06T20:00:00Z', stopAtCursor: true }),
          limits: { allowPrivateAddresses: true },
        }),
      });
      const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
      const resources = await createFeedResources();
      const first = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T03:00:00Z', 'exec-events-1'), pollerEnv(resources));
      expect(first.result).toMatchObject({ status: 'succeeded', pages: 1, recordsDelivered: 6, recordsBeforeCursor: 4 });
      events = [{ id: 'ev26', created_at: '2026-12-07T02:00:00.000Z' }, ...events];
      pages.length = 0;
      const second = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T04:00:00Z', 'exec-events-2'), pollerEnv(resources));
      expect(second.result).toMatchObject({ status: 'succeeded', pages: 1, recordsDelivered: 2 });
      expect(pages).toEqual([1]);
      const ids = [...(await readAllObjects(resources.bucketName)).values()].join('').trim().split('\n').map((line) => JSON.parse(line).record.id);
      // ev25 (the cursor) read again by the second run: the same record_id marks it a duplicate.
      expect(ids.sort()).toEqual(['ev20', 'ev21', 'ev22', 'ev23', 'ev24', 'ev25', 'ev25', 'ev26'].sort());
      // Every item the poller wrote (lease, cursor) is under a partition key its synthesized grant allows
      // (dynamodb:LeadingKeys): what lets feeds share a state table without reading each other's items.
      const leadingKeys: string[] = Object.values<any>(templateOf(stack).findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .find((statement: any) => [statement.Action].flat().includes('dynamodb:PutItem')).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
      const allowed = leadingKeys.map((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
      const { Items } = await dynamoDbClient().send(new ScanCommand({ TableName: resources.tableName }));
      expect(Items!.length).toBeGreaterThan(1);
      expect(Items!.map((item) => item.pk.S!).filter((pk) => !allowed.some((re) => re.test(pk)))).toEqual([]);
    } finally {
      await api.close();
    }
  });

  test('response rules: a deleted parent\'s 404 skips its partition, a "processing" 200 is retried; the run is green', async () => {
    let processing = 1;
    const api = await startLoopbackApi({
      '/stations/*': (_req, res, url) => {
        const id = url.pathname.split('/')[2];
        if (id === 'gone') return json(res, 404, { message: 'Not Found' });
        if (id === 'slow' && processing > 0) {
          processing -= 1;
          return json(res, 200, { status: 'PROCESSING' });
        }
        return json(res, 200, { status: 'DONE', observations: [{ station: id, t: 1 }] });
      },
    });
    try {
      const stack = testStack();
      new ApiToFirehoseIngestion(stack, 'Stations', {
        feedName: 'stations',
        source: ApiSource.http({
          url: `${api.url}/stations/{{ partition.id }}/observations`,
          records: Records.at('observations'),
          partitions: Partitions.list([{ id: 'ok' }, { id: 'gone' }, { id: 'slow' }]),
          responseRules: [
            ResponseRule.skipPartition({ status: [404], reason: 'station removed' }),
            ResponseRule.retry({ status: [200], bodyPath: 'status', equalTo: 'PROCESSING' }),
          ],
          limits: { allowPrivateAddresses: true },
        }),
      });
      const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
      const resources = await createFeedResources();
      const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T03:00:00Z', 'exec-rules'), pollerEnv(resources));
      expect(outcome.result).toMatchObject({ status: 'succeeded', partitions: 3, partitionsFailed: 0, partitionsSkipped: 1, recordsDelivered: 2, retries: 1 });
      expect(await drainQueue(resources.queueUrl)).toEqual([]);
      const stations = [...(await readAllObjects(resources.bucketName)).values()].join('').trim().split('\n').map((line) => JSON.parse(line).record.station);
      expect(stations.sort()).toEqual(['ok', 'slow']);
    } finally {
      await api.close();
    }
  });

  test('keepQuery and a has-more header, as the construct writes them into the schedule\'s input', async () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Contacts', {
      feedName: 'contacts',
      source: ApiSource.http({
        url: `${saas.url}/v2/contacts`,
        query: { limit: '4' },
        records: Records.at('results'),
        pagination: Pagination.linkHeader({ keepQuery: true, hasMoreHeader: 'X-Has-More' }),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    const resources = await createFeedResources();
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T03:00:00Z', 'exec-saas'), pollerEnv(resources));
    expect(outcome.result).toMatchObject({ status: 'succeeded', pages: 3, recordsDelivered: 12 });
    expect(saas.requests.map((r) => r.path)).toEqual(['/v2/contacts?limit=4', '/v2/contacts?page=2&limit=4', '/v2/contacts?page=3&limit=4']);
    const lines = [...(await readAllObjects(resources.bucketName)).values()].join('').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).record.id)).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`));
  });
});

/** An independent statement of the id rule: SHA-256 over feed, partition and canonical record. */
function expectedRecordId(feed: string, record: Record<string, unknown>): string {
  // The documented id: SHA-256 of feed, partition (none: null) and the record's JSON as the API sent it.
  return createHash('sha256').update(`${feed}\nnull\n${JSON.stringify(record)}`).digest('hex').slice(0, 32);
}
