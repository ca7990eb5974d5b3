import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { mathNumber } from '../../src/monitoring/feed-dashboard';
import { weatherFeed } from '../helpers/example-feeds';
import { templateOf, testStack } from '../helpers/synth';

describe('the feed dashboard', () => {
  test('the cost graph writes prices as metric math reads them (2e-7 would be read as an identifier e)', () => {
    const stack = testStack();
    weatherFeed(stack, 'Weather', { dashboardEnabled: true });
    const body = JSON.stringify(templateOf(stack).findResources('AWS::CloudWatch::Dashboard'));
    const expressions = [...body.matchAll(/\\"expression\\":\\"([^\\]*)\\"/g)].map((m) => m[1]);
    expect(expressions.some((e) => e.includes('invocations * 0.0000002'))).toBe(true);
    expect(expressions.filter((e) => /\d[eE][-+]?\d/.test(e))).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('references unknown identifiers'))).toEqual([]);
  });

  test('the data checks graph draws the partitions a run left for the next one (a feed that keeps outgrowing its time budget shows there)', () => {
    const stack = testStack();
    weatherFeed(stack, 'Weather', { dashboardEnabled: true });
    const body = JSON.stringify(templateOf(stack).findResources('AWS::CloudWatch::Dashboard'));
    const dataChecks = body.slice(body.indexOf('Data checks'));
    expect(dataChecks.slice(0, dataChecks.indexOf('"title\\"', 20))).toMatch(/PartitionsHeld.*partitions held for the next run/);
  });

  test.each([[2e-7, '0.0000002'], [0.0000133334, '0.0000133334'], [0.029, '0.029'], [1536 / 1024, '1.5'], [1e21, '1000000000000000000000']])(
    'mathNumber(%p) is %p', (value, text) => {
      expect(mathNumber(value)).toBe(text);
    });
});
