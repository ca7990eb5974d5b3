/**
 * Dead letters to the feed's SQS queue. A payload that would make the message larger than SQS
 * accepts is written to the bucket under `dead-letters/` first and referenced from the message.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_FORMAT, DeadLetterMessage, DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from './dead-letter';

/** SQS accepts messages up to 256 KiB; keep a margin for attributes and encoding. */
export const SQS_INLINE_LIMIT_BYTES = 240 * 1024;

export interface SqsDeadLetterWriterOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly feed: string;
  /** Key prefix for oversized payloads. @default "dead-letters/" */
  readonly prefix?: string;
}

export class SqsDeadLetterWriter implements DeadLetterWriter {
  constructor(private readonly options: SqsDeadLetterWriterOptions) {}

  public async sendRecords(letter: RecordsDeadLetter): Promise<void> {
    const base: DeadLetterMessage = {
      format: DEAD_LETTER_FORMAT,
      kind: 'records',
      feed: this.options.feed,
      time: new Date().toISOString(),
      error: letter.error,
      attempts: letter.attempts,
      lineCount: letter.lineCount,
    };
    let message: DeadLetterMessage = { ...base, payload: letter.lines };
    if (Buffer.byteLength(JSON.stringify(message)) > SQS_INLINE_LIMIT_BYTES) {
      const key = `${this.options.prefix ?? 'dead-letters/'}feed=${this.options.feed}/${base.time.slice(0, 10)}/${randomUUID()}.ndjson`;
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: letter.lines, ContentType: 'application/x-ndjson' }));
      message = { ...base, payloadS3: { bucket: this.options.bucket, key } };
    }
    await this.send(message);
  }

  public async sendRequest(letter: RequestDeadLetter): Promise<void> {
    await this.send({
      format: DEAD_LETTER_FORMAT,
      kind: 'request',
      feed: this.options.feed,
      time: new Date().toISOString(),
      error: letter.error,
      partition: letter.partition,
      request: letter.request,
    });
  }

  private async send(message: DeadLetterMessage): Promise<void> {
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify(message) }));
  }
}
