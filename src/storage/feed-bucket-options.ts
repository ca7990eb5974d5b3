import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The bucket a feed delivers to: a new one with secure defaults (and your settings on top), or an
 * existing one. Set at most one of the two.
 */
export interface FeedBucketOptions {
  /**
   * An existing bucket to deliver to, instead of a new one; for example a central data lake
   * bucket, or the bucket of another feed (`otherFeed.bucket`). If it is encrypted with a KMS
   * key, import it with `Bucket.fromBucketAttributes({ bucketArn, encryptionKey })` so the
   * stream and the poller get that key. Its security settings are the owner's business.
   *
   * @default - a new bucket, see `bucketProps`
   */
  readonly existingBucket?: s3.IBucket;

  /**
   * Settings of the new bucket, laid over its secure defaults (SSE, SSL only, public access
   * blocked, server access logs to a separate bucket, retained on stack deletion). Use it for
   * versioning, lifecycle rules (`lifecycleRules` to expire or transition old data), a bucket
   * name, or your own access-log bucket. Not allowed with `existingBucket`.
   *
   * @default - the secure defaults only
   */
  readonly bucketProps?: s3.BucketProps;
}
