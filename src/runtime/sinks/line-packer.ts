/**
 * Packs newline-terminated lines into Firehose records of at most `maxRecordBytes`, never
 * splitting a line. Firehose bills each record in 5 KB steps and concatenates records in S3 with
 * no delimiter, so packing costs less and leaves the delivered objects byte-identical.
 */
export class LineTooLargeError extends Error {
  constructor(public readonly bytes: number, public readonly maxBytes: number) {
    super(`a record of ${bytes} bytes is over the ${maxBytes}-byte Firehose record limit`);
    this.name = 'LineTooLargeError';
  }
}

export interface PackedRecord {
  readonly data: Buffer;
  readonly lines: number;
}

export interface LinePackerOptions {
  readonly maxRecordBytes: number;
  /** Multi-record deaggregation in Firehose takes at most 500 lines a record. @default unlimited */
  readonly maxLinesPerRecord?: number;
}

export class LinePacker {
  // Lines are kept as strings and encoded once per record: one Buffer per record instead of one
  // per line (a million small Buffers cost more CPU and GC than the encoding itself).
  private parts: string[] = [];
  private bytes = 0;
  private lines = 0;

  constructor(private readonly options: LinePackerOptions) {}

  /** Adds a line; returns the record it completed, if adding this line closed one. */
  public add(line: string): PackedRecord | undefined {
    const size = Buffer.byteLength(line, 'utf8');
    if (size > this.options.maxRecordBytes) {
      throw new LineTooLargeError(size, this.options.maxRecordBytes);
    }
    let completed: PackedRecord | undefined;
    const linesFull = this.options.maxLinesPerRecord !== undefined && this.lines >= this.options.maxLinesPerRecord;
    if (this.bytes + size > this.options.maxRecordBytes || linesFull) {
      completed = this.take();
    }
    this.parts.push(line);
    this.bytes += size;
    this.lines += 1;
    return completed;
  }

  /** Returns the record being packed, if any, and starts a new one. */
  public take(): PackedRecord | undefined {
    if (this.lines === 0) {
      return undefined;
    }
    const record = { data: Buffer.from(this.parts.join(''), 'utf8'), lines: this.lines };
    this.parts = [];
    this.bytes = 0;
    this.lines = 0;
    return record;
  }
}
