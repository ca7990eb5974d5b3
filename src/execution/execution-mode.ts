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

/**
 * How a run of the feed executes. One Lambda invocation per schedule tick runs every partition
 * by default; a feed with thousands of partitions, or a long backfill, outgrows Lambda's 15
 * minutes: `distributed()` runs it on a Step Functions Distributed Map instead.
 */
export class ExecutionMode {
  /** One poller invocation per run (the default): small feeds, no state machine. */
  public static singleInvocation(): ExecutionMode {
    return new ExecutionMode('single', {});
  }

  /**
   * A Standard Step Functions state machine per feed: a plan step lists the run's partitions as
   * JSON Lines in the feed's bucket, a Distributed Map runs the poller on batches of them, with
   * a requests-per-second budget all workers share, and a last step sums the run up.
   */
  public static distributed(props: DistributedExecutionProps = {}): ExecutionMode {
    return new ExecutionMode('distributed', props);
  }

  private constructor(
    /** @internal */ public readonly _kind: 'single' | 'distributed',
    /** @internal */ public readonly _props: DistributedExecutionProps,
  ) {}
}
