/**
 * The event the schedule sends to the poller Lambda. The schedule's input carries the spec, so
 * the Lambda needs no other place to read it from (and no extra permission).
 */
import { FeedSpecInput } from './feed-spec';

export interface PollerEvent {
  /** The feed spec, JSON form. */
  readonly spec: FeedSpecInput;
  /** When the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`); absent on a manual run. */
  readonly scheduledTime?: string;
  /** Scheduler's `<aws.scheduler.execution-id>`: the same for every delivery of one firing. */
  readonly executionId?: string;
}

/**
 * EventBridge Scheduler documents "the maximum size of the `Input` field is 256 KB" (Scheduler
 * API reference, `Target.Input`). The spec travels inside it, so the construct checks the size of
 * the serialized event (UTF-8 bytes) against this limit at synth.
 */
export const SCHEDULER_INPUT_MAX_BYTES = 256 * 1024;
