/**
 * Auth that fetches a token first, against loopback providers that behave as their documents say:
 * client authentication in the form body (dlt's default, Auth0 with `audience`), a refresh-token
 * provider that rotates its refresh token on each use and refuses the old one with
 * `invalid_grant` (QuickBooks, Xero past its grace period), and a session login.
 */
import { baseSpec, CollectingDeadLetters, readBody, runSpec } from '../../helpers/engine-harness';
import { FakeClock } from '../../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { MemoryRotatingSecrets } from '../../helpers/memory-rotating-secrets';

const CLIENT = { client_id: 'client-abc123', client_secret: 'shh-client-secret-9876' };

describe('OAuth2 token requests', () => {
  let api: LoopbackApi;
  let tokenRequests: Array<{ authorization?: string; form: URLSearchParams }> = [];
  let tokenStatus = 200;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/oauth/token': async (req, res) => {
        tokenRequests.push({ authorization: req.headers.authorization, form: new URLSearchParams(await readBody(req)) });
        if (tokenStatus !== 200) {
          json(res, tokenStatus, { error: 'invalid_client', error_description: 'client authentication failed' });
          return;
        }
        json(res, 200, { access_token: 'body-auth-token-1', token_type: 'bearer', expires_in: 3600 });
      },
      '/items': (req, res) => json(res, 200, { data: [{ auth: req.headers.authorization }] }),
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { tokenRequests = []; tokenStatus = 200; api.requests.length = 0; });

  const spec = (auth: Record<string, unknown>) => baseSpec(`${api.url}/items`, {
    auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, secret: { arn: 'arn:secret:oauth' }, ...auth } as any,
  });
  const secrets = { 'arn:secret:oauth': JSON.stringify(CLIENT) };

  test('clientAuth "body": client_id and client_secret in the form, no Authorization header; tokenParams sent', async () => {
    const { summary, sink, logText } = await runSpec(spec({ clientAuth: 'body', tokenParams: { audience: 'https://api.example.com/', resource: 'urn:items' } }), { secrets });
    expect(summary.status).toBe('succeeded');
    expect(sink.records).toEqual([{ auth: 'Bearer body-auth-token-1' }]);
    expect(tokenRequests).toHaveLength(1);
    const [{ authorization, form }] = tokenRequests;
    expect(authorization).toBeUndefined();
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT.client_id,
      client_secret: CLIENT.client_secret,
      audience: 'https://api.example.com/',
      resource: 'urn:items',
    });
    expect(logText).not.toContain(CLIENT.client_secret);
  });

  test('a token endpoint that refuses the client: the error names the token URL, no data request is sent, no 401 retry', async () => {
    tokenStatus = 401;
    const deadLetters = new CollectingDeadLetters();
    const { summary, logText } = await runSpec(spec({}), { secrets, deadLetters });
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toContain(`the OAuth2 token request to ${api.url}/oauth/token failed, so no data request was sent`);
    expect(summary.failures[0].error).toContain('answered HTTP 401');
    expect(api.requests.filter((r) => r.path.startsWith('/items'))).toHaveLength(0);
    // A refused client is not "a token that expired early": one token request only.
    expect(tokenRequests).toHaveLength(1);
    expect(deadLetters.requests[0].request).toEqual({ method: 'POST', url: `${api.url}/oauth/token` });
    expect(logText).not.toContain(CLIENT.client_secret);
    expect(logText).not.toContain(Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64'));
  });
});

describe('OAuth2 refresh-token grant with rotation', () => {
  let api: LoopbackApi;
  /** The one refresh token the provider accepts now; each use retires it and issues the next. */
  let valid = 'refresh-0';
  let issued = 0;
  let refreshes: string[] = [];
  /** The provider's answer to a refresh token it does not accept (RFC 6749 section 5.2). */
  let refusal: Record<string, string> = { error: 'invalid_grant' };
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/connect/token': async (req, res) => {
        const form = new URLSearchParams(await readBody(req));
        refreshes.push(form.get('refresh_token') ?? '');
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== valid) {
          json(res, 400, refusal);
          return;
        }
        issued += 1;
        valid = `refresh-${issued}`;
        json(res, 200, { access_token: `access-${issued}`, refresh_token: valid, expires_in: 1800, token_type: 'Bearer' });
      },
      '/invoices': (req, res) => {
        if (!/^Bearer access-\d+$/.test(req.headers.authorization ?? '')) return json(res, 401, { error: 'unauthorized' });
        return json(res, 200, { data: [{ id: 1, auth: req.headers.authorization }] });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { valid = 'refresh-0'; issued = 0; refreshes = []; refusal = { error: 'invalid_grant' }; api.requests.length = 0; });

  const spec = () => baseSpec(`${api.url}/invoices`, {
    auth: { type: 'oauth2RefreshToken', tokenUrl: `${api.url}/connect/token`, secret: { arn: 'arn:secret:xero' } },
  });
  const store = () => new MemoryRotatingSecrets({ 'arn:secret:xero': JSON.stringify({ ...CLIENT, refresh_token: 'refresh-0' }) });

  test('the rotated refresh token is written back, and the next run uses it', async () => {
    const secrets = store();
    const first = await runSpec(spec(), { rotatingSecrets: secrets });
    expect(first.summary.status).toBe('succeeded');
    expect(secrets.json('arn:secret:xero')).toEqual({ ...CLIENT, refresh_token: 'refresh-1' });
    const second = await runSpec(spec(), { rotatingSecrets: secrets });
    expect(second.summary.status).toBe('succeeded');
    expect(second.sink.records[0].auth).toBe('Bearer access-2');
    expect(refreshes).toEqual(['refresh-0', 'refresh-1']);
    for (const text of [first.logText, second.logText]) {
      for (const secret of ['refresh-0', 'refresh-1', 'refresh-2', 'access-1', 'access-2', CLIENT.client_secret]) expect(text).not.toContain(secret);
    }
  });

  test('two runs at once: the one refused with invalid_grant reads the rotated token and refreshes with it; the token kept is the valid one', async () => {
    const secrets = store();
    const [a, b] = await Promise.all([runSpec(spec(), { rotatingSecrets: secrets }), runSpec(spec(), { rotatingSecrets: secrets })]);
    expect([a.summary.status, b.summary.status]).toEqual(['succeeded', 'succeeded']);
    expect(refreshes).toEqual(['refresh-0', 'refresh-0', 'refresh-1']);
    expect(secrets.json('arn:secret:xero').refresh_token).toBe(valid);
  });

  test('only the provider\'s invalid_grant code is read as "rotated by another run": a refused client whose description mentions it is not refreshed again', async () => {
    refusal = { error: 'invalid_client', error_description: 'client secret expired (this is not an invalid_grant)' };
    const secrets = store();
    const [a, b] = await Promise.all([runSpec(spec(), { rotatingSecrets: secrets }), runSpec(spec(), { rotatingSecrets: secrets })]);
    expect([a.summary.status, b.summary.status].sort()).toEqual(['failed', 'succeeded']);
    // The refused run sent its one token request and stopped: no second refresh with the rotated token.
    expect(refreshes).toEqual(['refresh-0', 'refresh-0']);
    const failed = [a, b].find((run) => run.summary.status === 'failed')!;
    expect(failed.summary.failures[0].error).toContain('answered HTTP 400');
    expect(secrets.json('arn:secret:xero').refresh_token).toBe(valid);
  });

  test('a rotated token that cannot be saved fails the run before any data request, naming the secret', async () => {
    const secrets = store();
    secrets.failNextWrite = new Error('AccessDeniedException: not authorized to perform secretsmanager:PutSecretValue');
    const { summary } = await runSpec(spec(), { rotatingSecrets: secrets });
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toMatch(/^the provider rotated the refresh token but it could not be saved to secret arn:secret:xero/);
    expect(api.requests.filter((r) => r.path.startsWith('/invoices'))).toHaveLength(0);
  });
});

describe('session token from a login request', () => {
  let api: LoopbackApi;
  let logins: Array<{ contentType?: string; body: string }> = [];
  let session = 0;
  let revoke: string | undefined;
  const clock = new FakeClock();
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/api/login': async (req, res) => {
        logins.push({ contentType: req.headers['content-type'], body: await readBody(req) });
        session += 1;
        res.setHeader('x-session-token', `hdr-session-${session}`);
        json(res, 200, { data: { token: `session-${session}` }, expires_in: 900 });
      },
      '/api/records': (req, res, url) => {
        const token = req.headers['x-auth-token'] ?? url.searchParams.get('session');
        if (token === undefined || token === null || token === revoke) return json(res, 401, { error: 'session expired' });
        const page = Number(url.searchParams.get('page'));
        // Ten minutes pass between pages: the 15-minute session must be renewed before page 3.
        clock.advance(10 * 60_000);
        return json(res, 200, { data: page <= 3 ? [{ page, token }] : [] });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { logins = []; session = 0; revoke = undefined; });

  const secrets = { 'arn:secret:login': JSON.stringify({ username: 'ingest', password: 'pw-5d1c9e7a' }) };
  const spec = (overrides: Record<string, unknown> = {}) => baseSpec(`${api.url}/api/records`, {
    pagination: { type: 'pageNumber', param: 'page' },
    auth: {
      type: 'sessionToken',
      login: { url: `${api.url}/api/login`, token: { path: 'data.token' }, expiresInPath: 'expires_in' },
      secret: { arn: 'arn:secret:login' },
      send: { in: 'header', name: 'X-Auth-Token' },
      ...overrides,
    } as any,
  });

  test('logs in with the secret as JSON, sends the token, and logs in again when it expires', async () => {
    const { summary, sink, logText } = await runSpec(spec(), { secrets, clock });
    expect(summary.status).toBe('succeeded');
    expect(sink.records.map((r) => r.token)).toEqual(['session-1', 'session-1', 'session-2']);
    expect(logins).toHaveLength(2);
    expect(logins[0]).toEqual({ contentType: 'application/json', body: JSON.stringify({ username: 'ingest', password: 'pw-5d1c9e7a' }) });
    for (const secret of ['pw-5d1c9e7a', 'session-1', 'session-2']) expect(logText).not.toContain(secret);
  });

  test('a 401 logs in again once; a token from a login header, sent as a query parameter, form login', async () => {
    revoke = 'hdr-session-1';
    const { summary, sink, logText } = await runSpec(spec({
      login: { url: `${api.url}/api/login`, token: { header: 'X-Session-Token' }, format: 'form' },
      send: { in: 'query', name: 'session' },
    }), { secrets, clock });
    expect(summary.status).toBe('succeeded');
    expect(sink.records.map((r) => r.token)).toEqual(['hdr-session-2', 'hdr-session-2', 'hdr-session-2']);
    expect(logins.map((l) => l.body)).toEqual(['username=ingest&password=pw-5d1c9e7a', 'username=ingest&password=pw-5d1c9e7a']);
    expect(logins[0].contentType).toBe('application/x-www-form-urlencoded');
    expect(logText).not.toContain('hdr-session-2');
    expect(sink.envelopes[0].source_url).not.toContain('hdr-session');
  });

  test('a login answer without the token names the login URL and the field', async () => {
    const { summary } = await runSpec(spec({ login: { url: `${api.url}/api/login`, token: { path: 'token' } } }), { secrets, clock });
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toBe(`the login endpoint ${api.url}/api/login answered without a token in its field "token"`);
  });
});
