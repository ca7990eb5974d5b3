/** The poller's V8 sizes: ours where the user set none, the user's kept as they are. */
import { pollerNodeOptions } from '../../src/poller/node-options';

describe('pollerNodeOptions', () => {
  test('a 4 MiB semi-space and the runtime\'s old space (memory less a tenth)', () => {
    expect(pollerNodeOptions(512)).toBe('--max-semi-space-size=4 --max-old-space-size=461');
    expect(pollerNodeOptions(1769)).toBe('--max-semi-space-size=4 --max-old-space-size=1593');
  });

  test('a user\'s own sizes replace ours, in either spelling; other options are kept after ours', () => {
    expect(pollerNodeOptions(512, '--max_semi_space_size=8')).toBe('--max-old-space-size=461 --max_semi_space_size=8');
    expect(pollerNodeOptions(512, '--max-old-space-size=300 --enable-source-maps')).toBe('--max-semi-space-size=4 --max-old-space-size=300 --enable-source-maps');
  });
});
