/**
 * Where the engine sends records. The engine hands over finished lines (one JSON envelope each,
 * newline-terminated) and knows nothing about the destination.
 */
export interface SinkReport {
  /** Lines the destination has accepted. */
  readonly linesDelivered: number;
  /** Lines that could not be delivered and were sent to the dead-letter queue instead. */
  readonly linesDeadLettered: number;
  /** Calls made to the destination (PutRecordBatch calls, file writes). */
  readonly calls: number;
  /** Records the destination reported as failed and that were sent again (Firehose FailedPutCount). */
  readonly failedPuts: number;
}

export interface RecordSink {
  /**
   * Accepts one newline-terminated line. Returns a promise when the caller must wait
   * (backpressure while earlier lines are sent); nothing when the line was only buffered, which
   * spares the engine a microtask per record.
   */
  write(line: string): Promise<void> | void;
  /** Sends everything still buffered; resolves once the destination accepted (or dead-lettered) all of it. */
  flush(): Promise<SinkReport>;
}
