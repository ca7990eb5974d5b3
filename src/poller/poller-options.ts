import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Settings of the poller Lambda function.
 */
export interface PollerOptions {
  /**
   * Memory of the poller, in MB (Lambda gives CPU in proportion). Raise it for APIs with large
   * pages or many partitions: the poller is CPU-bound while it wraps and packs records.
   *
   * The poller's V8 heap is sized from it through `NODE_OPTIONS`: the old space the Lambda runtime
   * would give (nine tenths of the memory) and a 4 MiB semi-space instead of the runtime's
   * twentieth of the memory. That keeps a long run's peak memory near a short run's, at the CPU
   * cost of the runtime's own sizes (docs/BENCHMARKS.md).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * How long one run may take. The poller stops fetching before the timeout, commits what it
   * delivered and continues on the next run, so raise it only for feeds that are always behind.
   * From 30 seconds to 15 minutes.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;

  /**
   * Concurrent executions reserved for (and limited to) the poller. A run lease already keeps
   * overlapping runs of a feed from fetching twice; set 1 to make overlap impossible, or a
   * higher value to protect the rest of the account from a misbehaving feed.
   *
   * @default - no reservation: the poller uses the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * A VPC to run the poller in, for APIs reachable only from inside it (private endpoints, a
   * proxy, a fixed egress IP through a NAT gateway). The subnets need a route to the API and to
   * Firehose, SQS, DynamoDB, S3 and Secrets Manager (NAT or VPC endpoints).
   *
   * @default - the poller runs outside any VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` to run the poller in.
   * Set it to pick subnets with the route the poller needs (NAT or VPC endpoints).
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the poller in `vpc`.
   * Set it when the API or a proxy admits only known security groups.
   *
   * @default - a new security group that allows all outbound traffic and no inbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Extra environment variables of the poller, for example `NODE_OPTIONS` or an `HTTPS_PROXY`.
   * A `NODE_OPTIONS` given here is kept, after the construct's V8 heap sizes (see `memorySize`);
   * a `--max-semi-space-size` or `--max-old-space-size` in it replaces the construct's.
   * Never put secrets here: environment variables are in the template in plain text. Reference
   * secrets from the spec's auth instead (`Auth.bearerToken(secret)`), which reads them from
   * Secrets Manager at run time.
   *
   * @default - only the variables the poller needs
   */
  readonly environment?: Record<string, string>;

  /**
   * How long the poller's log group keeps logs. Shorten it to save cost, lengthen it for audits.
   *
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}
