/**
 * The function that creates the Redshift table at deployment: its inline code (what CloudFormation
 * deploys) runs here against moto's Redshift Data API with the real SDK client, and answers a
 * loopback server playing CloudFormation's response URL.
 *
 * moto's Data API never finishes a statement (it stays STARTED, and CancelStatement makes it
 * ABORTED), so the paths it can show are the failed ones: a statement that ends ABORTED, and one
 * that outlives the function. Both must fail the deployment, with a reason that says why.
 *
 * moto 5.2 writes the Data API's timestamps (CreatedAt, UpdatedAt) as ISO strings where the
 * protocol (awsJson1_1) has epoch seconds, which the SDK refuses ("Expected real number"). A
 * loopback proxy between the handler and moto rewrites those two fields and nothing else.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sdk from '@aws-sdk/client-redshift-data';
import { CancelStatementCommand, DescribeStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { REDSHIFT_TABLE_HANDLER } from '../../src/destinations/redshift-table-creator';
import { startLoopbackApi, type LoopbackApi } from '../helpers/loopback-api';
import { motoEndpoint, motoEnv, TEST_REGION } from '../helpers/moto-aws';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift/firehose-AbCdEf';
const DDL = 'CREATE TABLE IF NOT EXISTS "market"."prices" (\n  "feed" VARCHAR(64)\n);';

interface Answer { Status: string; Reason: string; PhysicalResourceId: string; RequestId: string }

let cloudFormation: LoopbackApi;
const answers: Answer[] = [];
const savedEnv = { ...process.env };
/** The ids of the statements the handler started, read from the real client's responses. */
const started: string[] = [];

/** Loads the inline code as Lambda would, with a client class that records the statements it starts (and changes nothing else). */
function loadHandler(): (event: unknown, context: unknown) => Promise<void> {
  class ObservedClient extends sdk.RedshiftDataClient {
    async send(command: any) {
      const output: any = await super.send(command);
      if (command instanceof sdk.ExecuteStatementCommand) started.push(output.Id);
      return output;
    }
  }
  const module = { exports: {} as any };
  const requireForHandler = (name: string) => {
    // The Lambda runtime's SDK is the only module the inline code may use.
    if (name !== '@aws-sdk/client-redshift-data') throw new Error(`the inline handler requires ${name}, which the Lambda runtime does not have`);
    return { ...sdk, RedshiftDataClient: ObservedClient };
  };
  new Function('require', 'exports', 'module', REDSHIFT_TABLE_HANDLER)(requireForHandler, module.exports, module);
  return module.exports.handler;
}

/** Forwards to moto; in its answers, CreatedAt and UpdatedAt become the epoch seconds the protocol has. */
async function startTimestampProxy(): Promise<{ url: string; server: Server }> {
  const target = new URL(motoEndpoint());
  const server = createServer((req, res) => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
          .replace(/"(CreatedAt|UpdatedAt)": ?"([^"]+)"/g, (_all, key: string, iso: string) => `"${key}": ${Date.parse(/Z|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`) / 1000}`);
        const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
        res.writeHead(answer.statusCode ?? 500, headers).end(body);
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let proxy: { url: string; server: Server };

const testClient = () => new RedshiftDataClient({ endpoint: proxy.url, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

function event(requestType: string, properties: Record<string, string> = {}) {
  return {
    RequestType: requestType,
    ResponseURL: `${cloudFormation.url}/response`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/feeds/1',
    RequestId: `request-${answers.length}`,
    LogicalResourceId: 'PricesRedshiftTableResource',
    ResourceProperties: { Sql: DDL, Database: 'dev', SecretArn: SECRET_ARN, WorkgroupName: 'analytics', ...properties },
  };
}

beforeAll(async () => {
  proxy = await startTimestampProxy();
  Object.assign(process.env, motoEnv(), { AWS_ENDPOINT_URL: proxy.url });
  cloudFormation = await startLoopbackApi({
    '/response': (req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        answers.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    },
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await cloudFormation?.close();
  proxy?.server.closeAllConnections();
  await new Promise((resolve) => proxy?.server.close(resolve));
});

test('a statement that ends ABORTED fails the resource with Redshift\'s status, after running the DDL on the workgroup with the secret', async () => {
  const handler = loadHandler();
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  let settled = false;
  const run = handler(event('Create'), { getRemainingTimeInMillis: () => 600_000 }).finally(() => { settled = true; });
  // The handler polls every 2 s; whenever this cancel lands, its next poll sees ABORTED.
  while (started.length === 0 && !settled) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(answers).toEqual([]);
  const client = testClient();
  await client.send(new CancelStatementCommand({ Id: started[0] }));
  await run;
  errors.mockRestore();

  const statement = await client.send(new DescribeStatementCommand({ Id: started[0] }));
  expect(statement).toMatchObject({ QueryString: DDL, Database: 'dev', SecretArn: SECRET_ARN, Status: 'ABORTED' });
  expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', RequestId: 'request-0', PhysicalResourceId: 'PricesRedshiftTableResource' });
  expect(answers.at(-1)!.Reason).toMatch(/^the table DDL ABORTED/);
});

test('a statement still running when the function is about to time out fails the resource, naming the statement', async () => {
  const handler = loadHandler();
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  await handler(event('Update'), { getRemainingTimeInMillis: () => 5_000 });
  errors.mockRestore();
  const id = started.at(-1)!;
  expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', Reason: `the table DDL did not finish in time (statement ${id})` });
  expect(answers.at(-1)!.Reason).not.toContain(SECRET_ARN);
});

test('deleting the resource keeps the table: no statement runs, and CloudFormation hears SUCCESS', async () => {
  const handler = loadHandler();
  const before = started.length;
  await handler({ ...event('Delete'), PhysicalResourceId: 'PricesRedshiftTableResource' }, { getRemainingTimeInMillis: () => 600_000 });
  expect(started).toHaveLength(before);
  expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'PricesRedshiftTableResource' });
});
