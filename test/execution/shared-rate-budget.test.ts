/**
 * A request budget for one API host shared by several feeds: what the construct gives each
 * poller (the budget's table in its environment, UpdateItem on the budget's own item only), the
 * mistakes refused at synth, and, at run time, two feeds' pollers (the bundled handler, each in
 * its own process, against moto) taking their slots from one counter.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ApiSource, ApiToFirehoseIngestion, Records, SharedRateBudget } from '../../src';
import { parseFeedSpec } from '../../src/feed-spec/feed-spec';
import { hostRateBudget, POLLER_ENV } from '../../src/feed-spec/poller-contract';
import { runFeed } from '../../src/runtime/engine/engine';
import { RateLimits } from '../../src/runtime/engine/rate-limits';
import { jsonLogger } from '../../src/runtime/logging/json-logger';
import { SecretRedactor } from '../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../../src/runtime/secrets/secret-resolver';
import { DynamoDbRateBudget } from '../../src/runtime/state/dynamodb-rate-budget';
import { MemoryStateStore } from '../../src/runtime/state/memory-state-store';
import { invokeBundledHandler } from '../helpers/bundled-handler';
import { CollectingSink } from '../helpers/engine-harness';
import { FakeClock } from '../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, dynamoDbClient, pollerEnv, serializedDynamoDbClient } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const source = (path: string) => ApiSource.http({ url: `https://api.github.com/${path}`, records: Records.at('items') });

describe('the construct', () => {
  test('each feed\'s poller gets the budget\'s table and may update the budget\'s own item only', () => {
    const stack = testStack();
    const budget = new SharedRateBudget(stack, 'GitHub', { host: 'API.GitHub.com', requestsPerSecond: 10 });
    new ApiToFirehoseIngestion(stack, 'Issues', { source: source('issues'), sharedRateBudgets: [budget] });
    new ApiToFirehoseIngestion(stack, 'Pulls', { source: source('pulls'), sharedRateBudgets: [budget] });
    Validations.of(stack).addPlugins(new AwsSolutionsChecks(stack), new ServerlessChecks(stack));
    expect(() => App.of(stack)!.synth()).not.toThrow();

    const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
    const [tableId] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::DynamoDB::Table' && id.startsWith('GitHub'))!;
    const pollers = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.[POLLER_ENV.sharedRateBudgets]);
    expect(pollers.map(([id]) => id.replace(/Poller.*/, ''))).toEqual(['Issues', 'Pulls']);
    for (const [id, poller] of pollers) {
      expect(poller.Properties.Environment.Variables[POLLER_ENV.sharedRateBudgets]).toEqual({
        'Fn::Join': ['', ['[{"host":"api.github.com","table":"', { Ref: tableId }, '","requestsPerSecond":10}]']],
      });
      const feed = id.replace(/Poller.*/, '');
      const policy = Object.entries(resources).find(([pid, r]) => r.Type === 'AWS::IAM::Policy' && pid.startsWith(`${feed}PollerRoleDefaultPolicy`))![1];
      const onBudget = (policy.Properties.PolicyDocument.Statement as any[]).filter((s) => JSON.stringify(s.Resource).includes(tableId));
      expect(onBudget).toEqual([{
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['host#api.github.com'] } },
      }]);
    }
  });

  test.each([
    ['a budget for a host the feed never calls', () => [new SharedRateBudget(testStack(), 'B', { host: 'api.gitlab.com', requestsPerSecond: 5 })],
      /sharedRateBudgets: .*B is for api.gitlab.com, which feed issues never calls \(its hosts: api.github.com\)/],
    ['two budgets for one host', () => {
      const s = testStack();
      return [new SharedRateBudget(s, 'A', { host: 'api.github.com', requestsPerSecond: 5 }), new SharedRateBudget(s, 'B', { host: 'api.github.com', requestsPerSecond: 9 })];
    }, /two budgets for api.github.com; give the feed one budget per host/],
  ])('%s is refused at synth', (_name, budgets, message) => {
    const given = budgets();
    const stack = given[0].node.scope as any;
    expect(() => new ApiToFirehoseIngestion(stack, 'Issues', { feedName: 'issues', source: source('issues'), sharedRateBudgets: given })).toThrow(message);
  });

  test.each([
    [{ host: 'https://api.github.com', requestsPerSecond: 5 }, /host "https:\/\/api.github.com" must be a host name such as api.github.com/],
    [{ host: 'api.github.com', requestsPerSecond: 0 }, /requestsPerSecond must be above 0 \(got 0\)/],
  ])('%j is refused with what to write', (props, message) => {
    expect(() => new SharedRateBudget(testStack(), 'B', props)).toThrow(message);
  });
});

describe('at run time', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/items': (_req, res, url) => json(res, 200, { items: [{ n: Number(url.searchParams.get('n')) }] }) });
  });
  afterAll(() => api.close());

  async function budgetTable(): Promise<string> {
    const tableName = `budget-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
    await dynamoDbClient().send(new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    return tableName;
  }

  test('two feeds, each with a looser limit of its own, together never get more slots a second than the host\'s budget', async () => {
    const table = await budgetTable();
    const clock = new FakeClock();
    const slots: number[] = [];
    const redactor = new SecretRedactor();
    // Writes reach moto one at a time, as DynamoDB applies them to an item (test/helpers/serializing-proxy.ts).
    const client = await serializedDynamoDbClient();
    const run = (feed: string) => {
      const shared = new DynamoDbRateBudget({ client, tableName: table, budget: hostRateBudget('127.0.0.1'), requestsPerSecond: 4, clock, onSlot: (at) => slots.push(at) });
      return runFeed(parseFeedSpec({
        version: 1,
        feed,
        request: { url: `${api.url}/items`, query: { n: '{{ partition.n }}' } },
        records: { path: 'items' },
        partitions: { type: 'list', values: Array.from({ length: 10 }, (_, n) => ({ n: String(n) })), concurrency: 3 },
        limits: { requestsPerSecond: 50, allowPrivateAddresses: true },
      }), {
        sink: new CollectingSink(),
        state: new MemoryStateStore(),
        logger: jsonLogger(redactor, () => undefined),
        redactor,
        secrets: new CachingSecretResolver(async () => '', redactor),
        clock,
        rateLimiter: new RateLimits(undefined, [{ host: '127.0.0.1', limiter: shared }, { host: 'elsewhere.example.com', limiter: { take: () => Promise.reject(new Error('not this host')) } }]),
      });
    };
    const [a, b] = await Promise.all([run('feed-a'), run('feed-b')]);
    expect([a.status, b.status, a.requests + b.requests]).toEqual(['succeeded', 'succeeded', 20]);
    expect(slots).toHaveLength(20);
    expect(new Set(slots).size).toBe(20);
    const perSecond = new Map<number, number>();
    for (const slot of slots) perSecond.set(Math.floor(slot / 1000), (perSecond.get(Math.floor(slot / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBe(4);
  });

  test('the bundled poller of two feeds takes each request\'s slot from the shared counter named in its environment', async () => {
    const table = await budgetTable();
    const budgets = JSON.stringify([{ host: '127.0.0.1', table, requestsPerSecond: 20 }]);
    // The counter at the first slot of the next second (20 slots a second): each request that takes a slot moves it on by one.
    const seed = (Math.floor(Date.now() / 1000) + 1) * 20;
    await dynamoDbClient().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'host#127.0.0.1' }, sk: { S: 'rate' }, nextSlot: { N: String(seed) } } }));
    for (const feed of ['feed-a', 'feed-b']) {
      const resources = await createFeedResources();
      const outcome = await invokeBundledHandler({
        spec: { version: 1, feed, request: { url: `${api.url}/items` }, records: { path: 'items' }, limits: { allowPrivateAddresses: true } },
      }, { ...pollerEnv(resources), [POLLER_ENV.sharedRateBudgets]: budgets });
      expect(outcome.error).toBeUndefined();
      expect(outcome.result).toMatchObject({ status: 'succeeded', requests: 1 });
    }
    const counter = await dynamoDbClient().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'host#127.0.0.1' }, sk: { S: 'rate' } } }));
    // Two requests, two slots from the one counter (more if the second feed found the clock past the queue: a slot is never handed out twice).
    expect(Number(counter.Item!.nextSlot.N)).toBeGreaterThanOrEqual(seed + 2);
  });
});
