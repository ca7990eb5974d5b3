/**
 * Dead letters to the feed's SQS queue. A payload that would make the message larger than SQS
 * accepts is written to the bucket under `dead-letters/` first and referenced from the message.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterMessage, recordsMessage, requestMessage } from './dead-letter';
import { deadLetterPayloadPrefix } from '../../feed-spec/poller-contract';
import { s3Module, sqsModule } from '../aws-sdk/sdk-modules';
import { DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from '../ports/dead-letters';

/** SQS accepts messages up to 256 KiB; keep a margin for attributes and encoding. */
export const SQS_INLINE_LIMIT_BYTES = 240 * 1024;

export interface SqsDeadLetterWriterOptions {
  /** The SQS client, made (and its SDK module loaded) when the first dead letter is sent. */
  readonly sqs: () => Promise<SQSClient>;
  readonly queueUrl: string;
  /** The S3 client, made when the first payload too large for SQS is written. */
  readonly s3: () => Promise<S3Client>;
  readonly bucket: string;
  readonly feed: string;
}

export class SqsDeadLetterWriter implements DeadLetterWriter {
  constructor(private readonly options: SqsDeadLetterWriterOptions) {}

  public async sendRecords(letter: RecordsDeadLetter): Promise<void> {
    let message = recordsMessage(this.options.feed, letter);
    if (Buffer.byteLength(JSON.stringify(message)) > SQS_INLINE_LIMIT_BYTES) {
      const key = `${deadLetterPayloadPrefix(this.options.feed)}${message.time.slice(0, 10)}/${randomUUID()}.ndjson`;
      const { PutObjectCommand } = s3Module();
      await (await this.options.s3()).send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: letter.lines, ContentType: 'application/x-ndjson' }));
      const { payload: _moved, ...withoutPayload } = message;
      message = { ...withoutPayload, payloadS3: { bucket: this.options.bucket, key } };
    }
    await this.send(message);
  }

  public async sendRequest(letter: RequestDeadLetter): Promise<void> {
    await this.send(requestMessage(this.options.feed, letter));
  }

  private async send(message: DeadLetterMessage): Promise<void> {
    const { SendMessageCommand } = sqsModule();
    await (await this.options.sqs()).send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify(message) }));
  }
}
