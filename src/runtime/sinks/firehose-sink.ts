/**
 * Delivers lines to a Firehose delivery stream: packs them into records, batches records into
 * PutRecordBatch calls under the service limits, sends a bounded number of calls at once, and
 * resends only the entries a call reports as failed, with exponential backoff and jitter.
 *
 * Memory is fixed by the options, not by the run: two record buffers in the packer, and one
 * request body per call in flight plus the one being filled, reused from call to call.
 */
import { FirehoseClient, PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { billedBytes, FIREHOSE_MAX_BATCH_BYTES, FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORDS_PER_BATCH } from './firehose-limits';
import { LinePacker, LineTooLargeError, PackedRecord } from './line-packer';
import { PutRecordBatchBody, putRecordBatchCommand } from './put-record-batch-body';
import type { DeadLetterWriter } from '../ports/dead-letters';
import type { Logger } from '../ports/logger';
import type { RecordSink, SinkLine, SinkReport } from '../ports/record-sink';

export interface FirehoseSinkOptions {
  readonly client: FirehoseClient;
  readonly deliveryStreamName: string;
  /** Size a packed record may reach. @default 1,000,000 bytes (the Firehose record limit) */
  readonly maxRecordBytes?: number;
  /** Lines a packed record may hold. @default unlimited */
  readonly maxLinesPerRecord?: number;
  /**
   * Each record is one JSON document without its newline (OpenSearch indexes a record as one
   * document: a second line, or a trailing newline in its bulk request, would be refused).
   * @default false
   */
  readonly documentPerRecord?: boolean;
  /** PutRecordBatch calls in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Retries of a batch's failed entries. @default 8 */
  readonly retries?: number;
  /** First backoff delay; doubles each retry, with jitter. @default 100 ms */
  readonly minBackoffMs?: number;
  /**
   * Where lines go that cannot be delivered (over the record limit, or still failing after the
   * retries). Without it such lines fail the run instead. @default none
   */
  readonly deadLetters?: DeadLetterWriter;
  readonly logger?: Logger;
  /**
   * Told each time Firehose asks to slow down (a distributed run holds back every worker's requests
   * through their shared budget). @default none: this sink slows down alone
   */
  readonly onThrottled?: () => void;
}

// Firehose says "slow down" with these; the sink halves its calls in flight when it hears them.
const THROTTLING = new Set(['ServiceUnavailableException', 'ThrottlingException', 'LimitExceededException']);

/** Some records were still not accepted when the retries were spent. */
export class FirehoseDeliveryError extends Error {
  constructor(message: string, public readonly undeliveredLines: number) {
    super(message);
    this.name = 'FirehoseDeliveryError';
  }
}

const NEWLINE = 0x0a;

// Whole-call errors that no retry can fix.
const NON_RETRYABLE_CALL_ERRORS = new Set(['ResourceNotFoundException', 'InvalidArgumentException', 'AccessDeniedException']);

export class FirehoseSink implements RecordSink {
  private readonly packer: LinePacker;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly inFlight = new Set<Promise<void>>();
  private batch: PutRecordBatchBody | undefined;
  // Request bodies whose call succeeded, ready for the next batch.
  private readonly freeBuffers: Buffer[] = [];
  private readonly bodyCapacity: number;
  private delivered = 0;
  private deadLettered = 0;
  private calls = 0;
  private failedPuts = 0;
  private bytesBilled = 0;
  private bytesDelivered = 0;
  private successStreak = 0;
  private readonly maxConcurrency: number;
  private failure: Error | undefined;

  constructor(private readonly options: FirehoseSinkOptions) {
    const maxRecordBytes = Math.min(options.maxRecordBytes ?? FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORD_BYTES);
    this.packer = new LinePacker({ maxRecordBytes, maxLinesPerRecord: options.documentPerRecord ? 1 : options.maxLinesPerRecord });
    this.maxConcurrency = options.concurrency ?? 4;
    this.limit = pLimit(this.maxConcurrency);
    this.bodyCapacity = PutRecordBatchBody.capacityFor(options.deliveryStreamName, FIREHOSE_MAX_BATCH_BYTES, FIREHOSE_MAX_RECORDS_PER_BATCH);
  }

  /** Calls currently allowed in flight (lowered by throttling, raised again by successes). */
  public get concurrency(): number {
    return this.limit.concurrency;
  }

  /** Returns a promise only when the caller must wait (backpressure, a dead letter being sent). */
  public write(line: SinkLine): Promise<void> | void {
    this.throwIfFailed();
    let record: PackedRecord | undefined;
    try {
      record = this.packer.add(line);
    } catch (err) {
      if (err instanceof LineTooLargeError && this.options.deadLetters) {
        return this.deadLetterOversized(line.toString(), err);
      }
      throw err;
    }
    return record ? this.addToBatch(record) : undefined;
  }

  private async deadLetterOversized(line: string, err: LineTooLargeError): Promise<void> {
    await this.options.deadLetters!.sendRecords({ lines: line, lineCount: 1, error: err.message, attempts: 0 });
    this.deadLettered += 1;
  }

  public async flush(): Promise<SinkReport> {
    const record = this.packer.take();
    if (record) {
      await this.addToBatch(record);
    }
    if (this.batch) {
      this.send(this.takeBatch());
    }
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    return {
      linesDelivered: this.delivered,
      linesDeadLettered: this.deadLettered,
      calls: this.calls,
      failedPuts: this.failedPuts,
      bytesBilled: this.bytesBilled,
      bytesDelivered: this.bytesDelivered,
    };
  }

  /** Encodes the record into the batch at once (its memory is the packer's to reuse). */
  private addToBatch(record: PackedRecord): Promise<void> | void {
    const full = this.batch !== undefined && (this.batch.count >= FIREHOSE_MAX_RECORDS_PER_BATCH
      || this.batch.dataBytes + record.data.length > FIREHOSE_MAX_BATCH_BYTES);
    if (full) {
      this.send(this.takeBatch());
    }
    const data = this.options.documentPerRecord && record.data[record.data.length - 1] === NEWLINE ? record.data.subarray(0, -1) : record.data;
    (this.batch ??= new PutRecordBatchBody(this.options.deliveryStreamName, this.acquireBuffer())).append(data, record.lines);
    return full ? this.waitForRoom() : undefined;
  }

  /**
   * Backpressure: holds the producer while the allowed number of calls are already in flight, so
   * memory stays bounded by concurrency x batch size whatever the size of the run.
   */
  private async waitForRoom(): Promise<void> {
    while (this.limit.activeCount + this.limit.pendingCount >= this.limit.concurrency) {
      await Promise.race(this.inFlight);
    }
    this.throwIfFailed();
  }

  private takeBatch(): PutRecordBatchBody {
    const batch = this.batch!;
    this.batch = undefined;
    return batch;
  }

  private acquireBuffer(): Buffer {
    // Outside Node.js's small-buffer pool: a short run never touches most of its one body's pages.
    return this.freeBuffers.pop() ?? Buffer.allocUnsafeSlow(this.bodyCapacity);
  }

  /**
   * Only the body of a call that got its answer comes back for reuse: after a network error the
   * socket might still be reading it, so that one is left to the garbage collector.
   */
  private releaseBuffer(buffer: Buffer): void {
    if (this.freeBuffers.length <= this.maxConcurrency) {
      this.freeBuffers.push(buffer);
    }
  }

  private send(batch: PutRecordBatchBody): void {
    const task: Promise<void> = this.limit(() => this.deliver(batch))
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Sends a batch; on partial failure resends only the failed entries, with backoff. */
  private async deliver(batch: PutRecordBatchBody): Promise<void> {
    let pending = batch;
    let attempts = 0;
    await pRetry(
      async () => {
        let output: PutRecordBatchCommandOutput;
        attempts += 1;
        try {
          this.calls += 1;
          output = await this.options.client.send(putRecordBatchCommand(pending));
        } catch (err) {
          if (NON_RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
            throw new AbortError(err as Error);
          }
          if (THROTTLING.has((err as Error).name)) this.slowDown((err as Error).name);
          throw err;
        }
        const failed: number[] = [];
        if ((output.FailedPutCount ?? 0) > 0) {
          for (let i = 0; i < pending.count; i++) {
            if (output.RequestResponses?.[i]?.ErrorCode) failed.push(i);
          }
        }
        const failedLines = failed.reduce((sum, i) => sum + pending.linesAt(i), 0);
        this.delivered += pending.lineCount - failedLines;
        // Billed: every record Firehose accepted, each rounded up to 5 KB (failed ones are not billed).
        for (let i = 0, f = 0; i < pending.count; i++) {
          if (failed[f] === i) {f += 1;} else {
            this.bytesBilled += billedBytes(pending.bytesAt(i));
            this.bytesDelivered += pending.bytesAt(i);
          }
        }
        this.failedPuts += failed.length;
        const answered = pending;
        if (failed.length > 0) {
          // Only the failed entries are sent again, copied as they were encoded.
          pending = answered.subset(failed, this.acquireBuffer());
        }
        this.releaseBuffer(answered.buffer);
        if (failed.length > 0) {
          const codes = [...new Set(output.RequestResponses?.map((r) => r.ErrorCode).filter(Boolean))];
          if (codes.some((code) => THROTTLING.has(code!))) this.slowDown(codes.join(', '));
          throw new Error(`${failed.length} of ${output.RequestResponses?.length} records failed (${codes.join(', ')})`);
        }
        this.speedUp();
      },
      {
        retries: this.options.retries ?? 8,
        minTimeout: this.options.minBackoffMs ?? 100,
        maxTimeout: 5_000,
        factor: 2,
        randomize: true,
      },
    ).catch(async (err: Error) => {
      const message = `Firehose did not accept ${pending.lineCount} line(s) in ${pending.count} record(s) after ${attempts} attempt(s): ${err.message}`;
      if (!this.options.deadLetters || NON_RETRYABLE_CALL_ERRORS.has(err.name)) {
        // No dead-letter queue, or a stream that does not exist / refuses us: fail the run, so
        // nothing is committed and the invocation is retried.
        throw new FirehoseDeliveryError(message, pending.lineCount);
      }
      for (let i = 0; i < pending.count; i++) {
        await this.options.deadLetters.sendRecords({ lines: pending.textAt(i), lineCount: pending.linesAt(i), error: message, attempts });
        this.deadLettered += pending.linesAt(i);
      }
      this.options.logger?.error('records dead-lettered after Firehose retries were spent', { lines: pending.lineCount, error: message });
    });
  }

  /** Halve the calls in flight (at least one): Firehose asked us to slow down, never to drop. */
  private slowDown(reason: string): void {
    this.successStreak = 0;
    this.options.onThrottled?.();
    const next = Math.max(1, Math.floor(this.limit.concurrency / 2));
    if (next !== this.limit.concurrency) {
      this.limit.concurrency = next;
      this.options.logger?.warn('Firehose is throttling: fewer calls in flight', { concurrency: next, reason });
    }
  }

  /** After a run of successes, allow one more call in flight, up to the configured concurrency. */
  private speedUp(): void {
    this.successStreak += 1;
    if (this.successStreak >= 4 && this.limit.concurrency < this.maxConcurrency) {
      this.limit.concurrency += 1;
      this.successStreak = 0;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) {
      throw this.failure;
    }
  }
}
