import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * The queue that receives the feed's dead letters: a new encrypted one (with your settings on top),
 * or an existing standard queue. Set at most one of the two.
 */
export interface FeedDeadLetterQueueOptions {
  /**
   * An existing standard SQS queue for dead letters, for example one queue that an on-call
   * team watches for several feeds. Give it a retention long enough to redrive (14 days).
   *
   * @default - a new queue, see `deadLetterQueueProps`
   */
  readonly existingDeadLetterQueue?: sqs.IQueue;

  /**
   * Settings of the new dead-letter queue, laid over its secure defaults (encrypted, SSL only,
   * 14-day retention, retained on stack deletion). Not allowed with `existingDeadLetterQueue`.
   *
   * @default - the secure defaults only
   */
  readonly deadLetterQueueProps?: sqs.QueueProps;
}
