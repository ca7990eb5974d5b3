/**
 * A usage mistake's error carries its message as its whole stack: jsii prints that stack before a
 * Python traceback (test/python/python-package.test.ts checks what Python prints).
 */
import { ApiSource, ApiToFirehoseIngestion, Records, SharedRateBudget } from '../../src';
import { testStack } from '../helpers/synth';

function thrown(build: () => unknown): Error {
  try {
    build();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

test.each([
  ['a construct prop', () => new ApiToFirehoseIngestion(testStack(), 'Feed', {
    source: ApiSource.http({ url: 'https://api.example.com/{{ partiton.id }}', records: Records.at('d') }),
  })],
  ['a SharedRateBudget prop', () => new SharedRateBudget(testStack(), 'B', { host: 'api.example.com', requestsPerSecond: -1 })],
  ['a spec given to ApiSource.fromSpec', () => ApiSource.fromSpec({ version: 1, feed: 'f', request: { url: 'ftp://x' }, records: { path: 'd' } } as any)],
])('%s: the stack is the message, without frames of the library', (_name, build) => {
  const error = thrown(build);
  expect(error.stack).toBe(`Error: ${error.message}`);
  expect(error.message.length).toBeGreaterThan(20);
});
