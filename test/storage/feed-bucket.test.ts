/** The feed's bucket: secure defaults a user can add to but not remove by accident. */
import * as s3 from 'aws-cdk-lib/aws-s3';
import { feedBucket } from '../../src/storage/feed-bucket';
import { templateOf, testStack } from '../helpers/synth';

const synthError = (message: string): never => { throw new Error(message); };

describe('feedBucket', () => {
  test('a new bucket is versioned, encrypted, SSL-only, private and access-logged; unset props keep the defaults', () => {
    const stack = testStack();
    feedBucket(stack, { bucketProps: { versioned: undefined, enforceSSL: undefined }, synthError });
    const buckets = Object.values<any>(templateOf(stack).findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    const data = buckets.find((b) => b.Properties.LoggingConfiguration);
    expect(data.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    templateOf(stack).hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] } });
  });

  test('an existing bucket is used as it is; with bucketProps too it is an error', () => {
    const stack = testStack();
    const existing = s3.Bucket.fromBucketName(stack, 'Lake', 'corp-lake');
    expect(feedBucket(stack, { existingBucket: existing, synthError })).toBe(existing);
    expect(() => feedBucket(stack, { existingBucket: existing, bucketProps: {}, synthError })).toThrow(/existingBucket and bucketProps are both set/);
  });

  test('an unencrypted or public bucket is refused', () => {
    expect(() => feedBucket(testStack(), { bucketProps: { encryption: s3.BucketEncryption.UNENCRYPTED }, synthError })).toThrow(/UNENCRYPTED/);
    expect(() => feedBucket(testStack(), { bucketProps: { publicReadAccess: true }, synthError })).toThrow(/must not be public/);
  });
});
