/**
 * `ExecutionMode.durable()` at synth: the poller as a Lambda durable function (its own bundle, its
 * durable configuration), invoked by the `live` alias on this deployment's version by the schedule
 * and the run endpoint, with only the permissions durable executions need, and the synth errors
 * for what Lambda does not allow or the mode cannot do.
 */
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, ExecutionMode, Records } from '../../src';
import { CONFIGURATIONS } from '../helpers/configurations';
import { templateOf, testStack } from '../helpers/synth';

const { stack, feeds: [feed] } = CONFIGURATIONS['a durable run: a slow export API waited on without compute, backfilled in one execution']();
const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const [[pollerId, poller]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('OrdersPoller'));

describe('a durable feed', () => {
  test('the poller is a durable function with the timeout and retention asked for, running the durable bundle', () => {
    expect(poller.Properties.DurableConfig).toEqual({ ExecutionTimeout: 43_200, RetentionPeriodInDays: 30 });
    expect(poller.Properties.Runtime).toBe('nodejs24.x');
    // The durable bundle (with the durable execution SDK) is the asset, not the default poller's.
    const assetHash = (dir: string) => new s3assets.Asset(new Stack(), 'Asset', { path: path.join(__dirname, '..', '..', 'assets', dir) }).assetHash;
    expect(poller.Properties.Code.S3Key).toBe(`${assetHash('poller-durable')}.zip`);
    expect(assetHash('poller-durable')).not.toBe(assetHash('poller'));
    expect(poller.Properties.Environment.Variables.BACKFILL_CONCURRENCY).toBe('2');
    // The poller begins no wait that would outlast its execution.
    expect(poller.Properties.Environment.Variables.DURABLE_EXECUTION_TIMEOUT_SECONDS).toBe('43200');
  });

  test('the schedule and the run endpoint invoke the live alias on this deployment\'s version; the alias dead-letters like the function', () => {
    const [[aliasId, alias]] = ofType('AWS::Lambda::Alias');
    const [[versionId]] = ofType('AWS::Lambda::Version');
    expect(alias.Properties).toMatchObject({ Name: 'live', FunctionName: { Ref: pollerId }, FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] } });
    expect(feed.pollerAlias).toBeDefined();
    const [[, schedule]] = ofType('AWS::Scheduler::Schedule');
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: aliasId });
    const [[, endpoint]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('OrdersStartRun'));
    expect(JSON.stringify(endpoint.Properties.Environment.Variables.POLLER_FUNCTION_NAME)).toContain(':live');
    expect(endpoint.Properties.Environment.Variables.BACKFILLS).toBe('true');
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    expect(configs.map((c) => c.Qualifier)).toEqual(['$LATEST', { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: aliasId }] }] }]);
    for (const config of configs) {
      expect(config).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 });
      expect(config.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OrdersDeadLetterQueue/), 'Arn'] });
    }
  });

  test('the poller may checkpoint, read its state and start its continuation on its own versions only, before anything invokes it', () => {
    const [[policyId, policy]] = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('OrdersPollerDurablePolicy'));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: ['lambda:CheckpointDurableExecution', 'lambda:GetDurableExecutionState', 'lambda:InvokeFunction'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [pollerId, 'Arn'] }, ':*']] },
    }]);
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^OrdersPollerRole/) }]);
    // No AWS managed policy (AWSLambdaBasicDurableExecutionRolePolicy grants logs and checkpoints on every function).
    const [[, role]] = ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('OrdersPollerRole'));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const [[aliasId]] = ofType('AWS::Lambda::Alias');
    expect(resources[aliasId].DependsOn).toContain(policyId);
    // The function itself does not wait for it (the policy names the function).
    expect(poller.DependsOn).not.toContain(policyId);
  });

  test('the role grants nothing else durable-specific: the default policy is the single-invocation poller\'s', () => {
    const [[, defaults]] = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('OrdersPollerRoleDefaultPolicy'));
    const actions = (defaults.Properties.PolicyDocument.Statement as any[]).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('lambda:'))).toEqual([]);
  });
});

describe('synth errors name the fix', () => {
  const build = (props: Partial<ApiToFirehoseIngestionProps>) => () => new ApiToFirehoseIngestion(testStack(), 'Prices', {
    source: ApiSource.http({ url: 'https://api.example.com/v1/quotes', records: Records.at('quotes') }),
    ...props,
  });

  test.each([
    ['an execution timeout under a second', { executionTimeout: Duration.millis(500) },
      /ExecutionMode.durable\(\{ executionTimeout \}\) is 500 millis: Lambda allows whole seconds from 1 second to 366 days; set e.g. Duration.days\(1\)/],
    ['an execution timeout over 366 days', { executionTimeout: Duration.days(367) }, /is 367 days: Lambda allows whole seconds from 1 second to 366 days/],
    ['an execution shorter than one invocation', { executionTimeout: Duration.minutes(2) },
      /executionTimeout \}\) is 2 minutes, shorter than one invocation \(pollerOptions.timeout 5 minutes\): set an executionTimeout of at least 5 minutes/],
    ['a retention of hours', { retentionPeriod: Duration.hours(36) },
      /ExecutionMode.durable\(\{ retentionPeriod \}\) is 1 day 12 hours: Lambda keeps a closed execution's history for whole days from 1 to 90; set e.g. Duration.days\(14\)/],
    ['a retention over 90 days', { retentionPeriod: Duration.days(91) }, /retentionPeriod \}\) is 91 days: .*whole days from 1 to 90/],
    ['no backfill window at a time', { backfillConcurrency: 0 }, /backfillConcurrency \}\) is 0: set a whole number from 1 to 20 .*ExecutionMode.distributed\(\)/],
    ['too many windows at a time', { backfillConcurrency: 21 }, /backfillConcurrency \}\) is 21: set a whole number from 1 to 20/],
  ])('%s', (_name, durable, message) => {
    expect(build({ executionMode: ExecutionMode.durable(durable) })).toThrow(message);
  });

  test('durable with pollInterval: one polls in a loop inside an invocation, the other waits between invocations', () => {
    expect(build({
      executionMode: ExecutionMode.durable(),
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      pollInterval: Duration.seconds(10),
      pollerOptions: { timeout: Duration.minutes(2) },
    })).toThrow(/pollInterval polls in a loop inside one invocation until the next tick; a durable run waits between passes instead: remove pollInterval, or use ExecutionMode.singleInvocation\(\)/);
  });

  test('the limits at their edges synthesize: 366 days and 90 days; an execution as long as one invocation kept 1 day', () => {
    const durable = (executionTimeout: Duration, retentionPeriod: Duration) => ExecutionMode.durable({ executionTimeout, retentionPeriod });
    expect(build({ executionMode: durable(Duration.days(366), Duration.days(90)) })).not.toThrow();
    expect(build({ executionMode: durable(Duration.minutes(5), Duration.days(1)) })).not.toThrow();
  });

  test('durable with distributed cannot be written: one execution mode per feed', () => {
    // The choice is one value; there is no prop to combine them (checked here so it stays so).
    const modes = [ExecutionMode.durable(), ExecutionMode.distributed(), ExecutionMode.singleInvocation()].map((mode) => mode._kind);
    expect(new Set(modes).size).toBe(3);
  });

  test('grantStartRun lets a caller invoke the alias (the function and its qualifiers)', () => {
    const s = testStack();
    const durableFeed = new ApiToFirehoseIngestion(s, 'F', {
      source: ApiSource.http({ url: 'https://api.example.com/v1/x', records: Records.at('d') }),
      executionMode: ExecutionMode.durable(),
    });
    durableFeed.grantStartRun(new iam.Role(s, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
    const policy = Object.entries(templateOf(s).toJSON().Resources as Record<string, any>).find(([id]) => id.startsWith('OperatorDefaultPolicy'))![1];
    const [statement] = policy.Properties.PolicyDocument.Statement;
    expect(statement.Action).toBe('lambda:InvokeFunction');
    expect(JSON.stringify(statement.Resource)).toContain(':*');
  });
});
