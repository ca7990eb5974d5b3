import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildSearchWarehouseApp } from '../../examples/search-warehouse/app';
import { nagV2FindingsAfterSynth } from '../helpers/nag-v2';
import { cfnLint, templateOf } from '../helpers/synth';

describe('the search and warehouse example (docs/DESTINATIONS.md)', () => {
  test('cdk-nag AwsSolutions and Serverless packs report no unacknowledged findings', () => {
    const { app } = buildSearchWarehouseApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag 2 reports no unsuppressed findings either', () => {
    expect(nagV2FindingsAfterSynth(buildSearchWarehouseApp())).toEqual([]);
  });

  test('cfn-lint reports no errors or warnings', () => {
    const { stack } = buildSearchWarehouseApp();
    expect(cfnLint(templateOf(stack).toJSON())).toBe('');
  });

  test('one stream per destination, the table created before its stream, and what the other teams need as outputs', () => {
    const { stack } = buildSearchWarehouseApp();
    const template = templateOf(stack).toJSON();
    const streams = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream').map((r) => r.Properties);
    expect(streams.map((s) => Object.keys(s).find((k) => k.endsWith('DestinationConfiguration'))).sort()).toEqual([
      'AmazonOpenSearchServerlessDestinationConfiguration', 'AmazonopensearchserviceDestinationConfiguration', 'RedshiftDestinationConfiguration',
    ]);
    expect(Object.values<any>(template.Resources).filter((r) => r.Type === 'Custom::RedshiftTable')).toHaveLength(1);
    expect(Object.keys(template.Outputs).sort()).toEqual(['PostsDomainAccessStatements', 'PostsIndexTemplate', 'PostsIngestPipeline', 'ReadingsTableDdl']);
    expect(template.Outputs.ReadingsTableDdl.Value).toContain('CREATE TABLE IF NOT EXISTS "iot"."readings" (');
    expect(template.Outputs.ReadingsTableDdl.Value).toContain('"battery_mv" BIGINT');
  });
});
