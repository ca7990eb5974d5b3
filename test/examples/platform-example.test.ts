import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildPlatformApp } from '../../examples/platform/app';
import { nagV2FindingsAfterSynth } from '../helpers/nag-v2';
import { cfnLint, templateOf } from '../helpers/synth';

describe('the platform example (README "Configuring the construct")', () => {
  test('cdk-nag AwsSolutions and Serverless packs report no unacknowledged findings', () => {
    const { app } = buildPlatformApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag 2 reports no unsuppressed findings either', () => {
    expect(nagV2FindingsAfterSynth(buildPlatformApp())).toEqual([]);
  });

  test('cfn-lint reports no errors or warnings', () => {
    const { stack } = buildPlatformApp();
    expect(cfnLint(templateOf(stack).toJSON())).toBe('');
  });

  test('the second feed shares the first feed\'s queue and table, and analysts may read only the prices folder', () => {
    const { stack } = buildPlatformApp();
    const template = templateOf(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const analysts = Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .find((p) => JSON.stringify(p.Properties.Roles) === '["data-analysts"]');
    expect(JSON.stringify(analysts.Properties.PolicyDocument)).toContain('arn:aws:s3:::corp-data-lake/feed=prices/*');
    expect(JSON.stringify(analysts.Properties.PolicyDocument)).not.toContain('feed=weather');
  });

  test('the orders feed is durable: its schedule invokes the poller\'s live alias, the function runs 12 hours at most and dead-letters into the shared queue', () => {
    const { stack } = buildPlatformApp();
    const resources = templateOf(stack).toJSON().Resources as Record<string, any>;
    const [ordersPoller] = Object.entries(resources).filter(([id, r]) => id.startsWith('OrdersPoller') && r.Type === 'AWS::Lambda::Function');
    expect(ordersPoller[1].Properties.DurableConfig).toEqual({ ExecutionTimeout: 43_200, RetentionPeriodInDays: 14 });
    const [aliasId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Alias')!;
    const schedule = Object.entries(resources).find(([id, r]) => id.startsWith('OrdersSchedule') && r.Type === 'AWS::Scheduler::Schedule')![1];
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: aliasId });
    const aliasConfig = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.Qualifier).includes(aliasId));
    expect(JSON.stringify(aliasConfig.Properties.DestinationConfig.OnFailure.Destination)).toContain('PricesDeadLetterQueue');
  });
});
