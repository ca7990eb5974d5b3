/**
 * Offline spec tests through the shipped command: `api-ingest record` saves a run's exchanges with
 * every secret and token redacted, in every form; `run` and `preview --replay` answer from them
 * with the API gone and no secret given, and a spec asking for a request the cassette lacks fails
 * with a message that says so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readBody } from '../../helpers/engine-harness';
import { json, startLoopbackApi } from '../../helpers/loopback-api';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const CLIENT = { client_id: 'shop-client', client_secret: 's3cr+t/value &more' };
const ACCESS_TOKEN = 'at.eyJ0eXAiOiJKV1QifQ.sig';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function outputLines(dir: string): any[] {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ndjson'));
  return files.flatMap((e) => readFileSync(path.join((e as any).parentPath ?? (e as any).path, e.name), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
}

test('record, then run and preview --replay with the API gone and no secrets; a changed spec fails on the missing request', async () => {
  const api = await startLoopbackApi({
    '/oauth/token': async (req, res) => {
      await readBody(req);
      // The token endpoint echoes the client id, as some do: it is a secret field too.
      json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, client: CLIENT.client_id });
    },
    '/v1/orders': (req, res, url) => {
      if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return json(res, 401, { error: 'unauthorized' });
      const page = Number(url.searchParams.get('page'));
      res.setHeader('set-cookie', `session=${ACCESS_TOKEN}; HttpOnly`);
      return json(res, 200, { orders: page <= 2 ? [{ id: page * 10 + 1, created: url.searchParams.get('since') }, { id: page * 10 + 2 }] : [] });
    },
  });
  const work = mkdtempSync(path.join(tmpdir(), 'cassette-'));
  const spec = path.join(work, 'orders.json');
  const secrets = path.join(work, 'secrets.json');
  const cassette = path.join(work, 'cassette');
  const specJson = {
    version: 1,
    feed: 'orders',
    request: { url: `${api.url}/v1/orders`, query: { since: '{{ run.time | add: -P1D }}' } },
    records: { path: 'orders' },
    pagination: { type: 'pageNumber', param: 'page' },
    // The client secret in the token request's form body: a request body the cassette keeps.
    auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, clientAuth: 'body', secret: { arn: 'shop' } },
  };
  writeFileSync(spec, JSON.stringify(specJson));
  writeFileSync(secrets, JSON.stringify({ shop: JSON.stringify(CLIENT) }));
  let closed = false;
  try {
    const recorded = await run(['record', spec, '--cassette', cassette, '--secrets', secrets, '--allow-loopback']);
    expect(recorded.stdout).toMatch(/^recorded 4 exchange\(s\) \(4 record\(s\) from 3 page\(s\), run succeeded\) into .*cassette\.json; secrets and tokens redacted/);
    expect(recorded.code).toBe(0);
    const text = readFileSync(path.join(cassette, 'cassette.json'), 'utf8');
    const basic = Buffer.from(`${encodeURIComponent(CLIENT.client_id)}:${encodeURIComponent(CLIENT.client_secret)}`).toString('base64');
    const queryForm = new URLSearchParams({ s: CLIENT.client_secret }).toString().slice(2);
    const jsonForm = JSON.stringify(CLIENT.client_secret).slice(1, -1);
    const forms = [CLIENT.client_secret, encodeURIComponent(CLIENT.client_secret), queryForm, jsonForm, basic];
    for (const form of [...forms, ACCESS_TOKEN, CLIENT.client_id]) {
      expect(text).not.toContain(form);
    }
    expect(text).not.toMatch(/set-cookie/i);
    expect(text).toContain('grant_type=client_credentials');
    const file = JSON.parse(text);
    expect(file.exchanges.map((e: any) => `${e.request.method} ${new URL(e.request.url).pathname}`))
      .toEqual(['POST /oauth/token', 'GET /v1/orders', 'GET /v1/orders', 'GET /v1/orders']);

    await api.close();
    closed = true;
    // No --secrets, no API: every answer comes from the cassette, at the recorded run's time.
    const out = path.join(work, 'out');
    const replayed = await run(['run', spec, '--out', out, '--replay', cassette, '--allow-loopback', '--json']);
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ status: 'succeeded', pages: 3, recordsDelivered: 4 });
    const records = outputLines(out).map((line) => line.record);
    expect(records.map((r) => r.id)).toEqual([11, 12, 21, 22]);
    expect(records[0].created).toBe(new Date(Date.parse(file.runTime) - 86_400_000).toISOString());

    const preview = await run(['preview', spec, '--replay', cassette, '--allow-loopback', '--records', '3']);
    expect(preview.code).toBe(0);
    expect(preview.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual([11, 12, 21]);

    // A spec changed since the recording (another page size) asks for a request the cassette lacks.
    writeFileSync(spec, JSON.stringify({ ...specJson, request: { ...specJson.request, query: { ...specJson.request.query, limit: '50' } } }));
    const missing = await run(['run', spec, '--out', path.join(work, 'out2'), '--replay', cassette, '--allow-loopback', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).failures[0].error).toMatch(/^the cassette .*cassette\.json has no answer for GET http:\/\/127\.0\.0\.1:\d+\/v1\/orders\?since=.*limit=50&page=1; record it again \(api-ingest record SPEC --cassette /);

    const noCassette = await run(['run', spec, '--out', path.join(work, 'out3'), '--replay', path.join(work, 'nowhere')]);
    expect(noCassette.code).toBe(2);
    expect(noCassette.stderr).toMatch(/--replay .*nowhere: .*cassette\.json cannot be read \(ENOENT\); record one with api-ingest record SPEC --cassette/);
  } finally {
    if (!closed) await api.close();
  }
});
