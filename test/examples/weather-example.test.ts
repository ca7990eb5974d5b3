import { buildWeatherApp, summarize } from '../../examples/weather/app';
import { templateOf } from '../helpers/synth';

describe('the weather example (README quick start, `npm run example`)', () => {
  test('its summary reads the spec as the poller does: a method left to the default prints as GET', () => {
    const { stack } = buildWeatherApp();
    const text = summarize(templateOf(stack).toJSON());
    expect(text).toContain('Feed        weather (spec version 1)');
    expect(text).toContain('Polls       GET https://api.open-meteo.com/v1/forecast rate(15 minutes)');
    expect(text).toContain('Records at  $');
    expect(text).not.toContain('undefined');
  });
});
