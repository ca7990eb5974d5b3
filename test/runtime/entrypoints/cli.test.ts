/**
 * The shipped `api-ingest` command (assets/cli/api-ingest.js), run as a process: exit codes,
 * preview output, local runs (files in the S3 key layout, local state, local dead letters) and a
 * run into real AWS resources (moto).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/runtime/entrypoints/cli';
import { startDemoApi } from '../../../src/runtime/entrypoints/demo-api';
import { readBody } from '../../helpers/engine-harness';
import { json, startLoopbackApi } from '../../helpers/loopback-api';
import { createFeedResources, drainQueue, motoEnv, readAllObjects } from '../../helpers/moto-aws';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const DEMO_SPEC = path.join(PROJECT_ROOT, 'examples', 'demo', 'weather-demo.json');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join((e as any).parentPath ?? (e as any).path, e.name)));
}

describe('api-ingest', () => {
  let demo: Server;
  let work: string;
  let spec: string;
  beforeAll(async () => {
    demo = await startDemoApi(0);
    const port = (demo.address() as AddressInfo).port;
    work = mkdtempSync(path.join(tmpdir(), 'api-ingest-'));
    spec = path.join(work, 'demo.json');
    writeFileSync(spec, readFileSync(DEMO_SPEC, 'utf8').replace(/127\.0\.0\.1:8787/g, `127.0.0.1:${port}`));
  });
  afterAll(() => new Promise<void>((r) => demo.close(() => r())));

  test('validate: exit 0 for a valid spec, 2 with every problem for an invalid one', async () => {
    expect(await run(['validate', spec])).toMatchObject({ code: 0, stdout: `${spec}: valid (feed "weather-demo")\n` });
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, feed: 'ok', request: { url: 'ftp://x' }, records: { path: '' } }));
    const result = await run(['validate', bad]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('invalid (2 problem(s))');
    expect(result.stdout).toContain('spec.request.url: must be an absolute http');
  });

  test('usage errors exit 2; --help exits 0', async () => {
    expect((await run(['run', spec])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect(await run(['run', spec, '--out', path.join(work, 'never'), '--runs-per-month', 'hourly'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--runs-per-month must be a positive number \(got "hourly"\)/) });
    expect((await run(['--help'])).code).toBe(0);
  });

  test('--version prints the package and its version, from the package.json the command ships in', async () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `cdk-api-ingestion ${pkg.version}\n`, stderr: '' });
  });

  test('preview on a terminal prints a table and its count, and no escape sequence of its own', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['preview', spec, '--allow-loopback'], { isTTY: true, out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(code).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^station +observed_at/);
    expect(text).toMatch(/\n\n20 record\(s\) from \d+ page\(s\); nothing was written\n$/);
    expect(text + err.join('')).not.toMatch(/\x1b/);
  });

  test('infer-schema proposes the columns of a few pages, reports conflicts, and --write puts the schema into the spec', async () => {
    const api = await startLoopbackApi({
      '/items': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        json(res, 200, { data: page > 3 ? [] : [{ id: page, userId: `u${page}`, score: page === 2 ? 'n/a' : page, at: '2026-12-01T00:00:00Z', geo: { lat: 1.5 } }] });
      },
    });
    try {
      const file = path.join(work, 'items.json');
      writeFileSync(file, JSON.stringify({ version: 1, feed: 'items', request: { url: `${api.url}/items` }, pagination: { type: 'pageNumber', param: 'page' }, records: { path: 'data' } }));
      const proposed = await run(['infer-schema', file, '--pages', '3', '--allow-loopback']);
      expect(proposed.code).toBe(0);
      expect(JSON.parse(proposed.stdout)).toEqual({
        columns: {
          id: { type: 'integer' },
          user_id: { type: 'string', path: 'userId' },
          score: { type: 'json' },
          at: { type: 'timestamp' },
          geo: { type: 'struct', fields: { lat: { type: 'number' } } },
        },
        contract: 'evolve',
      });
      expect(proposed.stderr).toBe('conflict at score: values of integer and string; typed json (set its type in the schema to choose)\n');

      const written = await run(['infer-schema', file, '--pages', '3', '--write', '--allow-loopback']);
      expect(written.code).toBe(0);
      const withSchema = JSON.parse(readFileSync(file, 'utf8'));
      expect(withSchema.schema.columns.user_id).toEqual({ type: 'string', path: 'userId' });
      expect(withSchema.feed).toBe('items');
      expect((await run(['validate', file])).code).toBe(0);
    } finally {
      await api.close();
    }
  });

  test('infer-schema --write never writes a spec validate refuses: reserved and inherited names, empty and dotted keys, names that collide', async () => {
    const awkward = { 'feed': 'x', 'record_id': 7, 'Partition': 'p', 'constructor': 'c', 'toString': 1, '': 'empty', 'a.b': 2, 'userId': 'u', 'user_id': 'v', 'extra_fields': true };
    const api = await startLoopbackApi({
      '/awkward': (_req, res) => json(res, 200, { data: [awkward, { userId: 'w' }] }),
    });
    try {
      const file = path.join(work, 'awkward.json');
      writeFileSync(file, JSON.stringify({ version: 1, feed: 'awkward', request: { url: `${api.url}/awkward` }, records: { path: 'data' } }));
      const written = await run(['infer-schema', file, '--pages', '1', '--write', '--allow-loopback']);
      expect(written.code).toBe(0);
      expect(written.stderr).toContain('left out "": its name is empty');
      expect(written.stderr).toContain('left out "a.b": its name has a "."');
      expect((await run(['validate', file])).code).toBe(0);
      const { columns } = JSON.parse(readFileSync(file, 'utf8')).schema;
      expect(columns).toEqual({
        feed_field: { type: 'string', path: 'feed' },
        record_id_field: { type: 'integer', path: 'record_id' },
        partition_field: { type: 'string', path: 'Partition' },
        constructor: { type: 'string' },
        to_string: { type: 'integer', path: 'toString' },
        user_id: { type: 'string', path: 'userId' },
        user_id_: { type: 'string', path: 'user_id' },
        extra_fields_field: { type: 'boolean', path: 'extra_fields' },
      });
      // The second record has none of these fields: its columns are null, not Object's constructor or toString.
      const out = path.join(work, 'awkward-out');
      const result = await run(['run', file, '--out', out, '--allow-loopback', '--json']);
      expect(result.code).toBe(0);
      const rows = filesUnder(out).filter((f) => f.endsWith('.ndjson'))
        .flatMap((f) => readFileSync(path.join(out, f), 'utf8').trim().split('\n').map((line) => JSON.parse(line)));
      expect(rows.find((row) => row.user_id === 'w')).toMatchObject({ constructor: null, to_string: null, feed_field: null, feed: 'awkward' });
      expect(JSON.parse(result.stdout).schemaDrift.typeMismatches).toBe(0);
    } finally {
      await api.close();
    }
  });

  test('run follows next links that drop the request\'s page size (keepQuery) and stops on a has-more header', async () => {
    const api = await startLoopbackApi({
      '/v2/contacts': (_req, res, url) => {
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Number(url.searchParams.get('limit') ?? '1');
        res.writeHead(200, {
          'content-type': 'application/json', 'x-has-more': page < 3 ? 'true' : '0', 'link': `<${api.url}/v2/contacts?page=${page + 1}>; rel="next"`,
        }).end(JSON.stringify({ results: Array.from({ length: size }, (_, i) => ({ id: (page - 1) * size + i })) }));
      },
    });
    try {
      const file = path.join(work, 'contacts.json');
      writeFileSync(file, JSON.stringify({
        version: 1,
        feed: 'contacts',
        request: { url: `${api.url}/v2/contacts`, query: { limit: '4' } },
        records: { path: 'results' },
        pagination: { type: 'linkHeader', keepQuery: true, stop: { hasMoreHeader: 'X-Has-More' } },
      }));
      const result = await run(['run', file, '--out', path.join(work, 'contacts-out'), '--allow-loopback', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded', pages: 3, recordsDelivered: 12 });
      expect(api.requests.map((r) => r.path)).toEqual(['/v2/contacts?limit=4', '/v2/contacts?page=2&limit=4', '/v2/contacts?page=3&limit=4']);
    } finally {
      await api.close();
    }
  });

  test('run with stopAtCursor: a newest-first API without a filter; the second run delivers only what is new and stops at the cursor', async () => {
    let events = Array.from({ length: 30 }, (_, i) => ({ id: 30 - i, created_at: new Date(Date.UTC(2026, 11, 1, 30 - i)).toISOString() }));
    const pages: string[] = [];
    const api = await startLoopbackApi({
      '/events': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        pages.push(String(page));
        json(res, 200, events.slice((page - 1) * 10, page * 10));
      },
    });
    try {
      const file = path.join(work, 'events.json');
      const out = path.join(work, 'events-out');
      writeFileSync(file, JSON.stringify({
        version: 1,
        feed: 'events',
        request: { url: `${api.url}/events` },
        records: { path: '$' },
        pagination: { type: 'pageNumber', param: 'page', stop: { shortPage: 10 } },
        incremental: { cursorPath: 'created_at', type: 'datetime', start: '2026-12-01T20:00:00Z', stopAtCursor: true },
      }));
      const first = await run(['run', file, '--out', out, '--allow-loopback', '--json']);
      expect(first.code).toBe(0);
      // 06:00 on the 2nd (id 30) down to 20:00 on the 1st (id 20): the first page is 30..21, the second 20..11.
      expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', pages: 2, recordsDelivered: 11, recordsBeforeCursor: 9 });
      expect(pages).toEqual(['1', '2']);
      events = [{ id: 31, created_at: new Date(Date.UTC(2026, 11, 2, 7)).toISOString() }, ...events];
      pages.length = 0;
      const second = await run(['run', file, '--out', out, '--allow-loopback']);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('older than the cursor: 8 record(s), not delivered; the pages ended there (stopAtCursor)');
      expect(pages).toEqual(['1']);
    } finally {
      await api.close();
    }
  });

  test('run with response rules: Slack\'s "ok": false fails the run at once and says which rule; a "no data" 404 is an empty page', async () => {
    const api = await startLoopbackApi({
      '/conversations.history': (_req, res) => json(res, 200, { ok: false, error: 'channel_not_found' }),
      '/stats': (_req, res, url) => (url.searchParams.get('page') === '1'
        ? json(res, 200, { data: [{ n: 1 }] })
        : json(res, 404, { error: { code: 'NO_DATA' } })),
    });
    try {
      const slack = path.join(work, 'slack.json');
      writeFileSync(slack, JSON.stringify({
        version: 1,
        feed: 'slack-history',
        request: { url: `${api.url}/conversations.history` },
        records: { path: 'messages' },
        responseRules: [{ when: { bodyPath: 'ok', equals: false }, action: 'fail', reason: 'Slack answered ok: false' }],
      }));
      const failed = await run(['run', slack, '--out', path.join(work, 'slack-out'), '--allow-loopback', '--json']);
      expect(failed.code).not.toBe(0);
      expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed', requests: 1 });
      expect(failed.stdout).toContain('response rule 1 (fail): Slack answered ok: false');

      const stats = path.join(work, 'stats.json');
      writeFileSync(stats, JSON.stringify({
        version: 1,
        feed: 'stats',
        request: { url: `${api.url}/stats` },
        records: { path: 'data' },
        pagination: { type: 'pageNumber', param: 'page' },
        responseRules: [{ when: { status: 404, bodyPath: 'error.code', equals: 'NO_DATA' }, action: 'emptyPage' }],
      }));
      const green = await run(['run', stats, '--out', path.join(work, 'stats-out'), '--allow-loopback', '--json']);
      expect(green.code).toBe(0);
      expect(JSON.parse(green.stdout)).toMatchObject({ status: 'succeeded', pages: 1, recordsDelivered: 1 });
    } finally {
      await api.close();
    }
  });

  test('run of an export job: a run whose budget ends while the job runs leaves it in the state file; the next run polls it, not a new one', async () => {
    let ready = false;
    let creates = 0;
    const api = await startLoopbackApi({
      '/jobs/query': (_req, res) => { creates += 1; json(res, 200, { id: `job${creates}`, state: 'UploadComplete' }); },
      '/jobs/query/job1': (_req, res) => json(res, 200, { id: 'job1', state: ready ? 'JobComplete' : 'InProgress' }),
      '/jobs/query/job1/results': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/csv', 'sforce-locator': 'null' }).end('"Id","Name"\n"001A","Acme"\n"001B","Globex"\n');
      },
    });
    try {
      const file = path.join(work, 'bulk.json');
      const out = path.join(work, 'bulk-out');
      writeFileSync(file, JSON.stringify({
        version: 1,
        feed: 'accounts-bulk',
        request: { url: `${api.url}/jobs/query`, method: 'POST', body: { operation: 'query', query: 'SELECT Id, Name FROM Account' } },
        records: { format: 'csv' },
        export: {
          jobIdPath: 'id',
          status: { url: `${api.url}/jobs/query/{{ job.id }}`, path: 'state', ready: ['JobComplete'], failed: ['Failed'] },
          results: { url: `${api.url}/jobs/query/{{ job.id }}/results`, locator: { header: 'Sforce-Locator', param: 'locator' } },
          pollSeconds: 0.2,
        },
      }));
      // The API keeps the job InProgress until the test says otherwise: the first run cannot finish it.
      const first = await run(['run', file, '--out', out, '--allow-loopback', '--time-budget', '1', '--json']);
      expect(JSON.parse(first.stdout)).toMatchObject({
        status: 'partial', recordsDelivered: 0, stoppedEarly: expect.stringMatching(/^export job job1 is still InProgress/),
      });
      expect(first.code).toBe(3);
      ready = true;
      const second = await run(['run', file, '--out', out, '--allow-loopback', '--json']);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
      expect(creates).toBe(1);
    } finally {
      await api.close();
    }
  });

  test('run with a rotating refresh token writes the new token back into the --secrets file, and the next run uses it', async () => {
    let valid = 'rt-0';
    let issued = 0;
    const api = await startLoopbackApi({
      '/connect/token': async (req, res) => {
        const form = new URLSearchParams(await readBody(req));
        if (form.get('refresh_token') !== valid) return json(res, 400, { error: 'invalid_grant' });
        issued += 1;
        valid = `rt-${issued}`;
        return json(res, 200, { access_token: `at-${issued}`, refresh_token: valid, expires_in: 1800 });
      },
      '/api.xro/2.0/Invoices': (req, res) => json(res, req.headers.authorization === `Bearer at-${issued}` ? 200 : 401, { Invoices: [{ InvoiceID: 'i1' }] }),
    });
    try {
      const file = path.join(work, 'xero.json');
      const secrets = path.join(work, 'xero-secrets.json');
      writeFileSync(secrets, JSON.stringify({ xero: JSON.stringify({ client_id: 'cid', client_secret: 'csecret-77', refresh_token: 'rt-0' }) }));
      writeFileSync(file, JSON.stringify({
        version: 1,
        feed: 'xero-invoices',
        request: { url: `${api.url}/api.xro/2.0/Invoices` },
        records: { path: 'Invoices' },
        auth: { type: 'oauth2RefreshToken', tokenUrl: `${api.url}/connect/token`, secret: { arn: 'xero' } },
      }));
      const args = ['run', file, '--out', path.join(work, 'xero-out'), '--secrets', secrets, '--allow-loopback', '--json'];
      const first = await run(args);
      expect(first.code).toBe(0);
      expect(JSON.parse(JSON.parse(readFileSync(secrets, 'utf8')).xero).refresh_token).toBe('rt-1');
      const second = await run(args);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', recordsDelivered: 1 });
      expect(JSON.parse(JSON.parse(readFileSync(secrets, 'utf8')).xero).refresh_token).toBe('rt-2');
      for (const text of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(text).not.toMatch(/rt-\d|at-\d|csecret-77/);
    } finally {
      await api.close();
    }
  });

  test('run with a session token: one login, the token on every page, the password nowhere in the output', async () => {
    let logins = 0;
    const api = await startLoopbackApi({
      '/auth/login': (_req, res) => { logins += 1; json(res, 200, { token: `sess-${logins}` }); },
      '/tickets': (req, res, url) => {
        if (req.headers.authorization !== `Bearer sess-${logins}`) return json(res, 401, { error: 'login first' });
        const page = Number(url.searchParams.get('page'));
        return json(res, 200, { tickets: page <= 2 ? [{ id: page }] : [] });
      },
    });
    try {
      const file = path.join(work, 'tickets.json');
      const secrets = path.join(work, 'tickets-secrets.json');
      writeFileSync(secrets, JSON.stringify({ helpdesk: JSON.stringify({ username: 'ingest', password: 'pw-4411' }) }));
      writeFileSync(file, JSON.stringify({
        version: 1,
        feed: 'tickets',
        request: { url: `${api.url}/tickets` },
        records: { path: 'tickets' },
        pagination: { type: 'pageNumber', param: 'page' },
        auth: { type: 'sessionToken', login: { url: `${api.url}/auth/login`, token: { path: 'token' } }, secret: { arn: 'helpdesk' } },
      }));
      const result = await run(['run', file, '--out', path.join(work, 'tickets-out'), '--secrets', secrets, '--allow-loopback', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
      expect(logins).toBe(1);
      expect(result.stdout + result.stderr).not.toMatch(/pw-4411|sess-1/);
    } finally {
      await api.close();
    }
  });

  test('preview prints JSON lines when piped, within its limits, and writes nothing', async () => {
    const before = filesUnder(work);
    const result = await run(['preview', spec, '--records', '7', '--allow-loopback']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({ station: 'SEL', temperature_c: expect.any(Number) });
    expect(filesUnder(work)).toEqual(before);
  });

  test('preview of a spec with a schema shows the rows the destination receives, piped and on a terminal', async () => {
    const typed = path.join(work, 'demo-typed.json');
    writeFileSync(typed, JSON.stringify({
      ...JSON.parse(readFileSync(spec, 'utf8')),
      feed: 'weather-typed',
      schema: { columns: { station: { type: 'string' }, temp: { type: 'number', path: 'temperature_c' }, observed_at: { type: 'timestamp' } }, contract: 'discardColumns' },
    }));
    const piped = await run(['preview', typed, '--records', '3', '--allow-loopback']);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    const rows = piped.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ station: 'SEL', temp: expect.any(Number), observed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) });
    const out: string[] = [];
    expect(await main(['preview', typed, '--records', '3', '--allow-loopback'], { isTTY: true, out: (t) => out.push(t), err: () => undefined })).toBe(0);
    expect(out.join('')).toMatch(/^station +temp +observed_at\n-+ +-+ +-+\nSEL +-?\d/);
  });

  test('validate --sample runs the spec on real records: a field the transform reads that none has, a column that stays empty (exit 3)', async () => {
    const demoSpec = JSON.parse(readFileSync(spec, 'utf8'));
    const checked = path.join(work, 'demo-checked.json');
    writeFileSync(checked, JSON.stringify({
      ...demoSpec,
      feed: 'weather-checked',
      transform: { expression: '$merge([$, { "temp_f": temperature_cc * 9 / 5 + 32 }])' },
      schema: { columns: { station: { type: 'string' }, temp_f: { type: 'number' }, humidity: { type: 'number', path: 'humidty_pct' } } },
    }));
    const sampled = await run(['validate', checked, '--sample', '--allow-loopback']);
    expect(sampled.code).toBe(3);
    expect(sampled.stdout).toMatch(/^.*demo-checked.json: valid \(feed "weather-checked"\)\n  sample of \d+ record\(s\) from \d+ page\(s\):\n/);
    expect(sampled.stdout).toContain('- the transform reads "temperature_cc", which none of the');
    expect(sampled.stdout).toContain('did you mean "temperature_c"?');
    expect(sampled.stdout).toMatch(/- column temp_f \(reads "temp_f"\) stayed empty in all \d+ sampled row\(s\)/);
    expect(sampled.stdout).toMatch(/- column humidity \(reads "humidty_pct"\) stayed empty/);
    expect(sampled.stdout).not.toContain('column station');
    // Without --sample nothing is fetched: the spec is valid as written.
    expect((await run(['validate', checked])).code).toBe(0);
    // The spec fixed: the sample has nothing to say.
    const fixed = path.join(work, 'demo-fixed.json');
    writeFileSync(fixed, JSON.stringify({
      ...demoSpec,
      feed: 'weather-fixed',
      transform: { expression: '$merge([$, { "temp_f": temperature_c * 9 / 5 + 32 }])' },
      schema: { columns: { station: { type: 'string' }, temp_f: { type: 'number' } } },
    }));
    expect(await run(['validate', fixed, '--sample', '--allow-loopback'])).toMatchObject({ code: 0, stdout: expect.stringContaining('every field the transform reads is there, every column has values') });
  });

  test('a transform: preview shows its result on the API\'s records, and run says what it made of them', async () => {
    const transformed = path.join(work, 'demo-transform.json');
    const demoSpec = JSON.parse(readFileSync(spec, 'utf8'));
    writeFileSync(transformed, JSON.stringify({
      ...demoSpec,
      feed: 'weather-warm',
      transform: { expression: 'temperature_c >= 15 ? { "station": station, "temp_f": temperature_c * 9 / 5 + 32 } : undefined' },
    }));
    const preview = await run(['preview', transformed, '--records', '5', '--allow-loopback']);
    expect(preview.code).toBe(0);
    for (const line of preview.stdout.trim().split('\n')) {
      const record = JSON.parse(line);
      expect(Object.keys(record)).toEqual(['station', 'temp_f']);
      expect(record.temp_f).toBeGreaterThanOrEqual(59);
    }
    const result = await run(['run', transformed, '--out', path.join(work, 'out-transform'), '--allow-loopback']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\n {2}transform: 725 record\(s\) in, (\d+) out, (\d+) filtered out, 0 failed \(dead-lettered\)\n/);
    const [, out, filtered] = /(\d+) out, (\d+) filtered/.exec(result.stdout)!;
    expect(Number(out) + Number(filtered)).toBe(725);
    expect(Number(filtered)).toBeGreaterThan(0);
    // A schema describes the records the transform makes: infer-schema reads those.
    const inferred = await run(['infer-schema', transformed, '--pages', '1', '--allow-loopback']);
    expect(inferred.code).toBe(0);
    expect(Object.keys(JSON.parse(inferred.stdout).columns)).toEqual(['station', 'temp_f']);
  });

  test('run --out: files in the S3 key layout, a state file, and an incremental second run', async () => {
    const out = path.join(work, 'out');
    const first = await run(['run', spec, '--out', out, '--json', '--allow-loopback']);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ feed: 'weather-demo', status: 'succeeded', partitions: 5, recordsFetched: 725, recordsDelivered: 725 });
    // A month of this feed at the default schedule (hourly), priced from this run.
    expect(summary.bytesDelivered).toBeGreaterThan(725 * 300);
    expect(summary.costEstimate).toMatchObject({ runsPerMonth: 730, lambdaMemoryMb: 512, assumptions: expect.stringMatching(/^us-east-1 list prices/) });
    expect(summary.costEstimate.totalUsd).toBeGreaterThan(0);
    const data = filesUnder(out).filter((f) => f.endsWith('.ndjson'));
    expect(data.length).toBeGreaterThan(0);
    for (const file of data) {
      expect(file).toMatch(/^feed=weather-demo\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/weather-demo-.*\.ndjson$/);
    }
    const lines = data.flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean));
    expect(lines).toHaveLength(725);
    expect(JSON.parse(lines[0])).toMatchObject({ feed: 'weather-demo', record_id: expect.stringMatching(/^[0-9a-f]{32}$/), partition: { station: expect.any(String) } });
    const state = JSON.parse(readFileSync(path.join(out, '.state', 'weather-demo.json'), 'utf8'));
    expect(Object.keys(state.cursors)).toHaveLength(5);

    const second = JSON.parse((await run(['run', spec, '--out', out, '--json', '--allow-loopback'])).stdout);
    // Only the lookback window (one hour: two observations per station) is read again.
    expect(second.recordsFetched).toBe(10);

    // A state file cut short (a full disk, a bad copy) stops the next run instead of resetting every cursor.
    const stateFile = path.join(out, '.state', 'weather-demo.json');
    writeFileSync(stateFile, readFileSync(stateFile, 'utf8').slice(0, 40));
    const dataBefore = filesUnder(out).filter((f) => f.endsWith('.ndjson'));
    const third = await run(['run', spec, '--out', out, '--allow-loopback']);
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/the state file .*weather-demo\.json is not valid JSON .*restore it from .*weather-demo\.json\.previous/);
    expect(filesUnder(out).filter((f) => f.endsWith('.ndjson'))).toEqual(dataBefore);
  });

  test('the README\'s backfill of the demo spec: the four days before its start, in one-day windows, once; the live cursors unchanged', async () => {
    const out = path.join(work, 'out-backfill');
    expect((await run(['run', spec, '--out', out, '--allow-loopback'])).code).toBe(0);
    const stateFile = path.join(out, '.state', 'weather-demo.json');
    const liveCursors = () => Object.entries(JSON.parse(readFileSync(stateFile, 'utf8')).cursors).filter(([key]) => !key.includes('#backfill#'));
    const before = liveCursors();
    const args = ['backfill', spec, '--from', '2026-11-01', '--to', '2026-11-05', '--window', '1d', '--out', out, '--allow-loopback', '--json'];
    const first = await run(args);
    expect(first.code).toBe(0);
    // Five stations, 24 hourly observations a day, four days.
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', windows: 4, windowsDone: 4, runs: { recordsDelivered: 480 } });
    expect(JSON.parse((await run(args)).stdout)).toMatchObject({ status: 'succeeded', windowsAlreadyDone: 4, runs: { requests: 0 } });
    expect(liveCursors()).toEqual(before);
    const observed = filesUnder(out).filter((f) => f.endsWith('.ndjson'))
      .flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean)).map((line) => JSON.parse(line).record.observed_at as string);
    // The live run's 725 (from its start, 5 November, less its hour of lookback) and the backfill's 480 meet only in
    // that hour: 4 November 23:00 of each station, in both.
    expect(observed).toHaveLength(725 + 480);
    expect(observed.filter((at) => at < '2026-11-05')).toHaveLength(480 + 5);
    // The backfill's files are under the days their records happened (the demo spec's cursor field), not today's.
    const backfilled = filesUnder(out).filter((f) => f.endsWith('.ndjson'))
      .filter((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean).every((line) => JSON.parse(line).record.observed_at < '2026-11-05'));
    const days = new Set(backfilled.map((f) => /year=(\d+)\/month=(\d+)\/day=(\d+)\/hour=(\d+)\//.exec(f)!.slice(1, 4).join('-')));
    expect([...days].sort()).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
    for (const file of backfilled) {
      const [, y, m, d, h] = /year=(\d+)\/month=(\d+)\/day=(\d+)\/hour=(\d+)\//.exec(file)!;
      for (const line of readFileSync(path.join(out, file), 'utf8').split('\n').filter(Boolean)) {
        expect(JSON.parse(line).record.updated_at.slice(0, 13)).toBe(`${y}-${m}-${d}T${h}`);
      }
    }
  });

  test('run --time-folders event files each record under its own hour; arrival (the default) under the hour it was written', async () => {
    const eventOut = path.join(work, 'out-event');
    expect((await run(['run', spec, '--out', eventOut, '--allow-loopback', '--time-folders', 'event'])).code).toBe(0);
    for (const file of filesUnder(eventOut).filter((f) => f.endsWith('.ndjson'))) {
      const [, y, m, d, h] = /^feed=weather-demo\/year=(\d+)\/month=(\d+)\/day=(\d+)\/hour=(\d+)\//.exec(file)!;
      for (const line of readFileSync(path.join(eventOut, file), 'utf8').split('\n').filter(Boolean)) {
        expect(JSON.parse(line).record.updated_at.slice(0, 13)).toBe(`${y}-${m}-${d}T${h}`);
      }
    }
    const arrivalOut = path.join(work, 'out-arrival');
    const before = new Date();
    expect((await run(['run', spec, '--out', arrivalOut, '--allow-loopback'])).code).toBe(0);
    const hours = new Set(filesUnder(arrivalOut).filter((f) => f.endsWith('.ndjson')).map((f) => f.split('/').slice(1, 5).join('/')));
    expect(hours.size).toBeLessThanOrEqual(2);
    expect([...hours][0]).toMatch(new RegExp(`^year=${before.getUTCFullYear()}/`));
    expect((await run(['run', spec, '--out', arrivalOut, '--allow-loopback', '--time-folders', 'weekly'])).code).toBe(2);
  });

  test('a failing partition: exit 3, a local dead letter with its context, the others delivered', async () => {
    const broken = path.join(work, 'broken.json');
    const original = JSON.parse(readFileSync(spec, 'utf8'));
    original.partitions = { type: 'list', values: [{ station: 'SEL' }, { station: 'NOPE' }] };
    writeFileSync(broken, JSON.stringify(original));
    const out = path.join(work, 'out-broken');
    const result = await run(['run', broken, '--out', out, '--json', '--allow-loopback']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', partitionsFailed: 1, requestsDeadLettered: 1 });
    const letters = filesUnder(path.join(out, 'dead-letters'));
    expect(letters).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(out, 'dead-letters', letters[0]), 'utf8'))).toMatchObject({
      kind: 'request',
      feed: 'weather-demo',
      partition: { station: 'NOPE' },
      error: expect.stringMatching(/answered HTTP 404/),
      attempts: 1, // a 404 is not retried
    });
  });

  test('run --firehose with --dlq and --state-table delivers into real AWS resources (moto)', async () => {
    const resources = await createFeedResources('cli/');
    const result = await run([
      'run', spec, '--firehose', resources.streamName, '--dlq', resources.queueUrl, '--dlq-bucket', resources.bucketName,
      '--state-table', resources.tableName, '--json', '--allow-loopback',
    ], motoEnv());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded', recordsDelivered: 725 });
    const objects = await readAllObjects(resources.bucketName);
    const lines = [...objects.values()].join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(725);
  });

  test('records that went to the dead-letter queue: status completedWithDeadLetters, exit 3; with AWS_ENDPOINT_URL the dead letter goes to that endpoint', async () => {
    const resources = await createFeedResources('cli-dl/');
    // One record over Firehose's 1,000 KiB limit: dead-lettered with its payload, the other delivered.
    const api = await startLoopbackApi({ '/big': (_req, res) => json(res, 200, { data: [{ id: 1 }, { id: 2, pad: 'x'.repeat(1_100_000) }] }) });
    const bigSpec = path.join(work, 'big.json');
    writeFileSync(bigSpec, JSON.stringify({ version: 1, feed: 'big', request: { url: `${api.url}/big` }, records: { path: 'data' } }));
    // The queue URL names a host that does not exist: only the configured endpoint can take the message.
    const elsewhere = resources.queueUrl.replace(/^https?:\/\/[^/]+/, 'http://sqs.elsewhere.invalid:9');
    try {
      const result = await run(['run', bigSpec, '--firehose', resources.streamName, '--dlq', elsewhere, '--dlq-bucket', resources.bucketName, '--json', '--allow-loopback'], motoEnv());
      expect(result.code).toBe(3);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completedWithDeadLetters', recordsDelivered: 1, recordsDeadLettered: 1 });
      const letters = await drainQueue(resources.queueUrl);
      expect(letters).toEqual([expect.objectContaining({ kind: 'records', feed: 'big', lineCount: 1 })]);
    } finally {
      await api.close();
    }
  });
});
