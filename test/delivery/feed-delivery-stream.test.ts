/** The delivery stream's key layout comes from the poller contract, and its prefixes are checked before CloudFormation sees them. */
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DynamicPartitioning } from '../../src';
import { createFeedDeliveryStream, defaultDataOutputPrefix, defaultErrorOutputPrefix } from '../../src/delivery/feed-delivery-stream';
import { fixedFolder } from '../../src/delivery/prefixes';
import { FIREHOSE_TIME_FOLDERS, timeFolders } from '../../src/feed-spec/poller-contract';
import { testStack } from '../helpers/synth';

const synthError = (message: string): never => { throw new Error(message); };

describe('feed delivery stream', () => {
  test('the default prefixes: feed folder, partition keys, then the time folders the local sink writes too', () => {
    expect(defaultDataOutputPrefix('prices')).toBe(`feed=prices/${FIREHOSE_TIME_FOLDERS}`);
    expect(defaultDataOutputPrefix('prices', DynamicPartitioning.byRecordFields({ exchange: 'exchange' })))
      .toBe(`feed=prices/exchange=!{partitionKeyFromQuery:exchange}/${FIREHOSE_TIME_FOLDERS}`);
    expect(defaultErrorOutputPrefix('prices')).toBe(`errors/feed=prices/!{firehose:error-output-type}/${FIREHOSE_TIME_FOLDERS}`);
    // The same layout, as Firehose expressions and as one moment's folders.
    expect(FIREHOSE_TIME_FOLDERS).toBe('year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(timeFolders(new Date('2026-03-04T05:06:07Z'))).toBe('year=2026/month=03/day=04/hour=05/');
  });

  test.each([
    ['feed=prices/year=!{timestamp:yyyy}/', 'feed=prices/'],
    ['raw/prices/!{partitionKeyFromQuery:x}/', 'raw/prices/'],
    ['!{timestamp:yyyy}/', ''],
    ['flat', ''],
  ])('the fixed folder of %s is %j', (prefix, folder) => {
    expect(fixedFolder(prefix)).toBe(folder);
  });

  test('a prefix inside the dead-letter folder is refused with what to change', () => {
    const stack: Stack = testStack();
    const bucket = new s3.Bucket(stack, 'B');
    expect(() => createFeedDeliveryStream(stack, { feed: 'f', bucket, dataOutputPrefix: 'dead-letters/x/', synthError }))
      .toThrow("dataOutputPrefix 'dead-letters/x/' is inside dead-letters/, where the poller keeps oversized dead letters; choose another prefix");
  });
});
