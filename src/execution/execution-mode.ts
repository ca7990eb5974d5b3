import type { Duration } from 'aws-cdk-lib';

/** Properties of `ExecutionMode.distributed()`. */
export interface DistributedExecutionProps {
  /**
   * Workers (Map child executions) running at once.
   *
   * @default - from the rate budget and the stream's quota: `ceil(limits.requestsPerSecond / 5)`
   * (a worker waiting about 200 ms per request), at most 10 (50 in us-east-1, us-west-2 and
   * eu-west-1, whose Direct PUT quota is 5 MiB/s instead of 1 MiB/s); 10 without a rate limit
   */
  readonly maxConcurrency?: number;

  /**
   * Work items (partitions) per worker invocation: the Distributed Map's item batcher.
   *
   * @default 10
   */
  readonly itemsPerBatch?: number;

  /**
   * Share of work items whose worker may fail (after its retries) before the Map Run fails.
   * Failed items keep their cursors; the run is reported `partial`; redriving the Map Run
   * retries only them.
   *
   * @default 10
   */
  readonly toleratedFailurePercentage?: number;

  /**
   * Longest a run may take; the state machine stops it then, and the feed's lease (which keeps
   * two runs from overlapping) lasts as long.
   *
   * @default Duration.hours(6)
   */
  readonly runTimeout?: Duration;
}

/** Properties of `ExecutionMode.durable()`. */
export interface DurableExecutionProps {
  /**
   * Longest a run's durable execution may take, waits included.
   *
   * Lambda stops the execution then. From 1 second to 366 days, and at least `pollerOptions.timeout`,
   * which each invocation inside it still has.
   *
   * @default Duration.days(1)
   */
  readonly executionTimeout?: Duration;

  /**
   * How long Lambda keeps a closed execution's history (its steps and waits), in whole days from 1
   * to 90.
   *
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Windows of a backfill run at once, in the backfill's one durable execution.
   *
   * @default 4
   */
  readonly backfillConcurrency?: number;
}

/**
 * How a run of the feed executes. One Lambda invocation per schedule tick runs every partition
 * by default; a feed with thousands of partitions, or a long backfill, outgrows Lambda's 15
 * minutes: `distributed()` runs it on a Step Functions Distributed Map instead; a run that is
 * long because it waits (an export job, a long Retry-After, a low rate limit) or one large
 * partition runs as a durable function with `durable()` (docs/SCALING.md compares them).
 */
export class ExecutionMode {
  /** One poller invocation per run (the default): small feeds, no state machine. */
  public static singleInvocation(): ExecutionMode {
    return new ExecutionMode('single', {}, {});
  }

  /**
   * A Standard Step Functions state machine per feed: a plan step lists the run's partitions as
   * JSON Lines in the feed's bucket, a Distributed Map runs the poller on batches of them, with
   * a requests-per-second budget all workers share, and a last step sums the run up.
   */
  public static distributed(props: DistributedExecutionProps = {}): ExecutionMode {
    return new ExecutionMode('distributed', props, {});
  }

  /**
   * The poller as a Lambda durable function: a run is one durable execution that may outlive an
   * invocation. It fetches in passes of one invocation each, checkpointing after every delivered
   * page, and waits without compute between them for what the API asks (a long Retry-After, an
   * export job that takes 40 minutes, the next request slot of a low `requestsPerSecond`). The
   * schedule and the run endpoint invoke the function's `live` alias, as durable functions require.
   * A backfill runs its windows in one execution, `backfillConcurrency` at a time.
   */
  public static durable(props: DurableExecutionProps = {}): ExecutionMode {
    return new ExecutionMode('durable', {}, props);
  }

  private constructor(
    /** @internal */ public readonly _kind: 'single' | 'distributed' | 'durable',
    /** @internal */ public readonly _props: DistributedExecutionProps,
    /** @internal */ public readonly _durable: DurableExecutionProps,
  ) {}
}
