import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CONFIGURATIONS } from '../helpers/configurations';
import { nagV2FindingsAfterSynth } from '../helpers/nag-v2';
import { cfnLint, checkovFailures, templateOf } from '../helpers/synth';

/**
 * Every representative configuration: its reviewed snapshot, cdk-nag's AwsSolutions and
 * Serverless packs with no unacknowledged finding under cdk-nag 3 and under cdk-nag 2, cfn-lint with
 * no finding, and checkov with no failed check (each check that does not apply is skipped in the
 * template with its reason).
 */
describe.each(Object.keys(CONFIGURATIONS))('configuration: %s', (name) => {
  test('matches the reviewed snapshot (asset hashes masked)', () => {
    const { stack } = CONFIGURATIONS[name]();
    expect(templateOf(stack).toJSON()).toMatchSnapshot();
  });

  test('cdk-nag AwsSolutions and Serverless packs report no unacknowledged findings', () => {
    const app = new App();
    CONFIGURATIONS[name](app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag 2 (an aspect reading resource metadata) reports no unsuppressed findings', () => {
    const app = new App();
    expect(nagV2FindingsAfterSynth({ app, stack: CONFIGURATIONS[name](app).stack })).toEqual([]);
  });

  test('cfn-lint reports no errors or warnings', () => {
    const { stack } = CONFIGURATIONS[name]();
    expect(cfnLint(templateOf(stack).toJSON())).toBe('');
  });

  test('checkov reports no failed check', () => {
    const { stack } = CONFIGURATIONS[name]();
    expect(checkovFailures(templateOf(stack).toJSON())).toEqual([]);
  });
});
