/**
 * `api-ingest trigger` and `api-ingest backfill --schedule`, the shipped command run as a process
 * with the real SDK clients: EventBridge Scheduler and Step Functions are moto's (its interpreter
 * runs the stand-in state machine here, a Pass state that ends with a summary where the real
 * definition's Aggregate step puts it; the real definition's Lambda tasks need Docker, see
 * distributed-flow.test.ts). Lambda's Invoke API is a loopback server that plays it, because moto
 * runs Lambda code only in Docker; it records what the command sends and answers as Lambda does.
 */
import { execFile } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CONFIGURATIONS } from '../../helpers/configurations';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { motoEndpoint, motoEnv, TEST_REGION } from '../../helpers/moto-aws';
import { templateOf } from '../../helpers/synth';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:stations-poller';
const SUMMARY = {
  feed: 'stations',
  status: 'partial',
  partitions: 3,
  partitionsFailed: 1,
  failures: [{ partition: { id: 's2' }, error: 'HTTP 500' }],
  pages: 4,
  recordsFetched: 12,
  recordsDelivered: 12,
  recordsDeadLettered: 0,
  requestsDeadLettered: 1,
  requests: 5,
  retries: 0,
  sinkCalls: 1,
  failedPuts: 0,
  bytesDelivered: 2000,
  bytesBilled: 60000,
  cursorsCommitted: 2,
  checkpointsSaved: 0,
  durationMs: 1500,
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('runs of a deployed feed from the command line', () => {
  const clientConfig = () => ({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const name = `stations-${process.pid}-${Date.now()}`;
  const scheduleInput = JSON.stringify({
    spec: { version: 1, feed: 'stations' }, scheduledTime: '<aws.scheduler.scheduled-time>', executionId: '<aws.scheduler.execution-id>', poll: { everySeconds: 10, forSeconds: 60 },
  });
  let stateMachineArn: string;
  let lambda: LoopbackApi;
  const invocations: Array<{ type: string; event: any }> = [];
  const lambdaPaths: string[] = [];

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...motoEnv(), AWS_ENDPOINT_URL_LAMBDA: lambda.url },
      }, (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    // moto's own Step Functions interpreter, on for this server (it runs Pass and Succeed states without Docker).
    await fetch(`${motoEndpoint()}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
    lambda = await startLoopbackApi({
      '/2015-03-31/functions/*': async (req, res) => {
        const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
        invocations.push({ type, event: JSON.parse(await readBody(req)) });
        lambdaPaths.push(req.url ?? '');
        if (type === 'Event') return res.writeHead(202, { 'x-amz-request-id': 'req-event' }).end();
        return res.writeHead(200, { 'content-type': 'application/json', 'x-amz-request-id': 'req-sync' }).end(JSON.stringify(SUMMARY));
      },
    });
    const sfn = new SFNClient(clientConfig());
    ({ stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
      name,
      roleArn: 'arn:aws:iam::123456789012:role/run',
      definition: JSON.stringify({ StartAt: 'Aggregate', States: { Aggregate: { Type: 'Pass', Result: { ...SUMMARY, status: 'succeeded' }, ResultPath: '$.summary', End: true } } }),
    })) as { stateMachineArn: string });
    const scheduler = new SchedulerClient(clientConfig());
    for (const [schedule, arn] of [[`${name}-distributed`, stateMachineArn], [`${name}-single`, FUNCTION_ARN], [`${name}-durable`, `${FUNCTION_ARN}:live`]]) {
      await scheduler.send(new CreateScheduleCommand({
        Name: schedule,
        ScheduleExpression: 'rate(1 hour)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: arn, RoleArn: 'arn:aws:iam::123456789012:role/schedule', Input: scheduleInput },
      }));
    }
  });
  afterAll(async () => {
    await fetch(`${motoEndpoint()}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: false } }) });
    await lambda.close();
  });

  const inputOf = async (executionArn: string) => {
    const execution = await new SFNClient(clientConfig()).send(new DescribeExecutionCommand({ executionArn }));
    return JSON.parse(execution.input!);
  };

  test('the stand-in ends where the synthesized state machine keeps the run summary', () => {
    const { stack } = CONFIGURATIONS['a distributed run over 2,000 stations, with a customer-managed key']();
    const machine = Object.values(templateOf(stack).toJSON().Resources as Record<string, any>).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const text = (machine.Properties.DefinitionString['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'ref')).join('');
    const definition = JSON.parse(text);
    expect(definition.States.Aggregate).toMatchObject({ End: true, ResultPath: '$.summary' });
  });

  test('trigger starts the state machine with the schedule\'s input, the partitions asked for, its own time and one poll', async () => {
    const result = await cli(['trigger', '--schedule', `${name}-distributed`, '--partitions', '[{"id":"s01"}]', '--json']);
    expect(result.code).toBe(0);
    const { started } = JSON.parse(result.stdout);
    const input = await inputOf(started.executionArn);
    expect(started.executionArn.endsWith(`:${input.executionId}`)).toBe(true);
    expect(input).toMatchObject({ spec: { feed: 'stations' }, partitions: [{ id: 's01' }], executionId: expect.stringMatching(/^on-demand-/) });
    expect(Date.parse(input.scheduledTime)).not.toBeNaN();
    expect(input.poll).toBeUndefined();
  });

  test('trigger --wait follows the execution to its end and prints the run summary', async () => {
    const result = await cli(['trigger', '--schedule', `${name}-distributed`, '--wait']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^started execution arn:aws:states:.*: SUCCEEDED\n/);
    expect(result.stdout).toContain('feed stations: succeeded\n  records fetched 12, delivered 12, dead-lettered 0');
  });

  test('backfill --schedule starts a distributed run over the windows', async () => {
    const result = await cli(['backfill', '--schedule', `${name}-distributed`, '--from', '2026-01-01', '--to', '2026-04-01', '--window', '1d', '--json']);
    expect(result.code).toBe(0);
    const input = await inputOf(JSON.parse(result.stdout).started.executionArn);
    expect(input.backfill).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', windowSeconds: 86_400 });
  });

  test('a single-invocation feed: trigger --wait invokes the poller and exits as the run did (3: partial); a backfill is refused with what to do', async () => {
    invocations.length = 0;
    const result = await cli(['trigger', '--schedule', `${name}-single`, '--wait']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`started function ${FUNCTION_ARN}: SUCCEEDED`);
    expect(result.stdout).toContain('failed partition {"id":"s2"}: HTTP 500');
    expect(invocations).toEqual([{ type: 'RequestResponse', event: expect.objectContaining({ spec: { version: 1, feed: 'stations' }, executionId: expect.stringMatching(/^on-demand-/) }) }]);

    expect((await cli(['trigger', '--schedule', `${name}-single`])).code).toBe(0);
    expect(invocations[1].type).toBe('Event');

    const backfill = await cli(['backfill', '--schedule', `${name}-single`, '--from', '2026-01-01', '--to', '2026-02-01']);
    expect(backfill.code).toBe(2);
    expect(backfill.stderr).toContain('runs in a single invocation, which has no windows to share out: deploy it with ExecutionMode.distributed() or ExecutionMode.durable()');
    expect(invocations).toHaveLength(2);
  });

  test('a durable feed (its schedule targets the poller\'s live alias): backfill --schedule invokes the alias with the windows, asynchronously', async () => {
    invocations.length = 0;
    const result = await cli(['backfill', '--schedule', `${name}-durable`, '--from', '2026-01-01', '--to', '2026-01-08', '--window', '1d', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ started: { functionArn: `${FUNCTION_ARN}:live` } });
    expect(invocations).toEqual([{
      type: 'Event',
      event: expect.objectContaining({ backfill: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z', windowSeconds: 86_400 } }),
    }]);
    expect(lambdaPaths.at(-1)).toContain(encodeURIComponent(`${FUNCTION_ARN}:live`));
  });

  test.each([
    [['trigger'], /needs --schedule NAME/],
    [['trigger', '--schedule', 'x', '--partitions', 'KSEA'], /--partitions must be JSON/],
    [['trigger', '--schedule', 'x', '--partitions', '[{"id":1}]'], /--partitions must be a non-empty list of objects of strings/],
  ])('%j is refused with exit 2 and starts nothing', async (args, message) => {
    const before = (await new SFNClient(clientConfig()).send(new ListExecutionsCommand({ stateMachineArn }))).executions!.length;
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect((await new SFNClient(clientConfig()).send(new ListExecutionsCommand({ stateMachineArn }))).executions).toHaveLength(before);
  });

  test('a schedule that does not exist is reported by name', async () => {
    const result = await cli(['trigger', '--schedule', `${name}-missing`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${name}-missing`);
  });
});
