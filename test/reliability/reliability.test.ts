import { runScenario, SCENARIOS } from './scenarios';

describe('reliability: every record the API served is in S3 or in the dead-letter queue', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const result = await runScenario(scenario);
    expect(result.served).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.duplicates).toBeLessThanOrEqual(result.duplicatesAllowed);
    expect(result.inS3 + result.inDlq).toBeGreaterThanOrEqual(result.served);
    if (scenario.expectedInDlq !== undefined) {
      expect(result.inDlq).toBe(scenario.expectedInDlq);
      expect(result.inS3).toBe(result.served - scenario.expectedInDlq);
    }
  }, 180_000);
});
