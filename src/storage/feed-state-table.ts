/**
 * The table of a feed's cursors, checkpoints and run lease: a new on-demand, encrypted,
 * point-in-time recoverable one, or an existing one the user brings (shared by several feeds).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { FeedStateTableOptions } from './feed-state-table-options';
import { skipCheckovChecks } from '../private/checkov';

export interface FeedStateTableProps extends FeedStateTableOptions {
  readonly encryptionKey?: kms.IKey;
}

/** Returns the feed's state table, creating it (id `StateTable`) unless one is given. */
export function feedStateTable(scope: Construct, props: FeedStateTableProps): dynamodb.ITable {
  if (props.existingStateTable) return props.existingStateTable;
  const table = new dynamodb.Table(scope, 'StateTable', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
    encryptionKey: props.encryptionKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  if (!props.encryptionKey) {
    skipCheckovChecks(table, [{
      id: 'CKV_AWS_119',
      comment: 'Encrypted at rest with the AWS-managed key; it holds cursors and leases, no records or secrets. Set encryptionKey for a customer-managed key.',
    }]);
  }
  return table;
}
