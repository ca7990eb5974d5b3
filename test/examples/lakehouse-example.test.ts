import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildLakehouseApp } from '../../examples/lakehouse/app';
import { nagV2FindingsAfterSynth } from '../helpers/nag-v2';
import { cfnLint, templateOf } from '../helpers/synth';

describe('the lakehouse example (README "Typed tables")', () => {
  test('cdk-nag AwsSolutions and Serverless packs report no unacknowledged findings', () => {
    const { app } = buildLakehouseApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag 2 reports no unsuppressed findings either', () => {
    expect(nagV2FindingsAfterSynth(buildLakehouseApp())).toEqual([]);
  });

  test('cfn-lint reports no errors or warnings', () => {
    const { stack } = buildLakehouseApp();
    expect(cfnLint(templateOf(stack).toJSON())).toBe('');
  });

  test('both tables are in the shared database, and analysts may query them and read only their folders', () => {
    const { stack } = buildLakehouseApp();
    const template = templateOf(stack);
    // The shared database, and the resource link to the S3 Tables namespace.
    template.resourceCountIs('AWS::Glue::Database', 2);
    const tables = Object.values<any>(template.findResources('AWS::Glue::Table'));
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(['quotes', 'trades']);
    expect(tables.find((t) => t.Properties.TableInput.Name === 'trades').Properties.OpenTableFormatInput.IcebergInput.Version).toBe('2');
    const analysts = Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .find((p) => JSON.stringify(p.Properties.Roles) === '["data-analysts"]');
    const document = JSON.stringify(analysts.Properties.PolicyDocument);
    expect(document).toContain('glue:GetPartitions');
    expect(document).toContain('workgroup/primary');
    expect(document).toContain('/feed=quotes/*');
    expect(document).toContain('/feed=trades/*');
    expect(document).not.toContain('/feed=books/*');
    // Quotes are filed under when they were made (TimePartitioning.eventTime()): the table's time partitions follow quoted_at.
    const quotes = tables.find((t) => t.Properties.TableInput.Name === 'quotes').Properties.TableInput;
    expect(quotes.PartitionKeys.map((key: any) => key.Name)).toEqual(['year', 'month', 'day', 'hour']);
    expect(quotes.Parameters['projection.year.range']).toBe('2000,2099');
    // The order books are in S3 Tables: a namespace, the table and its Lake Formation grants.
    template.resourceCountIs('AWS::S3Tables::Table', 1);
    template.resourceCountIs('AWS::LakeFormation::PrincipalPermissions', 2);
  });
});
