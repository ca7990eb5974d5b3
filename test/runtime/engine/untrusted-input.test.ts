/**
 * What the API returns is untrusted input: parent records used as partition values, prototype
 * keys in bodies, JSON nested beyond reason. Each test is the attack the guard stops.
 */
import { baseSpec, CollectingSink, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('values from the API never steer a request, nor reach a prototype', () => {
  let api: LoopbackApi;
  const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/stations': (_req, res) => json(res, 200, { stations: [{ id: 'SEL' }, { id: '../../admin?grant=all#' }, { id: '..' }] }),
      '/stations/*': (_req, res, url) => json(res, 200, { data: [{ path: url.pathname, query: url.search }] }),
      '/proto.csv': (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end('__proto__,constructor,id\nx,y,1\n'),
      '/proto.json': (_req, res) => json(res, 200, '{"data":[{"__proto__":{"polluted":"yes"},"id":1,"nested":{"__proto__":{"polluted":"yes"}}}]}'),
      '/deep': (_req, res) => json(res, 200, `{"data":[${deep}]}`),
    });
  });
  afterAll(() => api.close());

  test('a parent record\'s id lands in the path as one encoded segment; ".." is refused, not resolved', async () => {
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/stations/{{ partition.station }}/obs`, {
      partitions: { type: 'parent', request: { url: `${api.url}/stations` }, records: { path: 'stations' }, fields: { station: 'id' } },
    }));
    expect(sink.records.map((r) => r.path).sort()).toEqual(['/stations/..%2F..%2Fadmin%3Fgrant%3Dall%23/obs', '/stations/SEL/obs']);
    expect(sink.records.every((r) => r.query === '')).toBe(true);
    expect(summary.failures).toEqual([{ partition: { station: '..' }, error: expect.stringMatching(/is "\.\.", which would change the URL's path/) }]);
  });

  test('prototype keys in CSV headers and JSON bodies stay data: no object prototype is written', async () => {
    const csv = await runSpec(baseSpec(`${api.url}/proto.csv`, { records: { format: 'csv' } }));
    expect(csv.summary.status).toBe('succeeded');
    const json1 = await runSpec(baseSpec(`${api.url}/proto.json`, { records: { path: 'data', fields: ['id', 'nested'] } }));
    expect(json1.sink.records).toEqual([{ id: 1, nested: JSON.parse('{"__proto__":{"polluted":"yes"}}') }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test.each([
    ['delivered as text', () => ({})],
    ['with a cursor field read from each record', () => ({
      request: { url: `${api.url}/deep`, query: { after: '{{ cursor }}' } }, incremental: { cursorPath: 'a', type: 'number', start: 0 },
    })],
    ['with fields selected', () => ({ records: { path: 'data', fields: ['a'] } })],
    ['through JSONPath', () => ({ records: { path: '$.data[*]' } })],
  ])('a response nested 100,000 levels deep fails its partition with a clear error (%s)', async (_how, overrides) => {
    const sink = new CollectingSink();
    const { summary } = await runSpec(baseSpec(`${api.url}/deep`, overrides() as any), { sink });
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toBe('the response nests objects or arrays deeper than 512 levels; no record of it can be used');
    expect(sink.lines).toEqual([]);
  });
});
