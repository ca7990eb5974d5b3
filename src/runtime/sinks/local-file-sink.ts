/**
 * The embedded default for local runs: newline-delimited JSON files in the same key layout as
 * the S3 prefix the delivery stream writes (`feed=<feed>/year=…/month=…/day=…/hour=…/`), so a
 * local run's output can be read by the same queries as the data lake's.
 *
 * A file is written as `<name>.partial` and renamed when it is closed (at each flush, which comes
 * before every checkpoint and cursor): a run that is killed leaves only whole files of lines that
 * its state says were delivered, and a `.partial` file of lines its next run fetches again.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { feedFolder, timeFolders } from '../../feed-spec/poller-contract';
import type { RecordSink, SinkLine, SinkReport } from '../ports/record-sink';

export interface LocalFileSinkOptions {
  readonly directory: string;
  readonly feed: string;
  /** Start a new file after this many bytes. @default 64 MiB */
  readonly maxFileBytes?: number;
  /** The clock for the time partition. @default now */
  readonly now?: () => Date;
}

/** What a file is called until it is closed: whole files only under the final name. */
export const PARTIAL_SUFFIX = '.partial';

export class LocalFileSink implements RecordSink {
  private stream: WriteStream | undefined;
  /** The open file's final name (it is written under this name plus `.partial`). */
  private file: string | undefined;
  /** Files being ended and renamed. */
  private readonly closing = new Set<Promise<void>>();
  private fileBytes = 0;
  private files = 0;
  private lines = 0;
  private bytes = 0;
  private readonly runId = randomUUID().slice(0, 8);
  public readonly written: string[] = [];

  constructor(private readonly options: LocalFileSinkOptions) {}

  public async write(sinkLine: SinkLine): Promise<void> {
    const line = sinkLine.toString();
    if (this.stream && this.fileBytes >= (this.options.maxFileBytes ?? 64 * 1024 * 1024)) await this.close();
    // Opened with no wait between the check and the write: partitions share the sink, and two
    // writers that both found no file across an await would each open one, and one would be lost.
    const stream = this.stream ?? this.open();
    const bytes = Buffer.byteLength(line);
    this.fileBytes += bytes;
    this.bytes += bytes;
    this.lines += 1;
    if (!stream.write(line)) {
      // Wait for the buffer to drain, or for the file to be closed: partitions share the sink,
      // and another partition's flush may end this stream, after which 'drain' never comes
      // (the line is in the stream's buffer, which end() writes out).
      await new Promise<void>((resolve) => {
        const done = () => {
          for (const event of ['drain', 'finish', 'close', 'error']) stream.off(event, done);
          resolve();
        };
        for (const event of ['drain', 'finish', 'close', 'error']) stream.once(event, done);
      });
    }
  }

  public async flush(): Promise<SinkReport> {
    // Every file this sink has closed, by this call or another partition's, is whole when it returns.
    await this.close();
    return { linesDelivered: this.lines, linesDeadLettered: 0, calls: this.files, failedPuts: 0, bytesDelivered: this.bytes };
  }

  private open(): WriteStream {
    const at = (this.options.now ?? (() => new Date()))();
    const dir = path.join(this.options.directory, `${feedFolder(this.options.feed)}${timeFolders(at)}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.options.feed}-${at.toISOString().replace(/[:.]/g, '-')}-${this.runId}-${this.files}.ndjson`);
    const stream = createWriteStream(`${file}${PARTIAL_SUFFIX}`);
    this.stream = stream;
    this.file = file;
    this.written.push(file);
    this.files += 1;
    this.fileBytes = 0;
    return stream;
  }

  /** Ends the open file and renames it whole; resolves once every file closed so far is renamed. */
  private async close(): Promise<void> {
    const { stream, file } = this;
    this.stream = undefined;
    this.file = undefined;
    if (stream && file) {
      const closed: Promise<void> = new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
        .then(() => rename(`${file}${PARTIAL_SUFFIX}`, file))
        .finally(() => this.closing.delete(closed));
      this.closing.add(closed);
    }
    await Promise.all(this.closing);
  }
}
