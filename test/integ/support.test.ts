/**
 * The integration tests' own parts, run here before anyone pays for a deployment: the fixture
 * API's inline code (loaded as the Lambda runtime loads it, its key in moto's Secrets Manager)
 * behind a loopback server shaped like a function URL, the feed the tests deploy run against it
 * by the engine, and the checker's inline code reading moto's S3, SQS, DynamoDB and CloudWatch.
 * If the fixture, the expectations and the feed disagreed, every deployed test would fail; this
 * finds it in seconds.
 *
 * Not run here: the checker's Athena, OpenSearch and Redshift reads, and its run of the poller
 * through GetSchedule and Lambda (moto runs Lambda only in Docker). The deployed tests run them.
 */
import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as lambdaSdk from '@aws-sdk/client-lambda';
import * as redshiftData from '@aws-sdk/client-redshift-data';
import * as s3 from '@aws-sdk/client-s3';
import * as scheduler from '@aws-sdk/client-scheduler';
import * as secretsManager from '@aws-sdk/client-secrets-manager';
import * as sqs from '@aws-sdk/client-sqs';
import * as signatureV4 from '@smithy/signature-v4';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CHECKER_HANDLER } from './support/checker';
import { FIXTURE_HANDLER } from './support/fixture-api';
import { expectedIds, OBSERVATIONS_PER_STATION, PAGE_SIZE, STATIONS } from './support/fixture-data';
import { observationsSource } from './support/observations-source';
import { ApiToFirehoseIngestion } from '../../src';
import { runSpec } from '../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { dynamoDbClient, motoEndpoint, motoEnv, s3Client, sqsClient, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

type Handler = (event: any) => Promise<any>;

/** SHA-256 as @smithy/hash-node implements it, for re-signing a received request. */
class NodeSha256 {
  private readonly hash: nodeCrypto.Hash | nodeCrypto.Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? nodeCrypto.createHmac('sha256', bytes(secret)) : nodeCrypto.createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** Loads inline code as the Lambda runtime does, with only the modules the runtime carries (and Node's own). */
function loadInline(code: string, runtimeModules: Record<string, unknown>): Handler {
  const modules: Record<string, unknown> = { 'node:zlib': zlib, 'node:crypto': nodeCrypto, ...runtimeModules };
  const module = { exports: {} as any };
  new Function('require', 'exports', 'module', code)((name: string) => {
    if (!(name in modules)) throw new Error(`the inline code requires ${name}, which this test does not provide`);
    return modules[name];
  }, module.exports, module);
  return module.exports.handler;
}

/** Runs `action` with the SDK's environment pointed at moto (the inline code builds its own clients). */
async function withMotoEnv<T>(extra: Record<string, string>, action: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, motoEnv(), extra);
  try {
    return await action();
  } finally {
    process.env = saved;
  }
}

const secretsClient = () => new secretsManager.SecretsManagerClient({
  endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

describe('the fixture API and the feed the integration tests deploy', () => {
  const apiKey = 'integ-key-0123456789abcdef';
  let secretArn: string;
  let api: LoopbackApi;

  beforeAll(async () => {
    secretArn = (await secretsClient().send(new secretsManager.CreateSecretCommand({ Name: `integ-fixture-${Date.now()}`, SecretString: apiKey }))).ARN!;
    const fixture = loadInline(FIXTURE_HANDLER, { '@aws-sdk/client-secrets-manager': secretsManager });
    // A function URL's event: path, query and lower-case headers; its answer: status, headers, body.
    api = await startLoopbackApi({
      '/*': async (req, res, url) => {
        const answer = await withMotoEnv({ API_KEY_SECRET_ARN: secretArn }, () => fixture({
          rawPath: url.pathname,
          queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
          headers: req.headers,
        }));
        res.writeHead(answer.statusCode, answer.headers).end(answer.body);
      },
    });
  });
  afterAll(() => api.close());

  /** The spec exactly as the schedule of an integration test carries it, with the loopback server as its API. */
  function deployedSpec(options: Parameters<typeof observationsSource>[1] = {}): any {
    const stack = testStack();
    const source = observationsSource({ url: `${api.url}/`, apiKey: Secret.fromSecretCompleteArn(stack, 'Key', secretArn) }, options);
    new ApiToFirehoseIngestion(stack, 'Observations', { feedName: 'observations', source });
    const schedule = Object.values<any>(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    return JSON.parse(schedule.Properties.Target.Input).spec;
  }

  test('the feed gets exactly expectedIds(): every station from the parent request, every page, each record once', async () => {
    for (const typed of [false, true]) {
      const { summary, sink } = await runSpec(deployedSpec({ typed }), { secrets: { [secretArn]: apiKey } });
      expect(summary.status).toBe('succeeded');
      const ids = sink.lines.map((line) => (typed ? JSON.parse(line).id : JSON.parse(line).record.id));
      expect(ids.sort()).toEqual(expectedIds());
    }
    // One parent request, then each station's pages (the last one short).
    const pages = Math.ceil(OBSERVATIONS_PER_STATION / PAGE_SIZE);
    expect(api.requests.filter((r) => r.path.startsWith('/stations/')).length).toBe(2 * STATIONS.length * pages);
    expect(api.requests.every((r) => r.headers['x-api-key'] === apiKey)).toBe(true);
  });

  test('a backfill window and a subset of stations get exactly what expectedIds() says for them', async () => {
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T12:00:00Z' };
    const ids: string[] = [];
    for (const station of ['north', 'east']) {
      let page = 1;
      for (;;) {
        const response = await fetch(`${api.url}/stations/${station}/observations?page=${page}&from=${window.from}&to=${window.to}`, { headers: { 'x-api-key': apiKey } });
        const body = await response.json() as { data: Array<{ id: string }>; has_more: boolean };
        ids.push(...body.data.map((o) => o.id));
        if (!body.has_more) break;
        page += 1;
      }
    }
    expect(ids.sort()).toEqual(expectedIds({ stations: ['north', 'east'], ...window }));
    expect(ids).toHaveLength(2 * 12);
  });

  test('a request without the key, or with another, is refused (so a run without the secret cannot be green)', async () => {
    expect((await fetch(`${api.url}/stations`)).status).toBe(401);
    expect((await fetch(`${api.url}/stations`, { headers: { 'x-api-key': 'not-the-key-4242' } })).status).toBe(401);
    // The parent request is refused, so the run fails as a whole: the poller's invocation errs.
    await expect(runSpec(deployedSpec(), { secrets: { [secretArn]: 'not-the-key-4242' } })).rejects.toThrow(/stations answered HTTP 401/);
  });
});

test('the inline handlers are valid JavaScript as the Lambda runtime parses them (node --check)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'integ-inline-'));
  for (const [name, code] of Object.entries({ 'checker.js': CHECKER_HANDLER, 'fixture.js': FIXTURE_HANDLER })) {
    writeFileSync(join(dir, name), code);
    expect(() => execFileSync(process.execPath, ['--check', join(dir, name)], { stdio: 'pipe' })).not.toThrow();
  }
});

describe('the checker', () => {
  const checker = () => loadInline(CHECKER_HANDLER, {
    '@aws-sdk/client-s3': s3,
    '@aws-sdk/client-sqs': sqs,
    '@aws-sdk/client-dynamodb': dynamodb,
    '@aws-sdk/client-cloudwatch': cloudwatch,
    '@aws-sdk/client-scheduler': scheduler,
    '@aws-sdk/client-lambda': lambdaSdk,
    '@aws-sdk/client-redshift-data': redshiftData,
    '@smithy/signature-v4': signatureV4,
    // Athena is not emulated by moto; the S3 read does not use it.
    '@aws-sdk/client-athena': {},
  });

  test('reads every object of the feed\'s folder as Firehose writes them (GZIP or not) and the feed\'s state, exactly', async () => {
    const suffix = Date.now();
    const bucket = `integ-checker-${suffix}`;
    await s3Client().send(new s3.CreateBucketCommand({ Bucket: bucket }));
    const line = (id: string) => JSON.stringify({ feed: 'observations', record_id: `r-${id}`, record: { id } });
    await s3Client().send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'feed=observations/year=2026/month=01/day=01/hour=00/a.gz', Body: gzipSync(`${line('north-001')}\n${line('north-000')}\n`) }));
    await s3Client().send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'feed=observations/year=2026/month=01/day=01/hour=01/b', Body: `${line('east-000')}\n` }));
    // Not the feed's data: Firehose's error objects are under their own folder.
    await s3Client().send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'errors/feed=observations/x', Body: line('error-0') }));
    const { QueueUrl } = await sqsClient().send(new sqs.CreateQueueCommand({ QueueName: `integ-checker-${suffix}` }));
    const table = `integ-checker-${suffix}`;
    await dynamoDbClient().send(new dynamodb.CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    await dynamoDbClient().send(new dynamodb.PutItemCommand({ TableName: table, Item: { pk: { S: 'feed#observations' }, sk: { S: 'lease' }, lastCompleted: { S: 'run-1' } } }));
    const event = {
      read: { kind: 's3', bucket, prefix: 'feed=observations/', idPath: 'record.id' },
      state: { queueUrl: QueueUrl, stateTable: table, feed: 'observations', alarmNames: [], deliveryStreamName: `integ-checker-${suffix}` },
    };
    const handler = checker();
    expect(await withMotoEnv({}, () => handler(event))).toEqual({
      ids: ['east-000', 'north-000', 'north-001'], deadLetters: 0, leaseHeld: false, alarmsNotOk: [], firehoseMetrics: [],
    });

    // The same checks see a dead letter, a held lease and a published metric.
    await sqsClient().send(new sqs.SendMessageCommand({ QueueUrl, MessageBody: '{}' }));
    await dynamoDbClient().send(new dynamodb.PutItemCommand({ TableName: table, Item: { pk: { S: 'feed#observations' }, sk: { S: 'lease' }, holder: { S: 'run-2' } } }));
    await new cloudwatch.CloudWatchClient({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
      .send(new cloudwatch.PutMetricDataCommand({
        Namespace: 'AWS/Firehose',
        MetricData: [{ MetricName: 'DeliveryToS3.Records', Value: 3, Dimensions: [{ Name: 'DeliveryStreamName', Value: `integ-checker-${suffix}` }] }],
      }));
    expect(await withMotoEnv({}, () => handler(event))).toMatchObject({ deadLetters: 1, leaseHeld: true, firehoseMetrics: ['DeliveryToS3.Records'] });
  });

  test('signs its requests with SigV4 as the SDK does (a wildcard path included): the signature a server recomputes matches', async () => {
    const seen: Array<{ url: string; headers: Record<string, any>; body: string }> = [];
    const endpoint = await startLoopbackApi({
      '/*': async (req, res) => {
        let body = '';
        for await (const chunk of req) body += chunk;
        seen.push({ url: req.url!, headers: req.headers, body });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"requestId":"r"}');
      },
    });
    try {
      const handler = checker();
      expect(await withMotoEnv({}, () => handler({ post: { url: `${endpoint.url}/`, body: { partitions: [{ station: 'north' }] } } }))).toEqual({ status: 202 });
      expect(await withMotoEnv({}, () => handler({ post: { url: `${endpoint.url}/observations-*/_search`, body: {} } }))).toEqual({ status: 202 });
      expect(seen.map((request) => request.url)).toEqual(['/', '/observations-%2A/_search']);
      expect(JSON.parse(seen[0].body)).toEqual({ partitions: [{ station: 'north' }] });
      for (const request of seen) {
        const authorization = String(request.headers.authorization);
        expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
        // A server recomputes it from what it received: the path as sent, the signed headers, the body.
        const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)![1].split(';');
        const signer = new signatureV4.SignatureV4({
          service: 'lambda', region: TEST_REGION, sha256: NodeSha256, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        });
        const [path, search] = request.url.split('?');
        const again = await signer.sign({
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path,
          query: Object.fromEntries(new URLSearchParams(search ?? '')),
          headers: Object.fromEntries(signedNames.map((name) => [name, String(request.headers[name])])),
          body: request.body,
        }, { signingDate: new Date(String(request.headers['x-amz-date']).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) });
        expect(again.headers.authorization).toBe(authorization);
      }
    } finally {
      await endpoint.close();
    }
  });
});
