import { baseSpec, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('partitions', () => {
  let api: LoopbackApi;
  let inFlight = 0;
  let maxInFlight = 0;
  // A barrier instead of a delay: each observation request is held until `holdUntil` are in
  // flight (or every partition has started), so the concurrency the engine reaches does not depend
  // on how fast this machine answers.
  let holdUntil = 1;
  let started = 0;
  let expectedRequests = Number.POSITIVE_INFINITY;
  let held: Array<() => void> = [];
  const barrier = () => new Promise<void>((release) => {
    held.push(release);
    if (inFlight >= holdUntil || started >= expectedRequests) {
      held.forEach((r) => r());
      held = [];
    }
  });
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/stations': (_req, res, url) => {
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = Array.from({ length: 8 }, (_, i) => ({ id: `ST-${i + 1}`, name: `Station ${i + 1}` }));
        json(res, 200, { stations: all.slice((page - 1) * 5, page * 5) });
      },
      '/observations': async (_req, res, url) => {
        inFlight += 1;
        started += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await barrier();
        inFlight -= 1;
        const station = url.searchParams.get('station');
        if (station === 'ST-3' || station === 'broken') {
          json(res, 404, { error: `unknown station ${station}` });
          return;
        }
        json(res, 200, { data: [{ station, t: 1 }, { station, t: 2 }] });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { inFlight = 0; maxInFlight = 0; started = 0; holdUntil = 1; expectedRequests = Number.POSITIVE_INFINITY; });

  const observations = { query: { station: '{{ partition.station }}' } };

  test('a static list of parameter sets, each fetched and tagged with its partition', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/observations`, {
      request: { ...observations, url: `${api.url}/observations` },
      partitions: { type: 'list', values: [{ station: 'ST-1' }, { station: 'ST-2' }] },
    }));
    expect(summary).toMatchObject({ status: 'succeeded', partitions: 2, recordsFetched: 4 });
    expect(sink.envelopes.map((e) => e.partition)).toEqual([{ station: 'ST-1' }, { station: 'ST-1' }, { station: 'ST-2' }, { station: 'ST-2' }]);
  });

  test('partitions from a paginated parent request, fetched with bounded concurrency', async () => {
    holdUntil = 3;
    expectedRequests = 8;
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/observations`, {
      request: { ...observations, url: `${api.url}/observations` },
      partitions: {
        type: 'parent',
        request: { url: `${api.url}/stations` },
        records: { path: 'stations' },
        pagination: { type: 'pageNumber', param: 'page' },
        fields: { station: 'id' },
        concurrency: 3,
      },
    }));
    expect(summary.partitions).toBe(8);
    expect(maxInFlight).toBe(3);
    // ST-3 answers 404: it fails alone and is reported; the seven others are delivered.
    expect(summary.status).toBe('partial');
    expect(summary.failures).toEqual([{ partition: { station: 'ST-3' }, error: expect.stringMatching(/answered HTTP 404/) }]);
    expect(new Set(sink.envelopes.map((e) => e.partition!.station)).size).toBe(7);
    expect(summary.recordsFetched).toBe(14);
  });

  test('a run in which every partition failed reports failure, never success', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/observations`, {
      request: { ...observations, url: `${api.url}/observations` },
      partitions: { type: 'list', values: [{ station: 'ST-3' }, { station: 'broken' }] },
    }));
    expect(summary.status).toBe('failed');
    expect(summary.partitionsFailed).toBe(2);
  });
});
