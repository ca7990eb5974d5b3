/**
 * Every spec in examples/specs/ synthesizes, and runs correctly against a loopback server that
 * answers with that API's real response shape (the spec's origin is pointed at the server).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ApiSource, ApiToFirehoseIngestion } from '../../src';
import { MemoryStateStore } from '../../src/runtime/state/memory-state-store';
import { readBody, runSpec } from '../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { testStack } from '../helpers/synth';

const SPECS_DIR = path.join(__dirname, '..', '..', 'examples', 'specs');

/** The example spec with every https origin (request, parent request, token URL) pointed at `origin`. */
function loadExample(file: string, origin: string): any {
  const text = readFileSync(path.join(SPECS_DIR, file), 'utf8');
  return JSON.parse(text.replace(/https:\/\/[a-z0-9.-]+/g, origin));
}

const SECRETS = {
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token-AbCdEf': 'ghp_exampletoken000111222',
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-AbCdEf': JSON.stringify({ secret_key: 'sk_test_51Hexample' }),
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:cms-client-AbCdEf': JSON.stringify({ client_id: 'cms-ingest', client_secret: 'cms-secret-value' }),
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog-AbCdEf': 'catalog-api-key-123',
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-AbCdEf': JSON.stringify({ username: 'ingest', password: 'shop-password-1' }),
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:salesforce-AbCdEf': JSON.stringify({ access_token: '00Dxx0000001gPL!AQ4AQexample' }),
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:helpdesk-login-AbCdEf': JSON.stringify({ email: 'ingest@example.com', password: 'helpdesk-pw-1' }),
};

test('every example spec synthesizes as a feed', () => {
  const files = readdirSync(SPECS_DIR).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(6);
  for (const file of files) {
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Feed', { source: ApiSource.fromSpecFile(path.join(SPECS_DIR, file)) });
    expect(feed.feedName).toBe(JSON.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8')).feed);
  }
});

describe('example specs against their APIs\' response shapes', () => {
  let api: LoopbackApi;
  const log: Array<{ path: string; query: URLSearchParams; headers: any }> = [];
  const record = (req: any, url: URL) => log.push({ path: url.pathname, query: url.searchParams, headers: req.headers });

  const issue = (repo: string, n: number, updated: string) => ({
    id: 1000 + n,
    node_id: `I_kwDO${n}`,
    number: n,
    title: `${repo} issue ${n}`,
    state: n % 3 ? 'open' : 'closed',
    user: { login: `user${n}`, id: 50 + n, type: 'User' },
    labels: [{ id: 7, name: 'bug', color: 'd73a4a' }],
    created_at: '2025-12-01T00:00:00Z',
    updated_at: updated,
    closed_at: null,
    body: 'long text that is not selected',
    url: `https://api.github.com/repos/${repo}/issues/${n}`,
  });
  const charges = Array.from({ length: 5 }, (_, i) => ({
    id: `ch_3Mt${i}`, object: 'charge', amount: 1000 + i, currency: 'usd', created: 1764000000 + i, status: 'succeeded', paid: true,
  }));
  const products = Array.from({ length: 75 }, (_, i) => ({ id: i + 1, title: `Product ${i + 1}`, price: 9.99, stock: 3, category: 'misc', images: ['x.jpg'] }));
  const orders = Array.from({ length: 150 }, (_, i) => ({ id: 5000 + i, total: '12.50', updated_at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString() }));

  beforeAll(async () => {
    const githubIssues = (repo: string) => (req: any, res: any, url: URL) => {
      record(req, url);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = [1, 2, 3].map((n) => issue(repo, n, `2026-02-0${n}T10:00:00Z`));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page === 1) {
        headers.link = `<${api.url}/repos/${repo}/issues?page=2&per_page=2>; rel="next", <${api.url}/repos/${repo}/issues?page=2&per_page=2>; rel="last"`;
      }
      res.writeHead(200, headers).end(JSON.stringify(page === 1 ? all.slice(0, 2) : all.slice(2)));
    };
    api = await startLoopbackApi({
      '/repos/aws/aws-cdk/issues': githubIssues('aws/aws-cdk'),
      '/repos/projen/projen/issues': githubIssues('projen/projen'),
      '/v1/charges': (req, res, url) => {
        record(req, url);
        const after = url.searchParams.get('starting_after');
        const start = after ? charges.findIndex((c) => c.id === after) + 1 : 0;
        const data = charges.slice(start, start + 2);
        json(res, 200, { object: 'list', url: '/v1/charges', has_more: start + 2 < charges.length, data });
      },
      '/v1/forecast': (req, res, url) => {
        record(req, url);
        json(res, 200, {
          latitude: Number(url.searchParams.get('latitude')),
          longitude: Number(url.searchParams.get('longitude')),
          generationtime_ms: 0.05,
          utc_offset_seconds: 0,
          timezone: 'GMT',
          timezone_abbreviation: 'GMT',
          elevation: 38,
          hourly_units: { time: 'iso8601', temperature_2m: '°C', precipitation: 'mm', wind_speed_10m: 'km/h' },
          hourly: { time: ['2026-11-25T00:00', '2026-11-25T01:00'], temperature_2m: [3.1, 2.8], precipitation: [0, 0.1], wind_speed_10m: [7.2, 6.5] },
        });
      },
      '/oauth/token': async (req, res, url) => { record(req, url); await readBody(req); json(res, 200, { access_token: 'cms-access-token-1', token_type: 'Bearer', expires_in: 300 }); },
      '/jsonapi/node/article': (req, res, url) => {
        record(req, url);
        const offset = Number(url.searchParams.get('page[offset]') ?? 0);
        const data = [0, 1].map((i) => ({ type: 'node--article', id: `a-${offset + i}`, attributes: { title: `Article ${offset + i}`, changed: '2026-11-20T00:00:00+00:00' } }));
        const links: any = { self: { href: `${api.url}${url.pathname}${url.search}` } };
        if (offset === 0) links.next = { href: `${api.url}/jsonapi/node/article?page%5Blimit%5D=2&page%5Boffset%5D=2&sort=changed` };
        json(res, 200, { jsonapi: { version: '1.0' }, data, links });
      },
      '/products': (req, res, url) => {
        record(req, url);
        const skip = Number(url.searchParams.get('skip'));
        const limit = Number(url.searchParams.get('limit'));
        json(res, 200, { products: products.slice(skip, skip + limit), total: products.length, skip, limit });
      },
      '/services/data/v60.0/jobs/query': async (req, res, url) => {
        record(req, url);
        const body = JSON.parse(await readBody(req));
        json(res, 200, { id: '750R0000000zlh9IAA', operation: 'query', object: 'Account', state: 'UploadComplete', query: body.query });
      },
      '/services/data/v60.0/jobs/query/*': (req, res, url) => {
        record(req, url);
        if (url.pathname.endsWith('/results')) {
          const second = url.searchParams.get('locator') === 'MTAwMDA';
          res.writeHead(200, { 'content-type': 'text/csv', 'sforce-locator': second ? 'null' : 'MTAwMDA', 'sforce-numberofrecords': '2' });
          return res.end(second
            ? '"Id","Name","Industry","SystemModstamp"\n"001C","Initech","Software","2026-02-03T10:00:00.000Z"\n"001D","Umbrella","","2026-02-04T10:00:00.000Z"\n'
            : '"Id","Name","Industry","SystemModstamp"\n"001A","Acme","Retail","2026-02-01T10:00:00.000Z"\n"001B","Globex, Inc.","Energy","2026-02-02T10:00:00.000Z"\n');
        }
        return json(res, 200, { id: '750R0000000zlh9IAA', state: 'JobComplete', numberRecordsProcessed: 4 });
      },
      '/api/v2/login': async (req, res, url) => {
        record(req, url);
        const body = JSON.parse(await readBody(req));
        if (body.password !== 'helpdesk-pw-1') return json(res, 403, { error: 'bad login' });
        return json(res, 200, { session: { id: 'helpdesk-session-1', expires_in: 1800 } });
      },
      '/api/v2/tickets': (req, res, url) => {
        record(req, url);
        if (req.headers['x-session'] !== 'helpdesk-session-1') return json(res, 401, { error: 'no session' });
        const page = Number(url.searchParams.get('page'));
        const tickets = Array.from({ length: page === 1 ? 100 : 40 }, (_, i) => ({ id: (page - 1) * 100 + i, subject: 'printer' }));
        return json(res, 200, { tickets, page });
      },
      '/api/v2/orders': (req, res, url) => {
        record(req, url);
        const since = Date.parse(url.searchParams.get('updated_since')!);
        const page = Number(url.searchParams.get('page'));
        const matching = orders.filter((o) => Date.parse(o.updated_at) >= since);
        json(res, 200, { orders: matching.slice((page - 1) * 100, page * 100) });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { log.length = 0; });

  test('GitHub issues: Link header, bearer token, partitions per repository, since cursor, selected fields', async () => {
    const { summary, sink } = await runSpec(loadExample('github-issues.json', api.url), { secrets: SECRETS });
    expect(summary).toMatchObject({ status: 'succeeded', partitions: 2, pages: 4, recordsFetched: 6 });
    expect(log.every((r) => r.headers.authorization === 'Bearer ghp_exampletoken000111222')).toBe(true);
    expect(log.filter((r) => r.query.get('since') === '2025-12-31T23:55:00.000Z')).toHaveLength(2);
    expect(sink.records[0]).toEqual({
      id: 1001,
      number: 1,
      title: 'aws/aws-cdk issue 1',
      state: 'open',
      user: { login: 'user1' },
      labels: [{ id: 7, name: 'bug', color: 'd73a4a' }],
      created_at: '2025-12-01T00:00:00Z',
      updated_at: '2026-02-01T10:00:00Z',
      closed_at: null,
    });
  });

  test('Stripe charges: has_more and starting_after from the last item', async () => {
    const runTime = new Date('2026-11-25T00:00:00Z');
    const { summary, sink } = await runSpec(loadExample('stripe-charges.json', api.url), { secrets: SECRETS, runTime });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 3 });
    expect(sink.records.map((c) => c.id)).toEqual(charges.map((c) => c.id));
    expect(log.map((r) => r.query.get('starting_after'))).toEqual([null, 'ch_3Mt1', 'ch_3Mt3']);
    expect(log[0].query.get('created[gte]')).toBe(String(runTime.getTime() / 1000 - 86400));
    expect(log[0].headers.authorization).toBe('Bearer sk_test_51Hexample');
  });

  test('Open-Meteo forecast: one whole-object record per city', async () => {
    const { summary, sink } = await runSpec(loadExample('open-meteo-forecast.json', api.url));
    expect(summary).toMatchObject({ status: 'succeeded', partitions: 3, recordsFetched: 3 });
    expect(sink.envelopes.map((e) => [e.partition!.city, (e.record as any).latitude])).toEqual(expect.arrayContaining([['Seoul', 37.57], ['Busan', 35.18], ['Berlin', 52.52]]));
  });

  test('JSON:API articles: links.next.href, OAuth2 client credentials', async () => {
    const { summary, sink } = await runSpec(loadExample('jsonapi-articles.json', api.url), { secrets: SECRETS });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 2, recordsFetched: 4 });
    expect(sink.records.map((a) => a.id)).toEqual(['a-0', 'a-1', 'a-2', 'a-3']);
    expect(log.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
  });

  test('products: offset/limit until the total is reached', async () => {
    const { summary, sink } = await runSpec(loadExample('products-offset.json', api.url), { secrets: SECRETS });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 3, recordsFetched: 75 });
    expect(log.map((r) => r.query.get('skip'))).toEqual(['0', '30', '60']);
    expect(log[0].headers['x-api-key']).toBe('catalog-api-key-123');
    expect(Object.keys(sink.records[0]).sort()).toEqual(['category', 'id', 'price', 'stock', 'title']);
  });

  test('orders updated since the cursor: short page ends it, the next run starts at the cursor minus lookback', async () => {
    const state = new MemoryStateStore();
    const first = await runSpec(loadExample('orders-updated-since.json', api.url), { secrets: SECRETS, state });
    expect(first.summary).toMatchObject({ status: 'succeeded', pages: 2, recordsFetched: 150 });
    expect(log[0].headers.authorization).toBe(`Basic ${Buffer.from('ingest:shop-password-1').toString('base64')}`);
    log.length = 0;
    const second = await runSpec(loadExample('orders-updated-since.json', api.url), { secrets: SECRETS, state });
    // The last order was updated at 02:29; the lookback of 10 minutes re-reads from 02:19.
    expect(log[0].query.get('updated_since')).toBe('2026-02-01T02:19:00.000Z');
    expect(second.summary.recordsFetched).toBe(11);
  });

  test('helpdesk tickets: one login with the secret, the session in X-Session on every page, a short page ends it', async () => {
    const { summary, sink } = await runSpec(loadExample('session-token.json', api.url), { secrets: SECRETS });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 2, recordsFetched: 140 });
    expect(log.map((r) => r.path)).toEqual(['/api/v2/login', '/api/v2/tickets', '/api/v2/tickets']);
    expect(log.slice(1).every((r) => r.headers['x-session'] === 'helpdesk-session-1')).toBe(true);
    expect(sink.records[139]).toEqual({ id: 139, subject: 'printer' });
  });

  test('Salesforce Bulk API 2.0: a query job with the cursor in its SOQL, CSV results paged by Sforce-Locator, the cursor after both parts', async () => {
    const state = new MemoryStateStore();
    const { summary, sink } = await runSpec(loadExample('salesforce-bulk-export.json', api.url), { secrets: SECRETS, state });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 2, recordsFetched: 4 });
    expect(log.map((r) => `${r.path}${r.query.get('locator') ? `?locator=${r.query.get('locator')}` : ''}`)).toEqual([
      '/services/data/v60.0/jobs/query',
      '/services/data/v60.0/jobs/query/750R0000000zlh9IAA',
      '/services/data/v60.0/jobs/query/750R0000000zlh9IAA/results',
      '/services/data/v60.0/jobs/query/750R0000000zlh9IAA/results?locator=MTAwMDA',
    ]);
    expect(log.every((r) => r.headers.authorization === 'Bearer 00Dxx0000001gPL!AQ4AQexample')).toBe(true);
    expect(sink.records[1]).toEqual({ Id: '001B', Name: 'Globex, Inc.', Industry: 'Energy', SystemModstamp: '2026-02-02T10:00:00.000Z' });
    expect(await state.getCursor('salesforce-accounts', '-')).toBe('2026-02-04T10:00:00.000Z');
  });
});
