/**
 * Dead letters: what could not be delivered, with the context to understand and redrive it.
 *
 * - `records`: lines the sink could not deliver (over the Firehose record limit, or still
 *   failing when the retry budget was spent). The payload holds the lines exactly as they would
 *   have landed in S3; each line's envelope names its feed, partition and source URL.
 * - `request`: an API request that failed after its retries (its partition's records were not
 *   fetched; an incremental feed's cursor did not move, so the next run fetches them).
 */
import type { DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from '../ports/dead-letters';
import type { Redactor } from '../ports/redactor';

export const DEAD_LETTER_FORMAT = 'cdk-api-ingestion/dead-letter@1';


export interface DeadLetterMessage {
  readonly format: typeof DEAD_LETTER_FORMAT;
  readonly kind: 'records' | 'request';
  readonly feed: string;
  readonly time: string;
  readonly error: string;
  readonly attempts?: number;
  readonly partition?: Readonly<Record<string, string>> | null;
  readonly request?: { readonly method: string; readonly url: string };
  /** When the API asked to be called again, if that was beyond the run's time budget. */
  readonly retryAfter?: string;
  readonly lineCount?: number;
  /** The lines (NDJSON), inline when the message stays under the SQS size limit. */
  readonly payload?: string;
  /** Where the lines are when they were too large for the message. */
  readonly payloadS3?: { readonly bucket: string; readonly key: string };
}

/** The message for records that could not be delivered (the payload inline; a writer may move it). */
export function recordsMessage(feed: string, letter: RecordsDeadLetter): DeadLetterMessage {
  return {
    format: DEAD_LETTER_FORMAT,
    kind: 'records',
    feed,
    time: new Date().toISOString(),
    error: letter.error,
    attempts: letter.attempts,
    lineCount: letter.lineCount,
    payload: letter.lines,
  };
}

/** The message for an API request that failed after its retries. */
export function requestMessage(feed: string, letter: RequestDeadLetter): DeadLetterMessage {
  return {
    format: DEAD_LETTER_FORMAT,
    kind: 'request',
    feed,
    time: new Date().toISOString(),
    error: letter.error,
    attempts: letter.attempts,
    partition: letter.partition,
    request: letter.request,
    ...(letter.retryAfter !== undefined ? { retryAfter: letter.retryAfter } : {}),
  };
}

/**
 * A dead-letter writer that redacts every text of a letter (the error, the request, the
 * partition and the payload lines) before the writer it wraps sees it: a dead letter leaves the
 * poller, so a secret that an API echoed into a record, an error or a URL must not go with it.
 */
export class RedactingDeadLetterWriter implements DeadLetterWriter {
  constructor(private readonly inner: DeadLetterWriter, private readonly redactor: Redactor) {}

  public sendRecords(letter: RecordsDeadLetter): Promise<void> {
    return this.inner.sendRecords({ ...letter, lines: this.redactor.redact(letter.lines), error: this.redactor.redact(letter.error) });
  }

  public sendRequest(letter: RequestDeadLetter): Promise<void> {
    return this.inner.sendRequest(this.redactor.redactValue(letter));
  }
}
