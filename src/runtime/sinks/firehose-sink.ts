/**
 * Delivers lines to a Firehose delivery stream: packs them into records, batches records into
 * PutRecordBatch calls under the service limits, sends a bounded number of calls at once, and
 * resends only the entries a call reports as failed, with exponential backoff and jitter.
 */
import { FirehoseClient, PutRecordBatchCommand, PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { FIREHOSE_MAX_BATCH_BYTES, FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORDS_PER_BATCH } from './firehose-limits';
import { LinePacker, PackedRecord } from './line-packer';
import type { RecordSink, SinkReport } from './record-sink';

export interface FirehoseSinkOptions {
  readonly client: FirehoseClient;
  readonly deliveryStreamName: string;
  /** Size a packed record may reach. @default 1,000,000 bytes (the Firehose record limit) */
  readonly maxRecordBytes?: number;
  /** Lines a packed record may hold. @default unlimited */
  readonly maxLinesPerRecord?: number;
  /** PutRecordBatch calls in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Retries of a batch's failed entries. @default 8 */
  readonly retries?: number;
  /** First backoff delay; doubles each retry, with jitter. @default 100 ms */
  readonly minBackoffMs?: number;
}

/** Some records were still not accepted when the retries were spent. */
export class FirehoseDeliveryError extends Error {
  constructor(message: string, public readonly undeliveredLines: number) {
    super(message);
    this.name = 'FirehoseDeliveryError';
  }
}

// Whole-call errors that no retry can fix.
const NON_RETRYABLE_CALL_ERRORS = new Set(['ResourceNotFoundException', 'InvalidArgumentException', 'AccessDeniedException']);

export class FirehoseSink implements RecordSink {
  private readonly packer: LinePacker;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly inFlight = new Set<Promise<void>>();
  private batch: PackedRecord[] = [];
  private batchBytes = 0;
  private delivered = 0;
  private calls = 0;
  private failure: Error | undefined;

  constructor(private readonly options: FirehoseSinkOptions) {
    const maxRecordBytes = Math.min(options.maxRecordBytes ?? FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORD_BYTES);
    this.packer = new LinePacker({ maxRecordBytes, maxLinesPerRecord: options.maxLinesPerRecord });
    this.limit = pLimit(options.concurrency ?? 4);
  }

  public async write(line: string): Promise<void> {
    this.throwIfFailed();
    const record = this.packer.add(line);
    if (record) {
      await this.addToBatch(record);
    }
  }

  public async flush(): Promise<SinkReport> {
    const record = this.packer.take();
    if (record) {
      await this.addToBatch(record);
    }
    if (this.batch.length > 0) {
      this.send(this.takeBatch());
    }
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    return { linesDelivered: this.delivered, calls: this.calls };
  }

  private async addToBatch(record: PackedRecord): Promise<void> {
    if (this.batch.length >= FIREHOSE_MAX_RECORDS_PER_BATCH || this.batchBytes + record.data.length > FIREHOSE_MAX_BATCH_BYTES) {
      this.send(this.takeBatch());
      // Backpressure: hold the producer while the allowed number of calls are already in flight,
      // so memory stays bounded by concurrency x batch size whatever the size of the run.
      while (this.limit.activeCount + this.limit.pendingCount >= this.limit.concurrency) {
        await Promise.race(this.inFlight);
      }
      this.throwIfFailed();
    }
    this.batch.push(record);
    this.batchBytes += record.data.length;
  }

  private takeBatch(): PackedRecord[] {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    return batch;
  }

  private send(batch: PackedRecord[]): void {
    const task: Promise<void> = this.limit(() => this.deliver(batch))
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Sends a batch; on partial failure resends only the failed entries, with backoff. */
  private async deliver(batch: PackedRecord[]): Promise<void> {
    let pending = batch;
    await pRetry(
      async () => {
        let output: PutRecordBatchCommandOutput;
        try {
          this.calls += 1;
          output = await this.options.client.send(new PutRecordBatchCommand({
            DeliveryStreamName: this.options.deliveryStreamName,
            Records: pending.map((r) => ({ Data: r.data })),
          }));
        } catch (err) {
          if (NON_RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
            throw new AbortError(err as Error);
          }
          throw err;
        }
        const failed = (output.FailedPutCount ?? 0) > 0
          ? pending.filter((_, i) => output.RequestResponses?.[i]?.ErrorCode)
          : [];
        this.delivered += countLines(pending) - countLines(failed);
        pending = failed;
        if (failed.length > 0) {
          const codes = [...new Set(output.RequestResponses?.map((r) => r.ErrorCode).filter(Boolean))].join(', ');
          throw new Error(`${failed.length} of ${output.RequestResponses?.length} records failed (${codes})`);
        }
      },
      {
        retries: this.options.retries ?? 8,
        minTimeout: this.options.minBackoffMs ?? 100,
        maxTimeout: 5_000,
        factor: 2,
        randomize: true,
      },
    ).catch((err: Error) => {
      throw new FirehoseDeliveryError(
        `Firehose did not accept ${countLines(pending)} line(s) in ${pending.length} record(s) after retries: ${err.message}`,
        countLines(pending),
      );
    });
  }

  private throwIfFailed(): void {
    if (this.failure) {
      throw this.failure;
    }
  }
}

function countLines(records: ReadonlyArray<PackedRecord>): number {
  return records.reduce((sum, r) => sum + r.lines, 0);
}
