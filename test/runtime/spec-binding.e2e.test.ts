/**
 * The deployed poller runs only the spec its construct wrote: the bundled handler with the
 * environment the construct synthesized (resolved as CloudFormation would) accepts the schedule's
 * event, and refuses, before any request, an event whose spec points elsewhere: another host for
 * the feed's credentials, or another secret in place of a deploy-time one.
 */
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiSource, ApiToFirehoseIngestion, Auth, Records } from '../../src';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, pollerEnv } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

/** Fn::Join and Ref as CloudFormation resolves them, with the given physical values for Refs. */
function resolve(value: any, refs: Record<string, string>): any {
  if (typeof value === 'string') return value;
  if (value?.Ref !== undefined) return refs[value.Ref] ?? `resolved-${value.Ref}`;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map((part: any) => resolve(part, refs)).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

describe('bundled poller Lambda: bound to its deployed spec', () => {
  let api: LoopbackApi;
  let elsewhere: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/v1/prices': (_req, res) => json(res, 200, { data: [{ sku: 'a', price: 1 }] }) });
    elsewhere = await startLoopbackApi({ '/*': (_req, res) => json(res, 200, { data: [] }) });
  });
  afterAll(async () => { await api.close(); await elsewhere.close(); });

  function deployed(secret: (stack: any) => secretsmanager.ISecret, refs: Record<string, string>) {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      source: ApiSource.http({
        url: `${api.url}/v1/prices`,
        auth: Auth.apiKeyHeader('X-Api-Key', secret(stack)),
        records: Records.at('data'),
        limits: { allowPrivateAddresses: true },
      }),
    });
    const template = templateOf(stack);
    const schedule = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'))[0];
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.FEED_SPEC_SHA256 !== undefined);
    const bound = Object.fromEntries(Object.entries<any>(fn.Properties.Environment.Variables)
      .filter(([name]) => name.startsWith('FEED_SPEC_')).map(([name, value]) => [name, resolve(value, refs)]));
    return { input: resolve(schedule.Properties.Target.Input, refs), bound };
  }

  test('a spec with a literal secret ARN: the schedule\'s event runs; the same event aimed at another host is refused before any request', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prices-key-AbCdEf';
    const { input, bound } = deployed((stack) => secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', arn), {});
    expect(Object.keys(bound)).toEqual(['FEED_SPEC_SHA256']);
    const resources = await createFeedResources();
    const env = { ...pollerEnv(resources), ...bound };
    const event = asScheduled(input, '2026-12-07T06:00:00Z', 'exec-bound') as any;

    const hijacked = { ...event, spec: { ...event.spec, request: { ...event.spec.request, url: `${elsewhere.url}/collect` } } };
    const refused = await invokeBundledHandler(hijacked, env);
    expect(refused.ok).toBe(false);
    expect(refused.error).toEqual({
      name: 'SpecMismatchError',
      message: 'refused: the spec is not the one this poller was deployed with (its SHA-256 differs); this poller runs only its feed\'s deployed spec (runs on demand choose among its partitions)',
    });
    expect(elsewhere.requests).toHaveLength(0);

    // The schedule's own event passes the check (and reaches the secret, which this test did not create).
    const own = await invokeBundledHandler(event, env);
    expect(own.error?.name).not.toBe('SpecMismatchError');
  });

  test('a spec with a deploy-time secret ARN: its deployed value is checked too; the event may not swap in another secret', async () => {
    const refs = { PricesKeyB2A0C1D3: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prices-key-XyZ123' };
    const { input, bound } = deployed((stack) => new secretsmanager.Secret(stack, 'PricesKey'), new Proxy(refs, {
      get: (target, ref: string) => (ref.startsWith('PricesKey') ? target.PricesKeyB2A0C1D3 : undefined),
    }));
    expect(JSON.parse(bound.FEED_SPEC_TOKEN_PATHS)).toEqual([['auth', 'secret', 'arn']]);
    expect(JSON.parse(bound.FEED_SPEC_TOKEN_VALUES)).toEqual(['arn:aws:secretsmanager:us-east-1:123456789012:secret:prices-key-XyZ123']);
    const resources = await createFeedResources();
    const env = { ...pollerEnv(resources), ...bound };
    const event = asScheduled(input, '2026-12-07T06:00:00Z', 'exec-token') as any;
    const swapped = { ...event, spec: { ...event.spec, auth: { ...event.spec.auth, secret: { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-team-Q1w2E3' } } } };
    const refused = await invokeBundledHandler(swapped, env);
    expect(refused.error?.message).toMatch(/^refused: spec\.auth\.secret\.arn is not the value this poller was deployed with/);
    const own = await invokeBundledHandler(event, env);
    expect(own.error?.name).not.toBe('SpecMismatchError');
  });
});
