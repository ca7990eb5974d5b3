import { App, Aspects, CfnResource, Validations } from 'aws-cdk-lib';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as nagV2 from 'cdk-nag-v2';
import { weatherFeed } from '../helpers/example-feeds';
import { nagV2Findings } from '../helpers/nag-v2';
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

  test('cdk-nag 2 does report an unsuppressed finding (the check is live)', () => {
    const app = new App();
    const stack = testStack(app);
    weatherFeed(stack);
    new Bucket(stack, 'PlainBucket');
    Aspects.of(app).add(new nagV2.AwsSolutionsChecks());
    app.synth();
    const findings = nagV2Findings(stack);
    expect(findings.some((line) => line.startsWith('/TestStack/PlainBucket/Resource AwsSolutions-S1'))).toBe(true);
    // Only the plain bucket: the feed's own resources carry their suppressions.
    expect(findings.filter((line) => !line.startsWith('/TestStack/PlainBucket/'))).toEqual([]);
  });

  test("a user's own cdk-nag 2 suppressions on the feed's resources are kept beside the library's", () => {
    const app = new App();
    const stack = testStack(app);
    const feed = weatherFeed(stack);
    nagV2.NagSuppressions.addResourceSuppressions(feed.deadLetterQueue, [{ id: 'AwsSolutions-SQS4', reason: 'Our own reason, kept as written.' }]);
    Aspects.of(app).add(new nagV2.AwsSolutionsChecks());
    app.synth();
    const queue = stack.node.findChild('Weather').node.findChild('DeadLetterQueue').node.defaultChild as CfnResource;
    const rules: Array<{ id: string }> = queue.getMetadata('cdk_nag').rules_to_suppress;
    expect(rules.map((rule) => rule.id)).toEqual(expect.arrayContaining(['AwsSolutions-SQS4', 'AwsSolutions-SQS3']));
    expect(new Set(rules.map((rule) => JSON.stringify(rule))).size).toBe(rules.length);
  });

  test('cfn-lint does report findings (the check is live)', () => {
    const stack = testStack();
    weatherFeed(stack);
    // A VPC built without AZ lookups hardcodes availability zones, which cfn-lint warns about.
    new Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(cfnLint(templateOf(stack).toJSON())).toMatch(/W3010/);
  });
});
