/**
 * Findings the library causes on resources outside its constructs: the folder wildcard that
 * grantQuery / grantReadData leave on the caller's role, and the AwsCustomResource provider that
 * an owned OpenSearch domain's access policy brings into the stack. The library acknowledges
 * exactly those, for cdk-nag 2 and 3; everything else on the caller's resources stays reported.
 */
import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import * as nagV2 from 'cdk-nag-v2';
import { ApiToFirehoseIngestion, Format } from '../../src';
import { pricesIntoOwnedDomain, typedPricesSource } from '../helpers/configurations';
import { nagV2Findings } from '../helpers/nag-v2';
import { testStack } from '../helpers/synth';

/** What the user's own domain and VPC draw: theirs to decide, acknowledged here as a user would. */
const DOMAIN_FINDINGS = ['AwsSolutions-OS2', 'AwsSolutions-OS3', 'AwsSolutions-OS4', 'AwsSolutions-OS7', 'AwsSolutions-OS8',
  'AwsSolutions-OS9[LogExport::SEARCH_SLOW_LOGS]', 'AwsSolutions-OS9[LogExport::INDEX_SLOW_LOGS]'];

interface Built { readonly vpc: ec2.Vpc; readonly domain: opensearch.Domain; readonly analysts: iam.Role; readonly lake: ApiToFirehoseIngestion }

function build(app: App): Built {
  const stack = testStack(app);
  const { vpc, domain } = pricesIntoOwnedDomain(stack);
  const lake = new ApiToFirehoseIngestion(stack, 'Lake', { feedName: 'lake', source: typedPricesSource(), format: Format.parquet() });
  const analysts = new iam.Role(stack, 'Analysts', { assumedBy: new iam.AccountRootPrincipal() });
  lake.grantQuery(analysts);
  return { vpc, domain, analysts, lake };
}

describe('findings the library causes outside its constructs', () => {
  test('cdk-nag 3: only the caller\'s own findings are left (an extra wildcard on the same role included)', () => {
    const app = new App();
    const { vpc, domain, analysts } = build(app);
    // A wildcard of the caller's own on the same role: the library must not have hidden it.
    analysts.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::team-scratch/*'] }));
    for (const id of DOMAIN_FINDINGS) Validations.of(domain).acknowledge({ id, reason: 'The test domain is the user\'s own.' });
    Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'The test VPC is the user\'s own.' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = String(error);
    }
    const failures = report.split('\n').filter((line) => /^\s+TestStack\//.test(line)).map((line) => line.trim());
    expect(failures).toEqual(['TestStack/Analysts/DefaultPolicy/Resource aws-cdk-lib.aws_iam.CfnPolicy']);
    expect(report).toContain('AwsSolutions-IAM5[Resource::arn:aws:s3:::team-scratch/*]');
    expect(report).not.toMatch(/feed=lake/);
  });

  test('cdk-nag 2: the same, from the metadata the library writes', () => {
    const app = new App();
    const { vpc, domain, analysts, lake } = build(app);
    analysts.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::team-scratch/*'] }));
    nagV2.NagSuppressions.addResourceSuppressions(domain, DOMAIN_FINDINGS.map((id) => {
      const [rule, finding] = id.split(/[[\]]/);
      return { id: rule, reason: 'The test domain is the user\'s own.', ...(finding ? { appliesTo: [finding] } : {}) };
    }));
    nagV2.NagSuppressions.addResourceSuppressions(vpc, [{ id: 'AwsSolutions-VPC7', reason: 'The test VPC is the user\'s own.' }]);
    Aspects.of(app).add(new nagV2.AwsSolutionsChecks());
    Aspects.of(app).add(new nagV2.ServerlessChecks());
    app.synth();
    expect(nagV2Findings(Stack.of(lake)).map((line) => line.replace(/: The IAM.*/, ''))).toEqual([
      '/TestStack/Analysts/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:aws:s3:::team-scratch/*]',
    ]);
  });
});
