import type { Duration } from 'aws-cdk-lib';
import type { IncrementalSpecInput } from '../feed-spec/feed-spec';
import { definedOnly } from '../private/defined-only';

/** An incremental cursor held in a date-time field of the records. */
export interface DatetimeIncrementalProps {
  /** The record field that holds the cursor (dotted path), e.g. `updated_at` or `meta.modified`. */
  readonly recordPath: string;
  /** Where the first run starts, ISO 8601, e.g. `2024-01-01T00:00:00Z`. */
  readonly start: string;
  /**
   * Re-read this far behind the cursor each run, for late-arriving data. Records read twice have
   * the same `record_id`.
   *
   * @default Duration.seconds(0)
   */
  readonly lookback?: Duration;
  /**
   * The API lists records newest first and cannot filter by the cursor (or ignores the filter):
   * records older than the cursor the run asks from are not delivered, and the page that holds
   * the first of them is the last one requested. The request then need not send `{{ cursor }}`.
   *
   * @default false
   */
  readonly stopAtCursor?: boolean;
}

/** An incremental cursor held in a number field of the records (a sequence, an epoch time). */
export interface NumberIncrementalProps {
  /** The record field that holds the cursor (dotted path), e.g. `seq`. */
  readonly recordPath: string;
  /** Where the first run starts. */
  readonly start: number;
  /**
   * Re-read this much behind the cursor each run (in the cursor's own unit).
   * Raise it for APIs where records appear late.
   *
   * @default 0
   */
  readonly lookback?: number;
  /**
   * The API lists records newest first and cannot filter by the cursor (or ignores the filter):
   * records older than the cursor the run asks from are not delivered, and the page that holds
   * the first of them is the last one requested. The request then need not send `{{ cursor }}`.
   *
   * @default false
   */
  readonly stopAtCursor?: boolean;
}

/**
 * Fetch only what is new since the last run: the highest cursor value delivered is kept per
 * partition, committed only after every record up to it was accepted by Firehose, and offered
 * to the request as `{{ cursor }}`.
 */
export abstract class Incremental {
  /** A date-time cursor. */
  public static datetime(props: DatetimeIncrementalProps): Incremental {
    return new SpecIncremental({
      cursorPath: props.recordPath, type: 'datetime', start: props.start, lookbackSeconds: props.lookback?.toSeconds(), stopAtCursor: props.stopAtCursor,
    });
  }

  /** A number cursor. */
  public static number(props: NumberIncrementalProps): Incremental {
    return new SpecIncremental({
      cursorPath: props.recordPath, type: 'number', start: props.start, lookback: props.lookback, stopAtCursor: props.stopAtCursor,
    });
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): IncrementalSpecInput;
}

class SpecIncremental extends Incremental {
  private readonly spec: IncrementalSpecInput;

  constructor(spec: IncrementalSpecInput) {
    super();
    this.spec = definedOnly(spec);
  }

  public _toSpec(): IncrementalSpecInput {
    return this.spec;
  }
}
