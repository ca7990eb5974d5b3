import { gzipSync } from 'node:zlib';
import { baseSpec, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const ROWS = [
  { id: '1', name: 'Ada', city: 'Seoul', owner: { login: 'ada', id: 9 } },
  { id: '2', name: 'Grace, "Amazing"', city: 'Busan', owner: { login: 'grace', id: 8 } },
];

describe('records: formats, paths, compression and field selection', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/json': (_req, res) => json(res, 200, { results: { items: ROWS } }),
      '/object': (_req, res) => json(res, 200, { temperature: 3.5, unit: 'C' }),
      '/ndjson': (_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n\n'),
      '/csv': (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end('\uFEFFid,name,city\n1,Ada,Seoul\n2,"Grace, ""Amazing""",Busan\n'),
      '/gzip-encoded': (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ data: ROWS }))),
      '/gzip-file': (_req, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gzipSync(ROWS.map((r) => JSON.stringify(r)).join('\n'))),
      '/scalar': (_req, res) => json(res, 200, { data: 5 }),
      '/exact': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' })
        .end('{\n  "data": [\n    { "id": 1234567890123456789, "price": 1.50, "name": "caf\\u00e9" }\n  ]\n}'),
      '/exact.ndjson': (_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        .end('{"id": 1234567890123456789, "price": 1.50}\n'),
      '/truncated': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":1},{"id":'),
    });
  });
  afterAll(() => api.close());

  test('JSON records at a nested field path and at a JSONPath', async () => {
    const a = await runSpec(baseSpec(`${api.url}/json`, { records: { path: 'results.items' } }));
    const b = await runSpec(baseSpec(`${api.url}/json`, { records: { path: '$.results.items[*]' } }));
    expect(a.sink.records).toEqual(ROWS);
    expect(b.sink.records).toEqual(ROWS);
  });

  test('records are delivered as the API wrote them: 64-bit ids, 1.50 and escapes intact; pretty-printing removed', async () => {
    const pretty = await runSpec(baseSpec(`${api.url}/exact`));
    const ndjson = await runSpec(baseSpec(`${api.url}/exact.ndjson`, { records: { format: 'ndjson' } }));
    // Parsing and serializing again would have written 1234567890123456800, 1.5 and "café".
    expect(pretty.sink.lines).toHaveLength(1);
    expect(pretty.sink.lines[0]).toMatch(/,"record":\{"id":1234567890123456789,"price":1\.50,"name":"caf\\u00e9"\}\}\n$/);
    expect(ndjson.sink.lines[0]).toMatch(/,"record":\{"id":1234567890123456789,"price":1\.50\}\}\n$/);
  });

  test('a whole-object response is one record', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/object`, { records: { path: '$' } }));
    expect(sink.records).toEqual([{ temperature: 3.5, unit: 'C' }]);
  });

  test('NDJSON body: one record a line, blank lines ignored', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/ndjson`, { records: { format: 'ndjson' } }));
    expect(sink.records).toEqual(ROWS);
  });

  test('CSV body: the header row names the fields; quotes and BOM handled', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/csv`, { records: { format: 'csv' } }));
    expect(sink.records).toEqual(ROWS.map(({ id, name, city }) => ({ id, name, city })));
  });

  test('a gzip Content-Encoding is decoded', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/gzip-encoded`));
    expect(sink.records).toEqual(ROWS);
  });

  test('a gzip file served without Content-Encoding is decompressed', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/gzip-file`, { records: { format: 'ndjson' } }));
    expect(sink.records).toEqual(ROWS);
  });

  test('field selection keeps only the named (nested) fields', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/json`, { records: { path: 'results.items', fields: ['id', 'owner.login'] } }));
    expect(sink.records).toEqual([{ id: '1', owner: { login: 'ada' } }, { id: '2', owner: { login: 'grace' } }]);
  });

  test('a scalar at the records path is a clear error', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/scalar`));
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toBe('records path "data" matched a number; each record must be a JSON object');
  });

  test('truncated JSON is a clear error, not retried', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/truncated`));
    expect(summary.failures[0].error).toMatch(/^the response body is not valid JSON \(24 characters\)/);
    expect(summary.requests).toBe(1);
  });
});
