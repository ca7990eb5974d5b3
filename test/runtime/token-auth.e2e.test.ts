/**
 * Token-fetching auth through the bundled poller Lambda, with its secrets in Secrets Manager (moto):
 * a refresh token the provider rotates is written back to the secret as a compare-and-set, and a
 * session login's token is used and renewed. Also the Secrets Manager store's compare itself.
 */
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiSource, ApiToFirehoseIngestion, Auth, OAuth2ClientAuthentication, Pagination, Records } from '../../src';
import { secretsManagerRotatingStore } from '../../src/runtime/secrets/rotating-secret-stores';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { readBody } from '../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, drainQueue, motoEndpoint, pollerEnv, readAllObjects, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const CLIENT = { client_id: 'qb-client-7c1e', client_secret: 'qb-secret-3f9a0d' };

function secretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

async function createSecret(prefix: string, value: unknown): Promise<string> {
  const { ARN } = await secretsClient().send(new CreateSecretCommand({ Name: `${prefix}-${Date.now()}`, SecretString: JSON.stringify(value) }));
  return ARN!;
}

async function secretJson(arn: string): Promise<Record<string, string>> {
  const { SecretString } = await secretsClient().send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
  return JSON.parse(SecretString!);
}

describe('Secrets Manager store for rotated refresh tokens (moto)', () => {
  const config = { endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };

  test('replace makes the new value current when the version read is still current, and refuses otherwise', async () => {
    const arn = await createSecret('rotating', { refresh_token: 'r0' });
    const store = secretsManagerRotatingStore(config);
    const read = await store.current(arn);
    expect(await store.replace(arn, read.versionId, JSON.stringify({ refresh_token: 'r1' }))).toBe(true);
    expect(await secretJson(arn)).toEqual({ refresh_token: 'r1' });
    // A second writer that read r0's version too: its write is refused, r1 stays current.
    expect(await store.replace(arn, read.versionId, JSON.stringify({ refresh_token: 'r1-other' }))).toBe(false);
    expect(await secretJson(arn)).toEqual({ refresh_token: 'r1' });
    expect((await store.current(arn)).versionId).not.toBe(read.versionId);
  });
});

describe('bundled poller Lambda: auth that fetches a token first', () => {
  let api: LoopbackApi;
  let valid = 'refresh-0';
  let issued = 0;
  let tokenForms: URLSearchParams[] = [];
  let logins = 0;
  beforeAll(async () => {
    api = await startLoopbackApi({
      // QuickBooks-style: each refresh retires the token it used and answers with the next one.
      '/oauth2/v1/tokens/bearer': async (req, res) => {
        const form = new URLSearchParams(await readBody(req));
        tokenForms.push(form);
        if (form.get('refresh_token') !== valid) return json(res, 400, { error: 'invalid_grant' });
        issued += 1;
        valid = `refresh-${issued}`;
        return json(res, 200, { access_token: `access-${issued}`, refresh_token: valid, expires_in: 3600, x_refresh_token_expires_in: 8726400 });
      },
      '/v3/company/1/query': (req, res) => {
        if (req.headers.authorization !== `Bearer access-${issued}`) return json(res, 401, { fault: 'AuthenticationFailed' });
        return json(res, 200, { QueryResponse: { Invoice: [{ Id: '1' }, { Id: '2' }] } });
      },
      '/rest/login': (_req, res) => { logins += 1; json(res, 200, { sessionId: `sess-${logins}`, expiresIn: 3600 }); },
      '/rest/tickets': (req, res, url) => {
        if (req.headers['x-session'] !== `sess-${logins}`) return json(res, 401, { error: 'invalid session' });
        const page = Number(url.searchParams.get('page'));
        return json(res, 200, { tickets: page <= 2 ? [{ id: `t${page}` }] : [] });
      },
    });
  });
  afterAll(() => api.close());

  test('refresh-token grant: the rotated token is in Secrets Manager after the run, and the next run uses it', async () => {
    valid = 'refresh-0';
    issued = 0;
    tokenForms = [];
    const arn = await createSecret('quickbooks', { ...CLIENT, refresh_token: 'refresh-0' });
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Invoices', {
      feedName: 'invoices',
      source: ApiSource.http({
        url: `${api.url}/v3/company/1/query`,
        auth: Auth.oauth2RefreshToken({
          tokenUrl: `${api.url}/oauth2/v1/tokens/bearer`,
          secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Qb', arn),
          clientAuthentication: OAuth2ClientAuthentication.REQUEST_BODY,
        }),
        records: Records.at('QueryResponse.Invoice'),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const template = templateOf(stack);
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0];
    const resources = await createFeedResources();
    const first = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T05:00:00Z', 'exec-qb-1'), pollerEnv(resources));
    expect(first.result).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
    expect(await secretJson(arn)).toEqual({ ...CLIENT, refresh_token: 'refresh-1' });
    expect(Object.fromEntries(tokenForms[0])).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-0', ...CLIENT });

    const second = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T06:00:00Z', 'exec-qb-2'), pollerEnv(resources));
    expect(second.result).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
    expect(await secretJson(arn)).toEqual({ ...CLIENT, refresh_token: 'refresh-2' });
    for (const text of [first.logs, second.logs, JSON.stringify(first.result), JSON.stringify(second.result)]) {
      for (const secret of [CLIENT.client_secret, 'refresh-0', 'refresh-1', 'refresh-2', 'access-1', 'access-2']) expect(text).not.toContain(secret);
    }
  });

  test('a token endpoint that refuses the client: the invocation fails naming the token URL, and the dead letter is the token request', async () => {
    const arn = await createSecret('refused', { ...CLIENT, refresh_token: 'not-the-valid-one' });
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Refused', {
      feedName: 'refused',
      source: ApiSource.http({
        url: `${api.url}/v3/company/1/query`,
        auth: Auth.oauth2RefreshToken({ tokenUrl: `${api.url}/oauth2/v1/tokens/bearer`, secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Qb', arn) }),
        records: Records.at('QueryResponse.Invoice'),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    const resources = await createFeedResources();
    api.requests.length = 0;
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T05:00:00Z', 'exec-refused'), pollerEnv(resources));
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain(`the OAuth2 token request to ${api.url}/oauth2/v1/tokens/bearer failed, so no data request was sent`);
    expect(api.requests.filter((r) => r.path.startsWith('/v3/'))).toHaveLength(0);
    const letters = await drainQueue(resources.queueUrl);
    expect(letters).toEqual([expect.objectContaining({ kind: 'request', request: { method: 'POST', url: `${api.url}/oauth2/v1/tokens/bearer` } })]);
    expect(JSON.stringify(letters) + outcome.logs).not.toContain(CLIENT.client_secret);
  });

  test('session token: a login, then every page with its token in the declared header', async () => {
    logins = 0;
    const arn = await createSecret('helpdesk', { user: 'ingest', pass: 'pw-91be' });
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Tickets', {
      feedName: 'tickets',
      source: ApiSource.http({
        url: `${api.url}/rest/tickets`,
        auth: Auth.sessionToken({
          loginUrl: `${api.url}/rest/login`,
          secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Login', arn),
          tokenPath: 'sessionId',
          expiresInPath: 'expiresIn',
          sendInHeader: 'X-Session',
        }),
        pagination: Pagination.pageNumber({ param: 'page' }),
        records: Records.at('tickets'),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    const resources = await createFeedResources();
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T05:00:00Z', 'exec-tickets'), pollerEnv(resources));
    expect(outcome.result).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
    expect(logins).toBe(1);
    const lines = [...(await readAllObjects(resources.bucketName)).values()].join('').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).record.id)).toEqual(['t1', 't2']);
    expect(outcome.logs).not.toContain('sess-1');
    expect(outcome.logs).not.toContain('pw-91be');
  });
});
