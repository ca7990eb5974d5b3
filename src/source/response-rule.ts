import type { ResponseRuleSpecInput } from '../feed-spec/feed-spec';
import { definedOnly } from '../private/defined-only';

/** What an answer must be for a response rule to apply: every condition given holds. */
export interface ResponseCondition {
  /**
   * The answer's HTTP status is one of these.
   *
   * @default - any status
   */
  readonly status?: number[];
  /**
   * A response header that must be present (with `equalTo` or `contains`: with that value). Give
   * this or `bodyPath`, not both.
   *
   * @default - no header condition
   */
  readonly header?: string;
  /**
   * A field of the JSON body (dotted path or JSONPath) that must be present and not null (with
   * `equalTo` or `contains`: with that value). Give this or `header`, not both.
   *
   * @default - no body condition
   */
  readonly bodyPath?: string;
  /**
   * The header's or field's value, compared as text (`"0"` matches the number 0). The spec's
   * `equals` (a name jsii reserves in some languages).
   *
   * @default - any value
   */
  readonly equalTo?: string;
  /**
   * Text the header's or field's value contains.
   *
   * @default - any value
   */
  readonly contains?: string;
  /**
   * Why, in your words: shown in logs, errors and dead letters.
   *
   * @default - the rule's number
   */
  readonly reason?: string;
}

/**
 * What an answer of the feed's request means beyond its status code. Rules are tried in order;
 * the first that matches decides. Without rules, 2xx is a page, 429 and 5xx are retried, and any
 * other status fails the partition.
 */
export abstract class ResponseRule {
  /**
   * The partition ends here, not as a failure: e.g. a 404 for a parent record deleted since it
   * was listed. Its cursor and checkpoint stay as they were; no dead letter.
   */
  public static skipPartition(when: ResponseCondition): ResponseRule {
    return new SpecResponseRule(when, 'skipPartition');
  }

  /**
   * Send the request again with backoff, as after a 5xx: e.g. a 200 whose body says "try again".
   * When the retries run out, the partition fails (dead letter; its cursor stays).
   */
  public static retry(when: ResponseCondition): ResponseRule {
    return new SpecResponseRule(when, 'retry');
  }

  /**
   * Fail the partition now, without retries: e.g. a 200 whose body holds an error. Dead letter
   * with the request; its cursor stays.
   */
  public static fail(when: ResponseCondition): ResponseRule {
    return new SpecResponseRule(when, 'fail');
  }

  /**
   * The answer is a page without records, and pagination ends: e.g. a 404 or an error code that
   * an API uses for "no data for this day". The partition completes (its cursor commits as usual).
   */
  public static emptyPage(when: ResponseCondition): ResponseRule {
    return new SpecResponseRule(when, 'emptyPage');
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): ResponseRuleSpecInput;
}

class SpecResponseRule extends ResponseRule {
  constructor(private readonly when: ResponseCondition, private readonly action: ResponseRuleSpecInput['action']) {
    super();
  }

  public _toSpec(): ResponseRuleSpecInput {
    const { reason, status, equalTo, header, bodyPath, contains } = this.when;
    return definedOnly({
      when: definedOnly({ status: status ? [...status] : undefined, header, bodyPath, equals: equalTo, contains }),
      action: this.action,
      reason,
    }) as ResponseRuleSpecInput;
  }
}
