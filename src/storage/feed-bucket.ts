/**
 * The bucket a feed delivers to: a new secure one (secure defaults first, the user's
 * `bucketProps` on top), or an existing one the user brings, for example shared by several feeds.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FeedBucketOptions } from './feed-bucket-options';
import { skipCheckovChecks } from '../private/checkov';
import { existingOrNew, keyOfNewResource, SynthError } from '../private/existing-or-new';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

export interface FeedBucketProps extends FeedBucketOptions {
  readonly encryptionKey?: kms.IKey;
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: SynthError;
}

/**
 * Returns the feed's bucket, creating it (ids `AccessLogsBucket` and `Bucket`) unless an
 * existing bucket is given.
 */
export function feedBucket(scope: Construct, props: FeedBucketProps): s3.IBucket {
  const synthError = props.synthError;
  const choice = existingOrNew(props.existingBucket, props.bucketProps,
    { existing: 'existingBucket', props: 'bucketProps', resource: 'bucket' }, synthError);
  if (choice.existing) return choice.existing;
  const overrides = choice.overrides;
  const key = keyOfNewResource(overrides.encryptionKey, props.encryptionKey, 'bucketProps.encryptionKey', 'bucket', synthError);
  if (overrides.encryption === s3.BucketEncryption.UNENCRYPTED) {
    synthError('bucketProps.encryption is UNENCRYPTED; S3 encrypts every object anyway. Use S3_MANAGED or KMS, or leave it unset');
  }
  if (overrides.publicReadAccess) {
    synthError('bucketProps.publicReadAccess is true; a data lake bucket of raw API records must not be public. Grant readers with grantReadData() instead');
  }

  // Server access logs go to their own bucket, unless the user names one.
  let accessLogsBucket = overrides.serverAccessLogsBucket;
  if (!accessLogsBucket) {
    const created = new s3.Bucket(scope, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFindings(created, ['AwsSolutions-S1'],
      'This bucket receives the data bucket\'s server access logs; logging it into itself would loop.');
    skipCheckovChecks(created, [
      { id: 'CKV_AWS_18', comment: 'This bucket receives the data bucket\'s server access logs; logging it into itself would loop.' },
      { id: 'CKV_AWS_21', comment: 'S3 writes each server access log under a new key and never overwrites one; versioning would keep nothing more.' },
    ]);
    accessLogsBucket = created;
  }
  return new s3.Bucket(scope, 'Bucket', {
    encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey: key,
    // An S3 Bucket Key cuts KMS requests (and cost) for the many objects Firehose writes.
    bucketKeyEnabled: key ? true : undefined,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    serverAccessLogsPrefix: 'data-bucket/',
    // Firehose never overwrites an object: versions are kept only of what is deleted or
    // overwritten by someone else, which is what a data lake's raw copy must survive.
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...overrides,
    serverAccessLogsBucket: accessLogsBucket,
  });
}
