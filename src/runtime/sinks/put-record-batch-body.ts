/**
 * A PutRecordBatch request body in Firehose's JSON wire format, written record by record into
 * one reusable Buffer with Node.js's native base64.
 *
 * Why not let the SDK serialize it: its JSON codec base64-encodes in JavaScript into a buffer that
 * doubles as it grows (1, 2, 4, then 8 MiB for one 5 MiB body) and needs the packed records kept
 * beside it. That measured about a tenth of the poller's CPU and most of its memory above the
 * baseline (docs/BENCHMARKS.md). The SDK still sends the body: signing, retries, endpoints,
 * credentials and the response stay its own (`putRecordBatchCommand`).
 *
 * Each entry's base64 text stays addressable, so a retry of the failed entries copies their text
 * into a new body instead of encoding again, and a dead letter decodes exactly what was sent.
 */
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';

// Base64 of a chunk whose length is a multiple of 3 has no padding, so chunks concatenate; a
// chunk's text (64 KiB) stays in V8's young generation and dies there.
const BASE64_CHUNK = 3 * 16_384;
const ENTRY_HEAD = '{"Data":"';
const ENTRY_TAIL = '"}';
const CLOSE = ']}';

interface Entry {
  /** Where the entry's base64 text starts and ends in the body. */
  readonly start: number;
  readonly end: number;
  /** Bytes of the record before encoding. */
  readonly bytes: number;
  /** Newline-terminated lines the record holds. */
  readonly lines: number;
}

export class PutRecordBatchBody {
  /** Buffer size that holds any batch within the given limits. */
  public static capacityFor(deliveryStreamName: string, maxBatchBytes: number, maxRecords: number): number {
    // Each record's base64 is rounded up to 4 characters on its own: at most 3 more per record.
    const perEntry = 1 /* comma */ + ENTRY_HEAD.length + 3 + ENTRY_TAIL.length;
    return Buffer.byteLength(prefixOf(deliveryStreamName)) + Math.ceil(maxBatchBytes / 3) * 4 + maxRecords * perEntry + CLOSE.length;
  }

  private readonly entries: Entry[] = [];
  private length: number;
  private totalBytes = 0;
  private totalLines = 0;

  constructor(public readonly deliveryStreamName: string, public readonly buffer: Buffer) {
    this.length = buffer.write(prefixOf(deliveryStreamName), 0, 'utf8');
  }

  /** Records in the body. */
  public get count(): number {
    return this.entries.length;
  }

  /** Bytes of the records before encoding (what Firehose's 4 MiB batch limit counts). */
  public get dataBytes(): number {
    return this.totalBytes;
  }

  public get lineCount(): number {
    return this.totalLines;
  }

  /** Appends one record; `data` is encoded at once, so the caller may reuse its memory afterwards. */
  public append(data: Buffer, lines: number): void {
    this.addEntry(data.length, lines, (at) => {
      for (let from = 0; from < data.length; from += BASE64_CHUNK) {
        at += this.buffer.write(data.toString('base64', from, Math.min(from + BASE64_CHUNK, data.length)), at, 'latin1');
      }
      return at;
    });
  }

  /** Lines held by the entry at `index`. */
  public linesAt(index: number): number {
    return this.entries[index].lines;
  }

  /** The record's size in bytes (before base64), which Firehose bills in 5 KB steps. */
  public bytesAt(index: number): number {
    return this.entries[index].bytes;
  }

  /** The entry's record as text, decoded from what was sent (for a dead letter). */
  public textAt(index: number): string {
    const { start, end } = this.entries[index];
    return Buffer.from(this.buffer.toString('latin1', start, end), 'base64').toString('utf8');
  }

  /** A new body, written into `buffer`, holding copies of the entries at `indexes` (no re-encoding). */
  public subset(indexes: ReadonlyArray<number>, buffer: Buffer): PutRecordBatchBody {
    const body = new PutRecordBatchBody(this.deliveryStreamName, buffer);
    for (const index of indexes) {
      const entry = this.entries[index];
      body.addEntry(entry.bytes, entry.lines, (at) => at + this.buffer.copy(body.buffer, at, entry.start, entry.end));
    }
    return body;
  }

  /** The finished JSON document: a view of the buffer, valid until the buffer is reused. */
  public bytes(): Buffer {
    const end = this.length + this.buffer.write(CLOSE, this.length, 'latin1');
    return this.buffer.subarray(0, end);
  }

  /** Writes `,{"Data":"` + the base64 text (by `writeBase64`, which returns where it ended) + `"}`. */
  private addEntry(bytes: number, lines: number, writeBase64: (at: number) => number): void {
    const needed = 1 + ENTRY_HEAD.length + Math.ceil(bytes / 3) * 4 + ENTRY_TAIL.length + CLOSE.length;
    if (this.length + needed > this.buffer.length) {
      // Buffer.write would truncate silently: a sink that lets this happen has a bug.
      throw new RangeError(`a PutRecordBatch body of ${this.buffer.length} bytes has no room for a ${bytes}-byte record`);
    }
    let at = this.length;
    if (this.entries.length > 0) {
      this.buffer[at++] = 0x2c; // ','
    }
    at += this.buffer.write(ENTRY_HEAD, at, 'latin1');
    const start = at;
    at = writeBase64(at);
    this.entries.push({ start, end: at, bytes, lines });
    this.length = at + this.buffer.write(ENTRY_TAIL, at, 'latin1');
    this.totalBytes += bytes;
    this.totalLines += lines;
  }
}

function prefixOf(deliveryStreamName: string): string {
  return `{"DeliveryStreamName":${JSON.stringify(deliveryStreamName)},"Records":[`;
}

/**
 * A PutRecordBatch command that sends `body` as it is: the SDK serializes an empty record list,
 * and a build-step middleware (before signing, so the signature covers the real body) puts the
 * prepared body in its place.
 */
export function putRecordBatchCommand(body: PutRecordBatchBody): PutRecordBatchCommand {
  const command = new PutRecordBatchCommand({ DeliveryStreamName: body.deliveryStreamName, Records: [] });
  const bytes = body.bytes();
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers: Record<string, string> };
      request.body = bytes;
      request.headers['content-length'] = String(bytes.length);
      return next(args);
    },
    { step: 'build', name: 'preparedPutRecordBatchBody' },
  );
  return command;
}
