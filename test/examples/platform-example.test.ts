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
});
