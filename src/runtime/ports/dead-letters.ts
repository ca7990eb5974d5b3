/**
 * Port: where what could not be delivered goes, with the context to understand and redrive it
 * (`records`: lines the sink could not deliver; `request`: an API request that failed after its
 * retries).
 */
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
  /** When the API asked to be called again (its Retry-After), if that was beyond the run's time budget. */
  readonly retryAfter?: string;
}

export interface DeadLetterWriter {
  sendRecords(letter: RecordsDeadLetter): Promise<void>;
  sendRequest(letter: RequestDeadLetter): Promise<void>;
}
