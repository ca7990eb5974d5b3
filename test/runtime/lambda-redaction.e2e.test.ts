/**
 * The bundled poller Lambda with a Basic-auth secret from Secrets Manager (moto), against an API
 * that echoes the credentials it received in its error: the invocation's error, its logs and its
 * dead letters carry none of them, in any form.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiSource, ApiToFirehoseIngestion, Auth, Records } from '../../src';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, drainQueue, motoEndpoint, pollerEnv, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const USER = 'svc-weather';
const PASSWORD = 'tr0ub4dor/&3 ~x';

describe('bundled poller Lambda: credentials never leave it', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      // Refuses, and echoes what it received, as some APIs do in their errors.
      '/v1/observations': (req, res) => json(res, 400, `{"error":"denied","authorization":"${req.headers.authorization}","password":"${PASSWORD.replace(/\//g, '\\/')}"}`),
    });
  });
  afterAll(() => api.close());

  test('basic auth: the error, the logs and the dead letter hold no form of the credential', async () => {
    const secrets = new SecretsManagerClient({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const { ARN } = await secrets.send(new CreateSecretCommand({ Name: `weather-basic-${Date.now()}`, SecretString: JSON.stringify({ username: USER, password: PASSWORD }) }));
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Weather', {
      feedName: 'weather',
      source: ApiSource.http({
        url: `${api.url}/v1/observations`,
        auth: Auth.basic(secretsmanager.Secret.fromSecretCompleteArn(stack, 'Basic', ARN!)),
        records: Records.at('data'),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    const template = JSON.stringify(templateOf(stack).toJSON());
    expect(template).not.toContain(PASSWORD);

    const resources = await createFeedResources();
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-11-25T12:00:00Z', 'exec-secret'), pollerEnv(resources));
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/answered HTTP 400: .*\[REDACTED\]/);
    const letters = await drainQueue(resources.queueUrl);
    expect(letters).toEqual([expect.objectContaining({ kind: 'request', error: expect.stringContaining('[REDACTED]') })]);

    const everything = [outcome.error?.message, outcome.logs, JSON.stringify(letters)].join('\n');
    for (const form of [
      PASSWORD,
      Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
      JSON.stringify(PASSWORD).slice(1, -1).replace(/\//g, '\\/'),
      encodeURIComponent(PASSWORD),
    ]) {
      expect(everything).not.toContain(form);
    }
  });
});
