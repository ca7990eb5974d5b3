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
  /**
   * Bytes the destination bills for what it accepted (Firehose: each record rounded up to 5 KB).
   * @default 0 (a destination that bills nothing per record)
   */
  readonly bytesBilled?: number;
  /** Bytes of the lines the destination accepted. @default 0 (not counted) */
  readonly bytesDelivered?: number;
}

/**
 * A newline-terminated line that a sink can write straight into its own buffer, so that no
 * string is built for it. The engine's envelopes are such lines: building each as a string and
 * then encoding it accounted for about two fifths of what a run allocates (docs/BENCHMARKS.md).
 */
export interface EncodableLine {
  /** About its size (UTF-16 code units or bytes), for a caller's accounting. */
  readonly length: number;
  /** An upper bound on its size in UTF-8 bytes. */
  maxBytes(): number;
  /**
   * Writes its UTF-8 bytes into `buffer` at `at` and returns where they end. The caller makes
   * sure `maxBytes()` bytes from `at` are free.
   */
  writeTo(buffer: Buffer, at: number): number;
  /** The line as a string. */
  toString(): string;
}

/** A line as text, or one the sink writes into its own buffer. */
export type SinkLine = string | EncodableLine;

export interface RecordSink {
  /**
   * Accepts one newline-terminated line. Returns a promise when the caller must wait
   * (backpressure while earlier lines are sent); nothing when the line was only buffered, which
   * spares the engine a microtask per record.
   */
  write(line: SinkLine): Promise<void> | void;
  /** Sends everything still buffered; resolves once the destination accepted (or dead-lettered) all of it. */
  flush(): Promise<SinkReport>;
}
