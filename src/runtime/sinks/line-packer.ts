/**
 * Packs newline-terminated lines into Firehose records of at most `maxRecordBytes`, never
 * splitting a line. Firehose bills each record in 5 KB steps and concatenates records in S3 with
 * no delimiter, so packing costs less and leaves the delivered objects byte-identical.
 */
import type { SinkLine } from '../ports/record-sink';

export class LineTooLargeError extends Error {
  constructor(public readonly bytes: number, public readonly maxBytes: number) {
    super(`a record of ${bytes} bytes is over the ${maxBytes}-byte Firehose record limit`);
    this.name = 'LineTooLargeError';
  }
}

export interface PackedRecord {
  /**
   * The record's bytes: a view of the packer's memory, valid until the packer completes its next
   * record. Encode or copy it before then.
   */
  readonly data: Buffer;
  readonly lines: number;
}

export interface LinePackerOptions {
  readonly maxRecordBytes: number;
  /** Multi-record deaggregation in Firehose takes at most 500 lines a record. @default unlimited */
  readonly maxLinesPerRecord?: number;
}

export class LinePacker {
  // Each line is encoded at once into one of two reusable buffers: the line's string dies young,
  // and no Buffer is allocated per line or per record (allocating them cost more CPU and GC than
  // the encoding, and kept the run's peak memory growing with its length). A completed record is
  // a view of one buffer while the next record is written into the other.
  private readonly buffers: Buffer[] = [];
  private current = 0;
  private bytes = 0;
  private lines = 0;

  constructor(private readonly options: LinePackerOptions) {}

  /** Adds a line; returns the record it completed, if adding this line closed one. */
  public add(line: SinkLine): PackedRecord | undefined {
    const linesFull = this.options.maxLinesPerRecord !== undefined && this.lines >= this.options.maxLinesPerRecord;
    if (typeof line !== 'string') {
      // Written where it goes, when it surely fits; near a record's end it is measured as text.
      if (!linesFull && line.maxBytes() <= this.options.maxRecordBytes - this.bytes) {
        this.bytes = line.writeTo(this.buffer(), this.bytes);
        this.lines += 1;
        return undefined;
      }
      return this.add(line.toString());
    }
    // A UTF-16 code unit is at most 3 UTF-8 bytes: a line that surely fits is written without
    // measuring it first (measuring every line cost as much as writing it).
    if (!linesFull && line.length * 3 <= this.options.maxRecordBytes - this.bytes) {
      this.bytes += this.buffer().write(line, this.bytes, 'utf8');
      this.lines += 1;
      return undefined;
    }
    const size = Buffer.byteLength(line, 'utf8');
    if (size > this.options.maxRecordBytes) {
      throw new LineTooLargeError(size, this.options.maxRecordBytes);
    }
    let completed: PackedRecord | undefined;
    if (this.bytes + size > this.options.maxRecordBytes || linesFull) {
      completed = this.take();
    }
    this.buffer().write(line, this.bytes, size, 'utf8');
    this.bytes += size;
    this.lines += 1;
    return completed;
  }

  /** Returns the record being packed, if any, and starts a new one. */
  public take(): PackedRecord | undefined {
    if (this.lines === 0) {
      return undefined;
    }
    const record = { data: this.buffer().subarray(0, this.bytes), lines: this.lines };
    this.current = 1 - this.current;
    this.bytes = 0;
    this.lines = 0;
    return record;
  }

  private buffer(): Buffer {
    // Allocated on first use and outside Node.js's small-buffer pool: pages never written to
    // (a short run's) cost no memory.
    return (this.buffers[this.current] ??= Buffer.allocUnsafeSlow(this.options.maxRecordBytes));
  }
}
