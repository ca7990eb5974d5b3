import type { Duration, Size } from 'aws-cdk-lib';
import type { RecordTransformSpec } from '../feed-spec/record-transform';

/** The bounds on each record's transform: a record past one is dead-lettered with the reason. */
export interface TransformOptions {
  /**
   * Time one record's transform may take (10 ms to 1 minute). An expression whose cost depends on
   * the API's data (a backtracking regex, a range as long as a field says) is stopped there.
   *
   * @default Duration.seconds(1)
   */
  readonly timeout?: Duration;

  /**
   * The largest result one record may become, as JSON text (at most 16 MiB).
   *
   * @default Size.mebibytes(1)
   */
  readonly maxOutputSize?: Size;
}

/**
 * A per-record transform the poller applies before a record is enveloped (or projected onto the
 * schema): rename, drop, flatten, computed fields and filters, in JSONata, the expression language
 * Step Functions also uses. The expression is compiled at synth; `api-ingest preview` shows its
 * result on the API's real records.
 */
export class Transform {
  /**
   * A JSONata expression whose input (`$`) is the record, with `$partition` (the partition's
   * fields) and `$feed` bound. It returns the new record (an object), several (an array), or
   * nothing to filter the record out, e.g. `{ "id": id, "author": user.login }` or
   * `state = "open" ? $ : undefined`. A record it fails on goes to the dead-letter queue with the
   * error, and so does a record past the transform's bounds (time, result size; the poller runs
   * the expression in a worker thread). Numbers are JavaScript doubles inside the expression.
   */
  public static jsonata(expression: string, options: TransformOptions = {}): Transform {
    return new Transform({
      expression,
      ...(options.timeout ? { timeoutMs: options.timeout.toMilliseconds() } : {}),
      ...(options.maxOutputSize ? { maxOutputBytes: options.maxOutputSize.toBytes() } : {}),
    });
  }

  private constructor(private readonly spec: RecordTransformSpec) {}

  /**
   * The spec's `transform` section.
   * @internal
   */
  public _toSpec(): RecordTransformSpec {
    return { ...this.spec };
  }
}
