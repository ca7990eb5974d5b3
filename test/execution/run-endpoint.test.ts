/**
 * Runs on demand over HTTPS: the function URL (AWS_IAM) and the function behind it. Its inline
 * code (what CloudFormation deploys) runs here against moto's EventBridge Scheduler and Step
 * Functions with the real SDK clients: it reads the schedule's input as the schedule would send it
 * and starts the state machine with the partitions asked for. (moto's Step Functions does not run
 * the execution; test/execution/distributed-flow.test.ts runs a run on demand's plan and slices.)
 */
import * as sdkLambda from '@aws-sdk/client-lambda';
import * as sdkScheduler from '@aws-sdk/client-scheduler';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import * as sdkSfn from '@aws-sdk/client-sfn';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ApiSource, ApiToFirehoseIngestion, ExecutionMode, Partitions, Records } from '../../src';
import { START_RUN_HANDLER } from '../../src/execution/run-endpoint';
import { CONFIGURATIONS } from '../helpers/configurations';
import { motoEndpoint, motoEnv, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

const { stack } = CONFIGURATIONS['a distributed run over 2,000 stations, with a customer-managed key']();
const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('the endpoint', () => {
  test('is a function URL with AWS_IAM auth on a function that may read this schedule and start this state machine only', () => {
    const [[, url]] = ofType('AWS::Lambda::Url');
    expect(url.Properties.AuthType).toBe('AWS_IAM');
    const [[fnId, fn]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('StationsStartRun'));
    expect(url.Properties.TargetFunctionArn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(['BACKFILLS', 'SCHEDULE_GROUP', 'SCHEDULE_NAME', 'STATE_MACHINE_ARN']);
    const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('StationsStartRunRole'));
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(JSON.stringify(statements.find((s) => s.Action === 'scheduler:GetSchedule').Resource)).toContain(':schedule/default/');
    expect(statements.find((s) => s.Action === 'states:StartExecution').Resource).toEqual({ Ref: ofType('AWS::StepFunctions::StateMachine')[0][0] });
  });

  test('grantStartRun lets a caller invoke the URL (signed, AWS_IAM) and start the state machine', () => {
    const s = testStack();
    const feed = new ApiToFirehoseIngestion(s, 'F', {
      source: ApiSource.http({ url: 'https://api.example.com/v1/{{ partition.id }}', records: Records.at('d'), partitions: Partitions.list([{ id: 'a' }]) }),
      executionMode: ExecutionMode.distributed(),
      runEndpointEnabled: true,
    });
    feed.grantStartRun(new iam.Role(s, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
    const policy = Object.entries(templateOf(s).toJSON().Resources as Record<string, any>).find(([id]) => id.startsWith('OperatorDefaultPolicy'))![1];
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements.map((st) => st.Action)).toEqual(['states:StartExecution', 'lambda:InvokeFunctionUrl', 'lambda:InvokeFunction']);
    expect(statements[1].Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
    // Lambda asks for InvokeFunction too for a URL call; aws-cdk-lib limits it to calls through the URL.
    expect(statements[2].Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': true } });
    expect(feed.runEndpointUrl).toBeDefined();
  });
});

test('for a single-invocation feed the endpoint invokes the poller asynchronously, and cdk-nag finds nothing unacknowledged', () => {
  const s = testStack();
  new ApiToFirehoseIngestion(s, 'F', { source: ApiSource.http({ url: 'https://api.example.com/v1/x', records: Records.at('d') }), runEndpointEnabled: true });
  Validations.of(s).addPlugins(new AwsSolutionsChecks(s), new ServerlessChecks(s));
  expect(() => App.of(s)!.synth()).not.toThrow();
  const all = templateOf(s).toJSON().Resources as Record<string, any>;
  const fn = Object.entries(all).find(([id]) => id.startsWith('FStartRun') && all[id].Type === 'AWS::Lambda::Function')![1];
  expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(['POLLER_FUNCTION_NAME', 'SCHEDULE_GROUP', 'SCHEDULE_NAME']);
  const policy = Object.entries(all).find(([id]) => id.startsWith('FStartRunRoleDefaultPolicy'))![1];
  expect(policy.Properties.PolicyDocument.Statement.map((st: any) => st.Action)).toContain('lambda:InvokeFunction');
});

describe('the function behind it, against moto', () => {
  const savedEnv = { ...process.env };
  const clientConfig = () => ({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  let stateMachineArn: string;
  let handler: (event: unknown) => Promise<{ statusCode: number; body: string }>;
  const scheduleName = `stations-${process.pid}-${Date.now()}`;
  const input = JSON.stringify({ spec: { version: 1, feed: 'stations' }, scheduledTime: '<aws.scheduler.scheduled-time>', executionId: '<aws.scheduler.execution-id>', poll: { everySeconds: 10, forSeconds: 60 } });

  beforeAll(async () => {
    Object.assign(process.env, motoEnv());
    const sfn = new SFNClient(clientConfig());
    ({ stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
      name: scheduleName, roleArn: 'arn:aws:iam::123456789012:role/run', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    })) as { stateMachineArn: string });
    await new SchedulerClient(clientConfig()).send(new CreateScheduleCommand({
      Name: scheduleName,
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: stateMachineArn, RoleArn: 'arn:aws:iam::123456789012:role/schedule', Input: input },
    }));
    Object.assign(process.env, { SCHEDULE_NAME: scheduleName, SCHEDULE_GROUP: 'default', STATE_MACHINE_ARN: stateMachineArn, BACKFILLS: 'true' });
    // The Lambda runtime's SDK modules are the only ones the inline code may use.
    const modules: Record<string, unknown> = { '@aws-sdk/client-scheduler': sdkScheduler, '@aws-sdk/client-sfn': sdkSfn, '@aws-sdk/client-lambda': sdkLambda };
    const module = { exports: {} as any };
    new Function('require', 'exports', 'module', START_RUN_HANDLER)((name: string) => {
      if (!(name in modules)) throw new Error(`the inline handler requires ${name}, which the Lambda runtime does not have`);
      return modules[name];
    }, module.exports, module);
    handler = module.exports.handler;
  });
  afterAll(() => { process.env = savedEnv; });

  let requests = 0;
  const urlEvent = (body?: string, base64 = false) => ({ body, isBase64Encoded: base64, requestContext: { requestId: `req-${++requests}` } });

  test('POST {"partitions": [...]} starts the state machine with the schedule\'s input, the partitions, its own time and one poll', async () => {
    const answer = await handler(urlEvent(JSON.stringify({ partitions: [{ id: 's01' }] })));
    expect(answer.statusCode).toBe(202);
    const { executionArn } = JSON.parse(answer.body);
    expect(answer.body).not.toContain('spec');
    const execution = await new SFNClient(clientConfig()).send(new DescribeExecutionCommand({ executionArn }));
    const started = JSON.parse(execution.input!);
    expect(started).toMatchObject({ spec: { feed: 'stations' }, partitions: [{ id: 's01' }], executionId: 'on-demand-req-1' });
    expect(executionArn.endsWith(':on-demand-req-1')).toBe(true);
    expect(Date.parse(started.scheduledTime)).not.toBeNaN();
    expect(started.poll).toBeUndefined();
  });

  test('an empty body runs every partition; a base64 body is read as the URL sends it', async () => {
    const empty = JSON.parse((await handler(urlEvent())).body);
    const all = JSON.parse((await new SFNClient(clientConfig()).send(new DescribeExecutionCommand({ executionArn: empty.executionArn }))).input!);
    expect(all.partitions).toBeUndefined();
    const encoded = await handler(urlEvent(Buffer.from('{"partitions":[{"id":"s02"}]}').toString('base64'), true));
    expect(encoded.statusCode).toBe(202);
  });

  test('POST {"backfill": {...}} starts a distributed run over the windows', async () => {
    const backfill = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', windowSeconds: 86_400 };
    const answer = await handler(urlEvent(JSON.stringify({ backfill })));
    expect(answer.statusCode).toBe(202);
    const { executionArn } = JSON.parse(answer.body);
    const started = JSON.parse((await new SFNClient(clientConfig()).send(new DescribeExecutionCommand({ executionArn }))).input!);
    expect(started.backfill).toEqual(backfill);
  });

  test.each([
    ['not JSON', 'partitions=s01', /the request body is not JSON/],
    ['an unknown field', '{"partitions":[{"id":"s01"}],"spec":{"request":{"url":"https://evil.example.com"}}}', /unknown field\(s\) spec: the request takes partitions and backfill only/],
    ['a backfill with a window in words', '{"backfill":{"from":"2026-01-01","to":"2026-02-01","window":"1d"}}', /backfill must be \{"from": .*"windowSeconds": 86400\}/],
    ['a backfill from a date in a local order', '{"backfill":{"from":"01/02/2026","to":"2026-02-01T00:00:00Z","windowSeconds":86400}}',
      /backfill.from "01\/02\/2026" is not an ISO 8601 date/],
    ['a backfill to a time without an offset', '{"backfill":{"from":"2026-01-01","to":"2026-02-01T00:00:00","windowSeconds":86400}}',
      /backfill.to "2026-02-01T00:00:00" is not an ISO 8601 date/],
    ['partitions of numbers', '{"partitions":[{"id":1}]}', /partitions must be a non-empty list of objects of strings/],
    ['an empty list', '{"partitions":[]}', /partitions must be a non-empty list/],
    ['a body over 64 KiB', JSON.stringify({ partitions: [{ id: 'x'.repeat(70_000) }] }), /the request body is over 65536 bytes/],
  ])('%s is answered 400 with what to send, and starts nothing', async (_name, body, message) => {
    const sfn = new SFNClient(clientConfig());
    const before = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions!.length;
    const answer = await handler(urlEvent(body));
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).error).toMatch(message);
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions).toHaveLength(before);
  });
});

test('a single-invocation feed\'s endpoint refuses a backfill before reading the schedule, naming the modes that take one', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, { SCHEDULE_NAME: 'none', SCHEDULE_GROUP: 'default', POLLER_FUNCTION_NAME: 'poller' });
  delete process.env.STATE_MACHINE_ARN;
  delete process.env.BACKFILLS;
  try {
    const module = { exports: {} as any };
    // Any AWS call would fail here: the refusal comes first.
    new Function('require', 'exports', 'module', START_RUN_HANDLER)(() => ({}), module.exports, module);
    const answer = await module.exports.handler({
      body: JSON.stringify({ backfill: { from: '2026-01-01', to: '2026-01-02', windowSeconds: 3600 } }), requestContext: { requestId: 'r' },
    });
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).error).toBe('this feed runs in a single invocation, which does not backfill: '
      + 'deploy it with ExecutionMode.distributed() or ExecutionMode.durable()');
  } finally {
    process.env = saved;
  }
});
