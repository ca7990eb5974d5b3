import { App, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { weatherFeed } from '../helpers/example-feeds';
import { cfnLint, templateOf, testStack } from '../helpers/synth';

describe('compliance of the synthesized template', () => {
  test('cdk-nag AwsSolutions and Serverless packs report no unacknowledged findings', () => {
    const app = new App();
    const stack = testStack(app);
    weatherFeed(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    // cdk-nag 3 reports findings as validation errors that fail synth, listing each finding.
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag does fail synth on an unacknowledged finding (the check is live)', () => {
    const app = new App();
    const stack = testStack(app);
    weatherFeed(stack);
    // A bucket with none of the construct's defaults must be reported.
    new Bucket(stack, 'PlainBucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('cfn-lint reports no errors or warnings', () => {
    const stack = testStack();
    weatherFeed(stack);
    expect(cfnLint(templateOf(stack).toJSON())).toBe('');
  });
});
