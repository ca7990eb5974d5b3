import { baseSpec, readBody, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('requests: method, path parameters, query, headers, JSON body and templates', () => {
  let api: LoopbackApi;
  const seen: Array<{ method: string; path: string; headers: any; body: string }> = [];
  beforeAll(async () => {
    const echo = async (req: any, res: any, url: URL) => {
      seen.push({ method: req.method, path: `${url.pathname}${url.search}`, headers: req.headers, body: await readBody(req) });
      json(res, 200, { data: [{ ok: true }] });
    };
    api = await startLoopbackApi({ '/v1/stations/ST-1/observations': echo, '/v1/search': echo });
  });
  afterAll(() => api.close());
  beforeEach(() => { seen.length = 0; });

  const runTime = new Date('2026-11-25T12:34:56Z');

  test('GET with templated path, query and headers', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/v1/stations/{{ partition.station }}/observations`, {
      request: {
        url: `${api.url}/v1/stations/{{ partition.station }}/observations`,
        query: { day: '{{ run.time | format: yyyy-MM-dd }}', since: '{{ run.time | add: -PT1H }}', units: 'metric' },
        headers: { 'x-run': '{{ run.time | format: unix }}', 'x-station': '{{ partition.station }}' },
      },
      partitions: { type: 'list', values: [{ station: 'ST-1' }] },
    }), { runTime });
    expect(summary.status).toBe('succeeded');
    expect(seen[0].method).toBe('GET');
    expect(seen[0].path).toBe('/v1/stations/ST-1/observations?day=2026-11-25&since=2026-11-25T11%3A34%3A56.000Z&units=metric');
    expect(seen[0].headers['x-run']).toBe(String(Date.parse('2026-11-25T12:34:56Z') / 1000));
    expect(seen[0].headers['x-station']).toBe('ST-1');
  });

  test('POST with a templated JSON body (GraphQL style)', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/v1/search`, {
      request: {
        url: `${api.url}/v1/search`,
        method: 'POST',
        body: { query: 'query($day: String!) { items(day: $day) { id } }', variables: { day: '{{ run.time | add: -P1D | format: yyyy-MM-dd }}', n: 5 } },
      },
    }), { runTime });
    expect(summary.status).toBe('succeeded');
    expect(seen[0].method).toBe('POST');
    expect(seen[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0].body)).toEqual({
      query: 'query($day: String!) { items(day: $day) { id } }',
      variables: { day: '2026-11-24', n: 5 },
    });
  });

  test('a cursor and a page token from JSON numbers are sent as numbers in a JSON body, as text in the query', async () => {
    // A typed API (GraphQL's Int): a page token or cursor sent as "2" is refused with a 400.
    const bodies: any[] = [];
    const typed = await startLoopbackApi({
      '/graphql': async (req, res, url) => {
        const body = JSON.parse(await readBody(req));
        bodies.push({ body, query: url.search });
        const { after, since } = body.variables;
        if (typeof since !== 'number' || (after !== undefined && typeof after !== 'number')) {
          json(res, 400, { errors: [{ message: 'Int expected' }] });
          return;
        }
        const next = after === undefined ? 2 : after + 1;
        json(res, 200, { data: next <= 3 ? [{ seq: 100 + next }] : [], next: next <= 3 ? next : null });
      },
    });
    try {
      const { summary, sink } = await runSpec(baseSpec(`${typed.url}/graphql`, {
        request: { url: `${typed.url}/graphql`, method: 'POST', query: { since: '{{ cursor }}' }, body: { variables: { since: '{{ cursor }}', label: 'since {{ cursor }}' } } },
        pagination: { type: 'cursor', from: { path: 'next' }, param: 'variables.after', in: 'body' },
        incremental: { cursorPath: 'seq', type: 'number', start: 7 },
      }));
      expect(summary.status).toBe('succeeded');
      expect(sink.records.map((r) => r.seq)).toEqual([102, 103]);
      expect(bodies[0].body.variables).toEqual({ since: 7, label: 'since 7' });
      expect(bodies[1].body.variables).toEqual({ since: 7, label: 'since 7', after: 2 });
      expect(bodies[0].query).toBe('?since=7');
    } finally {
      await typed.close();
    }
  });

  test('a template name the spec does not declare is refused before a run, so nothing is sent', async () => {
    await expect(runSpec(baseSpec(`${api.url}/v1/search`, {
      request: { url: `${api.url}/v1/search`, query: { q: '{{ partition.city }}' } },
    }))).rejects.toThrow('spec.request.query.q: {{ partition.city }}: the request has no partitions; add a "partitions" section, or remove the reference');
    expect(seen).toHaveLength(0);
  });

  test('envelopes carry the source URL and the partition', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/v1/stations/{{ partition.station }}/observations`, {
      partitions: { type: 'list', values: [{ station: 'ST-1' }] },
    }));
    expect(sink.envelopes[0]).toMatchObject({
      feed: 'test-feed',
      source_url: `${api.url}/v1/stations/ST-1/observations`,
      partition: { station: 'ST-1' },
      record: { ok: true },
    });
  });
});
