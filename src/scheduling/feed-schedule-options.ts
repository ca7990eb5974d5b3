import type { TimeZone } from 'aws-cdk-lib';

/**
 * When the feed's schedule is active, and in which time zone it reads its expression.
 */
export interface FeedScheduleOptions {
  /**
   * The time zone of a `cron()` or `at()` schedule expression, for APIs whose data appears at a
   * local time (a market's close, a daily export). Not allowed with `rate()`, which has none.
   *
   * @default - the expression's own time zone, UTC unless it sets one
   */
  readonly timeZone?: TimeZone;

  /**
   * When the schedule starts invoking the poller, for example the day a contract with the API
   * provider begins.
   *
   * @default - as soon as the stack is deployed
   */
  readonly start?: Date;

  /**
   * When the schedule stops invoking the poller, for example when the API is retired.
   *
   * @default - never
   */
  readonly end?: Date;

  /**
   * Whether the schedule invokes the poller. Set it to false to pause a feed without deleting its
   * data, state or alarms (the no-records alarm then fires; disable alarms too if that is noise).
   *
   * @default true
   */
  readonly enabled?: boolean;
}
