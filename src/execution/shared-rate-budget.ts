/**
 * A request budget for one API host that several feeds share: the API's own limit (an account's
 * requests a second) holds across every feed and worker that calls it.
 */
import { Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { hostRateBudget } from '../feed-spec/poller-contract';
import { usageError } from '../private/usage-error';
import { feedStateTable } from '../storage/feed-state-table';

/** A request budget for one API host, shared by the feeds given it. */
export interface SharedRateBudgetProps {
  /** The API host whose requests share the budget, e.g. `api.github.com` (a host name: no scheme, port or path). */
  readonly host: string;

  /** Requests a second that all the feeds using the budget stay within together. */
  readonly requestsPerSecond: number;

  /**
   * A DynamoDB table of your own for the budget's counter (key `pk` and `sk`, strings), for
   * example a feed's state table. Budgets for different hosts can share one.
   *
   * @default - a new on-demand, encrypted, point-in-time recoverable table
   */
  readonly existingTable?: dynamodb.ITable;

  /**
   * Encrypt the new table with this key.
   *
   * @default - the AWS-managed key
   */
  readonly encryptionKey?: kms.IKey;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * A requests-a-second budget for one API host, kept in DynamoDB and shared by every feed given it
 * (`sharedRateBudgets`) and every worker of those feeds: each request to the host takes one of
 * the budget's slots, so together they never start more requests a second than the budget,
 * whatever each feed's own `limits.requestsPerSecond`. One DynamoDB write per request.
 *
 * @example
 * const github = new SharedRateBudget(this, 'GitHub', { host: 'api.github.com', requestsPerSecond: 10 });
 * new ApiToFirehoseIngestion(this, 'Issues', { source: issues, sharedRateBudgets: [github] });
 * new ApiToFirehoseIngestion(this, 'Pulls', { source: pulls, sharedRateBudgets: [github] });
 */
export class SharedRateBudget extends Construct {
  /** The host whose requests take from the budget (lowercase). */
  public readonly host: string;
  /** The budget: requests a second across every feed using it. */
  public readonly requestsPerSecond: number;
  /** The table that holds the budget's counter. */
  public readonly table: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: SharedRateBudgetProps) {
    super(scope, id);
    const host = props.host.trim().toLowerCase();
    if (!Token.isUnresolved(props.host) && !HOST_NAME.test(host)) {
      throw usageError(`SharedRateBudget ${this.node.path}: host "${props.host}" must be a host name such as api.github.com (no scheme, port or path)`);
    }
    if (!Number.isFinite(props.requestsPerSecond) || props.requestsPerSecond <= 0) {
      throw usageError(`SharedRateBudget ${this.node.path}: requestsPerSecond must be above 0 (got ${props.requestsPerSecond}), e.g. 0.5 for one request every 2 s`);
    }
    if (props.existingTable && props.encryptionKey) {
      throw usageError(`SharedRateBudget ${this.node.path}: encryptionKey is for the table the budget creates; an existingTable keeps its own encryption. Remove one of them`);
    }
    this.host = host;
    this.requestsPerSecond = props.requestsPerSecond;
    this.table = feedStateTable(this, { existingStateTable: props.existingTable, encryptionKey: props.encryptionKey });
  }

  /**
   * Lets `grantee` take slots from the budget: `dynamodb:UpdateItem` on the budget's own item of
   * the table (the `dynamodb:LeadingKeys` condition), and the table's key if it has one.
   */
  public grantUse(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [hostRateBudget(this.host)] } },
    });
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }
}
