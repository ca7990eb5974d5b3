import { App, Validations } from 'aws-cdk-lib';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { weatherFeed } from '../helpers/example-feeds';
import { cfnLint, templateOf, testStack } from '../helpers/synth';

// Every configuration is checked in configurations.test.ts; this proves the check itself is live.
describe('compliance checks', () => {
  test('cdk-nag does fail synth on an unacknowledged finding (the check is live)', () => {
    const app = new App();
    const stack = testStack(app);
    weatherFeed(stack);
    // A bucket with none of the construct's defaults must be reported.
    new Bucket(stack, 'PlainBucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('cfn-lint does report findings (the check is live)', () => {
    const stack = testStack();
    weatherFeed(stack);
    // A VPC built without AZ lookups hardcodes availability zones, which cfn-lint warns about.
    new Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(cfnLint(templateOf(stack).toJSON())).toMatch(/W3010/);
  });
});
