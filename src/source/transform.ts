import type { RecordTransformSpec } from '../feed-spec/record-transform';

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
   * error. Numbers are JavaScript doubles inside the expression.
   */
  public static jsonata(expression: string): Transform {
    return new Transform({ expression });
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
