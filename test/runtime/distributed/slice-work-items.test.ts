/**
 * A distributed slice runs only the work items its run's plan made. The items are read from the
 * feed's bucket by the Map, so whoever can write the control folder could add a partition the spec
 * does not declare, or a window outside the backfill, to be fetched with the feed's credentials.
 * Each attack below is refused before any request; the plan (with its items file's digest) comes
 * from the execution's state. The bucket is moto's S3, through the poller's own adapter.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseFeedSpec } from '../../../src/feed-spec/feed-spec';
import type { SliceEvent } from '../../../src/feed-spec/poller-event';
import { planRun, runSlice, StepDependencies } from '../../../src/runtime/distributed/run-steps';
import { S3ObjectStore } from '../../../src/runtime/distributed/s3-object-store';
import { jsonLogger } from '../../../src/runtime/logging/json-logger';
import { SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../../../src/runtime/secrets/secret-resolver';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { CollectingSink } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { s3Client } from '../../helpers/moto-aws';

describe('a slice runs only the work items of its run\'s plan', () => {
  let api: LoopbackApi;
  const asked: string[] = [];
  const bucket = `slice-items-${Date.now()}`;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/v1/*': (_req, res, url) => { asked.push(url.pathname + url.search); json(res, 200, { data: [{ id: 1 }] }); } });
    await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => api.close());
  beforeEach(() => { asked.length = 0; });

  const spec = () => parseFeedSpec({
    version: 1,
    feed: 'stations',
    request: { url: `${api.url}/v1/{{ partition.id }}`, query: { from: '{{ window.start }}', to: '{{ window.end }}' } },
    records: { path: 'data' },
    partitions: { type: 'list', values: [{ id: 'a' }, { id: 'b' }] },
    incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    limits: { allowPrivateAddresses: true },
  });

  function deps(): StepDependencies {
    const redactor = new SecretRedactor();
    return {
      objects: new S3ObjectStore(async () => s3Client(), bucket),
      bucket,
      now: () => Date.now(),
      engine: {
        sink: new CollectingSink(),
        state: new MemoryStateStore(),
        logger: jsonLogger(redactor, () => undefined),
        redactor,
        secrets: new CachingSecretResolver(async () => 'unused', redactor),
      },
    };
  }

  const backfill = { from: '2026-02-01T00:00:00.000Z', to: '2026-02-03T00:00:00.000Z', windowSeconds: 86_400 };
  const day1 = { start: '2026-02-01T00:00:00.000Z', end: '2026-02-02T00:00:00.000Z' };

  async function planned(runId: string) {
    const d = deps();
    const plan = await planRun(spec(), { mode: 'plan', runId, request: { spec: spec(), backfill } }, d);
    const slice = (Items: SliceEvent['Items'], withPlan: object | undefined = plan): SliceEvent =>
      ({ Items, BatchInput: { mode: 'slice', runId, spec: spec(), ...(withPlan ? { plan: withPlan as any } : {}) } });
    return { d, plan, slice };
  }

  test('the plan\'s own items run', async () => {
    const { d, slice } = await planned('run-ok');
    expect(await runSlice(spec(), slice([{ partition: { id: 'a' }, window: day1 }]), d)).toMatchObject({ status: 'succeeded', recordsDelivered: 1 });
    expect(asked).toEqual([`/v1/a?from=${encodeURIComponent(day1.start)}&to=${encodeURIComponent(day1.end)}`]);
  });

  test.each([
    ['a partition the spec does not declare', [{ partition: { id: '../admin' }, window: day1 }], /is not a partition of feed stations/],
    ['a window outside the backfill', [{ partition: { id: 'a' }, window: { start: '2020-01-01T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' } }],
      /has a window that is not one of the run's backfill/],
    ['no window in a backfill run', [{ partition: { id: 'a' } }], /has a window that is not one of the run's backfill/],
  ])('%s is refused before any request', async (_name, items, message) => {
    const { d, slice } = await planned(`run-${asked.length}-${Math.random().toString(36).slice(2, 8)}`);
    await expect(runSlice(spec(), slice(items as SliceEvent['Items']), d)).rejects.toThrow(message);
    expect(asked).toEqual([]);
  });

  test('an items file rewritten after the plan (same items, one added) is refused: its digest is not the plan\'s', async () => {
    const { d, plan, slice } = await planned('run-tampered');
    await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: plan.itemsKey, Body: '{"partition":{"id":"a"},"window":{"start":"2026-02-01T00:00:00.000Z","end":"2026-02-02T00:00:00.000Z"}}\n' }));
    await expect(runSlice(spec(), slice([{ partition: { id: 'a' }, window: day1 }]), d))
      .rejects.toThrow(/the work items file control\/feed=stations\/runs\/run-tampered\/items.jsonl is not the one the plan wrote/);
    expect(asked).toEqual([]);
  });

  test('with partitions from a parent request, an item that is not in the plan\'s file is refused (the file intact)', async () => {
    const parentSpec = () => parseFeedSpec({
      version: 1,
      feed: 'stations',
      request: { url: `${api.url}/v1/{{ partition.id }}` },
      records: { path: 'data' },
      partitions: { type: 'parent', request: { url: `${api.url}/v1/list` }, records: { path: 'data' }, fields: { id: 'id' } },
      limits: { allowPrivateAddresses: true },
    });
    const d = deps();
    const plan = await planRun(parentSpec(), { mode: 'plan', runId: 'run-parent', request: { spec: parentSpec() } }, d);
    asked.length = 0;
    const event: SliceEvent = { Items: [{ partition: { id: '1' } }, { partition: { id: 'internal' } }], BatchInput: { mode: 'slice', runId: 'run-parent', spec: parentSpec(), plan } };
    await expect(runSlice(parentSpec(), event, d)).rejects.toThrow(/work item \{"partition":\{"id":"internal"\}\} is not in the run's plan/);
    expect(asked).toEqual([]);
  });

  test('a batch without its plan, or with another run\'s plan, is refused', async () => {
    const { d, slice } = await planned('run-noplan');
    await expect(runSlice(spec(), slice([{ partition: { id: 'a' }, window: day1 }], null as any), d)).rejects.toThrow(/without its run's plan/);
    const other = await planned('run-other');
    await expect(runSlice(spec(), slice([{ partition: { id: 'a' }, window: day1 }], other.plan), d)).rejects.toThrow(/without its run's plan/);
    expect(asked).toEqual([]);
  });
});
