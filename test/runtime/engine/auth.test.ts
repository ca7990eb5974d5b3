import { baseSpec, readBody, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const API_KEY = 'key-7f3a9c2e51d84b6f';
const TOKEN = 'tok-2b8e4d1f9a7c3e65';
const CLIENT = { client_id: 'client-abc123', client_secret: 'shh-client-secret-9876' };

describe('auth', () => {
  let api: LoopbackApi;
  let tokenRequests: Array<{ authorization?: string; body: string }> = [];
  let issued = 0;
  let revokeNext = false;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/items': (req, res, url) => {
        json(res, 200, { data: [{ auth: req.headers.authorization ?? null, key: req.headers['x-api-key'] ?? url.searchParams.get('api_key') }] });
      },
      '/oauth/token': async (req, res) => {
        tokenRequests.push({ authorization: req.headers.authorization, body: await readBody(req) });
        issued += 1;
        json(res, 200, { access_token: `oauth-token-${issued}-xyz`, token_type: 'bearer', expires_in: 3600 });
      },
      '/protected': (req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        if (revokeNext && req.headers.authorization === 'Bearer oauth-token-1-xyz') {
          json(res, 401, { error: 'token revoked' });
          return;
        }
        json(res, 200, { data: page <= 3 ? [{ page, auth: req.headers.authorization }] : [] });
      },
      '/always-401': (_req, res) => json(res, 401, { error: `invalid key ${API_KEY}` }),
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { tokenRequests = []; issued = 0; revokeNext = false; });

  test('none: no credentials are sent', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/items`));
    expect(sink.records).toEqual([{ auth: null, key: null }]);
  });

  test('API key in a header, read from a field of a JSON secret', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/items`, {
      auth: { type: 'apiKey', in: 'header', name: 'X-Api-Key', secret: { arn: 'arn:secret:api', field: 'key' } },
    }), { secrets: { 'arn:secret:api': JSON.stringify({ key: API_KEY }) } });
    expect(sink.records[0].key).toBe(API_KEY);
  });

  test('API key in the query; the key never appears in the envelope\'s source URL', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/items`, {
      auth: { type: 'apiKey', in: 'query', name: 'api_key', secret: { arn: 'arn:secret:api' } },
    }), { secrets: { 'arn:secret:api': API_KEY } });
    expect(sink.records[0].key).toBe(API_KEY);
    expect(sink.envelopes[0].source_url).toBe(`${api.url}/items`);
  });

  test('bearer token', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/items`, { auth: { type: 'bearer', secret: { arn: 'arn:secret:tok' } } }),
      { secrets: { 'arn:secret:tok': TOKEN } });
    expect(sink.records[0].auth).toBe(`Bearer ${TOKEN}`);
  });

  test('HTTP basic from a JSON secret with username and password', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/items`, { auth: { type: 'basic', secret: { arn: 'arn:secret:basic' } } }),
      { secrets: { 'arn:secret:basic': JSON.stringify({ username: 'ingest', password: 'p4ssw0rd-long' }) } });
    expect(sink.records[0].auth).toBe(`Basic ${Buffer.from('ingest:p4ssw0rd-long').toString('base64')}`);
  });

  const oauthSpec = () => baseSpec(`${api.url}/protected`, {
    request: { url: `${api.url}/protected` },
    auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, scopes: ['read:items', 'read:users'], secret: { arn: 'arn:secret:oauth' } },
    pagination: { type: 'pageNumber', param: 'page' },
  });

  test('OAuth2 client credentials: one token request, cached for every page', async () => {
    const { sink, summary } = await runSpec(oauthSpec(), { secrets: { 'arn:secret:oauth': JSON.stringify(CLIENT) } });
    expect(summary.status).toBe('succeeded');
    expect(sink.records.map((r) => r.auth)).toEqual(Array(3).fill('Bearer oauth-token-1-xyz'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0].authorization).toBe(`Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`);
    expect(new URLSearchParams(tokenRequests[0].body).get('grant_type')).toBe('client_credentials');
    expect(new URLSearchParams(tokenRequests[0].body).get('scope')).toBe('read:items read:users');
  });

  test('OAuth2: a 401 fetches a new token once and the request is repeated', async () => {
    revokeNext = true;
    const { sink, summary, logs } = await runSpec(oauthSpec(), { secrets: { 'arn:secret:oauth': JSON.stringify(CLIENT) } });
    expect(summary.status).toBe('succeeded');
    expect(tokenRequests).toHaveLength(2);
    expect(sink.records.map((r) => r.auth)).toEqual(Array(3).fill('Bearer oauth-token-2-xyz'));
    expect(logs.some((l) => l.message.startsWith('401 Unauthorized: refreshing credentials'))).toBe(true);
  });

  test('a 401 with a static key is not retried, and the key is redacted from the error and logs', async () => {
    const { summary, logText } = await runSpec(baseSpec(`${api.url}/always-401`, {
      auth: { type: 'apiKey', in: 'query', name: 'api_key', secret: { arn: 'arn:secret:api' } },
    }), { secrets: { 'arn:secret:api': API_KEY } });
    expect(summary.status).toBe('failed');
    expect(summary.requests).toBe(1);
    expect(summary.failures[0].error).toMatch(/answered HTTP 401/);
    expect(summary.failures[0].error).toContain('[REDACTED]');
    expect(logText).not.toContain(API_KEY);
  });

  test('OAuth2 client secret and tokens never appear in logs or the summary', async () => {
    revokeNext = true;
    const { logText } = await runSpec(oauthSpec(), { secrets: { 'arn:secret:oauth': JSON.stringify(CLIENT) } });
    for (const secret of [CLIENT.client_secret, 'oauth-token-1-xyz', 'oauth-token-2-xyz']) {
      expect(logText).not.toContain(secret);
    }
  });

  test('a missing secret field is an error that names the field, not the value', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/items`, {
      auth: { type: 'bearer', secret: { arn: 'arn:secret:json', field: 'token' } },
    }), { secrets: { 'arn:secret:json': JSON.stringify({ other: 'value-not-to-show' }) } });
    expect(summary.failures[0].error).toBe('secret arn:secret:json has no string field "token"');
  });
});
