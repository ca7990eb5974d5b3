/**
 * The durable entrypoint's own pieces: the lease holder read from the execution's ARN, and the
 * start of the execution that goes on with a run too long for one. Lambda's Invoke API is a
 * loopback server that records what the SDK sends (moto runs Lambda code only in Docker).
 */
import { continuationName, executionName, startExecution } from '../../../src/runtime/entrypoints/durable-handler';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { motoEnv } from '../../helpers/moto-aws';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-poller:7/durable-execution/exec-name-1/0f1e2d3c';

test('the lease holder is the execution\'s name, the same in every invocation of it', () => {
  expect(executionName(ARN)).toBe('exec-name-1');
  // Not an execution ARN: the whole text (never an empty holder).
  expect(executionName('local')).toBe('local');
});

test('a continuation\'s name is derived from the execution (a retried step finds the one it started) and fits Lambda\'s execution names', () => {
  expect(continuationName(ARN)).toBe(continuationName(ARN));
  expect(continuationName(ARN)).not.toBe(continuationName(ARN.replace('0f1e2d3c', '0f1e2d3d')));
  expect(continuationName(ARN)).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
});

describe('the continuation', () => {
  let lambda: LoopbackApi;
  const saved = { ...process.env };
  const calls: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];
  beforeAll(async () => {
    lambda = await startLoopbackApi({
      '/2015-03-31/functions/*': (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          calls.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(202, { 'x-amz-request-id': 'req-1' }).end();
        });
      },
    });
    Object.assign(process.env, motoEnv(), { AWS_ENDPOINT_URL_LAMBDA: lambda.url });
  });
  afterAll(async () => {
    process.env = saved;
    await lambda.close();
  });

  test('invokes the qualified ARN the execution was invoked by, asynchronously, under its name, with the run\'s own event', async () => {
    const event = { spec: { version: 1, feed: 'orders' } as any, executionId: 'exec-1', partitions: [{ station: 'KSEA' }] };
    const name = await startExecution({ invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders-poller:live' }, 'continued-abc', event);
    expect(name).toBe('continued-abc');
    expect(calls).toHaveLength(1);
    expect(decodeURIComponent(calls[0].path)).toBe('/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders-poller:live/invocations');
    expect(calls[0].headers['x-amz-invocation-type']).toBe('Event');
    expect(calls[0].headers['x-amz-durable-execution-name']).toBe('continued-abc');
    expect(JSON.parse(calls[0].body)).toEqual(event);
  });
});
