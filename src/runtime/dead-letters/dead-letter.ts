/**
 * Dead letters: what could not be delivered, with the context to understand and redrive it.
 *
 * - `records`: lines the sink could not deliver (over the Firehose record limit, or still
 *   failing when the retry budget was spent). The payload holds the lines exactly as they would
 *   have landed in S3; each line's envelope names its feed, partition and source URL.
 * - `request`: an API request that failed after its retries (its partition's records were not
 *   fetched; an incremental feed's cursor did not move, so the next run fetches them).
 */
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
  readonly lineCount?: number;
  /** The lines (NDJSON), inline when the message stays under the SQS size limit. */
  readonly payload?: string;
  /** Where the lines are when they were too large for the message. */
  readonly payloadS3?: { readonly bucket: string; readonly key: string };
}

export interface RecordsDeadLetter {
  readonly lines: string;
  readonly lineCount: number;
  readonly error: string;
  readonly attempts: number;
}

export interface RequestDeadLetter {
  readonly partition: Readonly<Record<string, string>> | null;
  readonly request: { readonly method: string; readonly url: string };
  readonly error: string;
  /** Requests sent before giving up, when the failure was the API's answer or the network. */
  readonly attempts?: number;
}

export interface DeadLetterWriter {
  sendRecords(letter: RecordsDeadLetter): Promise<void>;
  sendRequest(letter: RequestDeadLetter): Promise<void>;
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
  };
}
