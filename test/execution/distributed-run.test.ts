/**
 * `ExecutionMode.distributed()`: what the construct synthesizes. The state machine's definition is
 * checked by asl-validator (the Amazon States Language's schema) and its order of states asserted;
 * cdk-nag, cfn-lint and checkov run on it in the configurations suite
 * ('a distributed run over 2,000 stations'); test/execution/distributed-flow.test.ts runs it.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiSource, ApiToFirehoseIngestion, ExecutionMode, Incremental, Partitions, Records } from '../../src';
import { defaultMaxConcurrency } from '../../src/execution/distributed-run';
import { CONFIGURATIONS } from '../helpers/configurations';
import { resolvedDefinition } from '../helpers/state-machine-driver';
import { templateOf, testStack } from '../helpers/synth';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string } = require('asl-validator');

const { stack } = CONFIGURATIONS['a distributed run over 2,000 stations, with a customer-managed key']();
const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const [[machineId, machine]] = ofType('AWS::StepFunctions::StateMachine');
const [[pollerId, poller]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('StationsPoller'));
const bucketId = poller.Properties.Environment.Variables.CONTROL_BUCKET.Ref;
const definition = resolvedDefinition(machine, { [bucketId]: 'feed-bucket', [`${pollerId}.Arn`]: 'arn:aws:lambda:us-east-1:123456789012:function:poller' });

describe('the state machine', () => {
  test('is valid Amazon States Language', () => {
    const result = aslValidator(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('plans, skips when the lease is held, maps the slices and always aggregates', () => {
    expect(definition.StartAt).toBe('Plan');
    const { Plan, 'Planned?': planned, Slices, Aggregate, Skipped } = definition.States;
    expect(Plan).toMatchObject({ Type: 'Task', Next: 'Planned?', ResultPath: '$.plan' });
    expect(Plan.Parameters).toEqual({ 'mode': 'plan', 'runId.$': '$$.Execution.Name', 'request.$': '$' });
    expect(planned.Choices).toEqual([{ Variable: '$.plan.skipped', IsPresent: true, Next: 'Skipped' }]);
    expect(Skipped.Type).toBe('Succeed');
    expect(Slices).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ItemReader: { ReaderConfig: { InputType: 'JSONL' }, Parameters: { 'Bucket.$': '$.plan.bucket', 'Key.$': '$.plan.itemsKey' } },
      ItemBatcher: { MaxItemsPerBatch: 10, BatchInput: { 'mode': 'slice', 'spec.$': '$.spec', 'runId.$': '$.plan.runId', 'scheduledTime.$': '$.scheduledTime', 'plan.$': '$.plan' } },
      ResultWriter: { Parameters: { 'Bucket.$': '$.plan.bucket', 'Prefix.$': '$.plan.resultsPrefix' } },
      // 200 requests/s at about 5 per worker: 40 workers (us-east-1's stream quota allows 50).
      MaxConcurrency: 40,
      ToleratedFailurePercentage: 10,
      ResultPath: '$.map',
      Next: 'Aggregate',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.map', Next: 'Aggregate' }],
    });
    expect(Aggregate.Parameters).toEqual({ 'mode': 'aggregate', 'spec.$': '$.spec', 'executionId.$': '$.executionId', 'plan.$': '$.plan', 'map.$': '$.map' });
    // Every Task retries Lambda's transient errors, never the poller's own.
    for (const task of [Plan, Aggregate, Slices.ItemProcessor.States.Slice]) {
      const retried = task.Retry.flatMap((r: any) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']));
      expect(retried).not.toContain('States.ALL');
      expect(retried).not.toContain('SliceFailed');
    }
  });

  test('Standard, with logging (no execution data), X-Ray, the feed\'s key and a run timeout', () => {
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' },
    });
    expect(definition.TimeoutSeconds).toBe(6 * 3600);
  });

  test('the schedule starts the state machine with the feed\'s event; the poller is not its target', () => {
    const [[, schedule]] = ofType('AWS::Scheduler::Schedule');
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: machineId });
    expect(JSON.parse(schedule.Properties.Target.Input)).toMatchObject({ spec: { feed: 'stations' }, scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  test('the state machine reads and writes the feed\'s control folder only, nothing else of the bucket', () => {
    const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('StationsRunRoleDefaultPolicy'));
    const s3 = (policy.Properties.PolicyDocument.Statement as any[]).filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toHaveLength(1);
    expect(JSON.stringify(s3[0].Resource)).toMatch(/\/control\/feed=stations\/\*"\]\]\}$/);
  });

  test('the poller writes and reads the feed\'s control folder only', () => {
    const [[, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('StationsPollerRole'));
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const objects = statements.find((s) => JSON.stringify(s.Action) === '["s3:PutObject","s3:GetObject"]');
    expect(JSON.stringify(objects.Resource)).toContain('/control/feed=stations/*');
    const list = statements.find((s) => s.Action === 's3:ListBucket');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['control/feed=stations/*'] } });
  });

  test('grantStartRun: StartExecution on this state machine (the poller otherwise)', () => {
    const distributed = testStack();
    const fed = new ApiToFirehoseIngestion(distributed, 'D', { source: source(), executionMode: ExecutionMode.distributed() });
    const role = new iam.Role(distributed, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    fed.grantStartRun(role);
    const distributedMachine = Object.entries(templateOf(distributed).toJSON().Resources as Record<string, any>)
      .find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')![0];
    const single = testStack();
    const plain = new ApiToFirehoseIngestion(single, 'P', { source: ApiSource.http({ url: 'https://api.example.com/x', records: Records.at('d') }) });
    const other = new iam.Role(single, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    plain.grantStartRun(other);
    const statementsOf = (s: Stack, id: string) => Object.entries(templateOf(s).toJSON().Resources as Record<string, any>)
      .find(([key]) => key.startsWith(id))![1].Properties.PolicyDocument.Statement;
    expect(statementsOf(distributed, 'OperatorDefaultPolicy')).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: distributedMachine } })]);
    expect(statementsOf(single, 'OperatorDefaultPolicy')[0].Action).toBe('lambda:InvokeFunction');
    expect(plain.stateMachine).toBeUndefined();
  });
});

describe('the default concurrency follows the rate budget and the stream\'s quota', () => {
  test.each([
    ['us-east-1', 200, 40],
    ['us-east-1', 5000, 50],
    ['eu-central-1', 200, 10],
    ['eu-central-1', 20, 4],
    ['us-west-2', undefined, 10],
  ])('in %s at %s requests/s: %d workers', (region, rate, workers) => {
    expect(defaultMaxConcurrency(region, rate)).toBe(workers);
  });
});

const source = () => ApiSource.http({
  url: 'https://api.example.com/v1/{{ partition.id }}', records: Records.at('d'), partitions: Partitions.list([{ id: 'a' }]),
});
test.each([
  [{ maxConcurrency: 0 }, /ExecutionMode.distributed\(\{ maxConcurrency \}\) is 0: set a whole number from 1 to 10000/],
  [{ itemsPerBatch: 2.5 }, /ExecutionMode.distributed\(\{ itemsPerBatch \}\) is 2.5: set a whole number from 1 to 1000/],
  [{ toleratedFailurePercentage: 120 }, /toleratedFailurePercentage \}\) is 120: set a percentage from 0 to 100/],
  [{ runTimeout: Duration.seconds(10) }, /runTimeout \}\) is 10 seconds: set from 1 minute to 1 year/],
])('ExecutionMode.distributed(%j) fails at synth with what to change', (props, message) => {
  expect(() => new ApiToFirehoseIngestion(testStack(), 'F', { source: source(), executionMode: ExecutionMode.distributed(props) })).toThrow(message);
});

describe('a synth warning suggests distributed() when a run cannot fit one invocation', () => {
  const stations = (count: number, limits = {}) => ApiSource.http({
    url: 'https://api.example.com/v1/stations/{{ partition.id }}',
    records: Records.at('d'),
    partitions: Partitions.list(Array.from({ length: count }, (_, i) => ({ id: `s${i}` }))),
    limits,
  });
  const warnings = (s: Stack) => Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('runOutgrowsInvocation|ExecutionMode.distributed'));

  test('2,000 partitions at 5 requests/s: at least 400 s, more than the 240 s a 5-minute poller has', () => {
    const s = testStack();
    new ApiToFirehoseIngestion(s, 'F', { source: stations(2000, { requestsPerSecond: 5 }) });
    const [warning] = warnings(s);
    expect(warning.entry.data).toMatch(/a run makes at least 2000 requests .* about 400 s .* more than the 240 s one poller invocation has.*ExecutionMode.distributed\(\).*ExecutionMode.durable\(\)/);
  });

  test('no warning for a feed that fits, nor for one already distributed or durable', () => {
    const fits = testStack();
    new ApiToFirehoseIngestion(fits, 'F', { source: stations(200, { requestsPerSecond: 5 }) });
    expect(warnings(fits)).toEqual([]);
    const distributed = testStack();
    new ApiToFirehoseIngestion(distributed, 'F', { source: stations(2000, { requestsPerSecond: 5 }), executionMode: ExecutionMode.distributed() });
    expect(warnings(distributed)).toEqual([]);
    const durable = testStack();
    new ApiToFirehoseIngestion(durable, 'F', { source: stations(2000, { requestsPerSecond: 5 }), executionMode: ExecutionMode.durable() });
    expect(warnings(durable)).toEqual([]);
  });
});

describe('a distributed feed without partitions maps one item per run', () => {
  const single = (query: Record<string, string>) => ApiSource.http({
    url: 'https://api.example.com/v1/events',
    records: Records.at('d'),
    query,
    incremental: Incremental.datetime({ recordPath: 'at', start: '2026-01-01T00:00:00Z' }),
  });

  test('one that cannot be backfilled fails at synth, naming the fix', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'F', { source: single({ since: '{{ cursor }}' }), executionMode: ExecutionMode.distributed() }))
      .toThrow(/ExecutionMode.distributed\(\) on a feed without partitions maps one work item per run, and the feed cannot be backfilled.*remove executionMode.*or add partitions/);
  });

  test('one that can be backfilled synthesizes with a warning that names backfills as the reason to keep it', () => {
    const s = testStack();
    new ApiToFirehoseIngestion(s, 'F', { source: single({ since: '{{ window.start }}', until: '{{ window.end }}' }), executionMode: ExecutionMode.distributed() });
    const found = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('distributedWithoutPartitions'));
    expect(found).toHaveLength(1);
    expect(found[0].entry.data).toMatch(/maps one work item per scheduled run: it pays off only for backfills/);
  });
});
