import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/**
 * The DynamoDB table that holds the feed's cursors, checkpoints and run lease.
 */
export interface FeedStateTableOptions {
  /**
   * An existing DynamoDB table for the feed's cursors and run lease, for example one table for
   * all feeds of an account. Its key must be `pk` (string) and `sk` (string); items are keyed by
   * feed, so feeds can share it.
   *
   * @default - a new on-demand, encrypted, point-in-time recoverable table, retained on stack deletion
   */
  readonly existingStateTable?: dynamodb.ITable;
}
