/**
 * Redrive: re-ingests `records` dead letters through a sink (Firehose), deleting each message
 * (and its S3 payload) only after the sink accepted every line of it. Messages of other kinds
 * (`request` letters, Lambda's own on-failure records) are left in the queue for an operator.
 */
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_FORMAT, DeadLetterMessage } from './dead-letter';
import type { Logger } from '../engine/logger';
import type { RecordSink } from '../sinks/record-sink';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly queueUrl: string;
  readonly sink: RecordSink;
  readonly logger: Logger;
  /** Stop after this many messages. @default all */
  readonly maxMessages?: number;
}

export interface RedriveReport {
  readonly messagesRedriven: number;
  readonly linesRedriven: number;
  /** Messages left in the queue (not record letters, or not delivered). */
  readonly messagesLeft: number;
  /** Whether a delivery failed (the redrive stopped there; that message stays). */
  readonly deliveryFailed: boolean;
}

export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { sqs, s3, queueUrl, sink, logger } = options;
  let messagesRedriven = 0;
  let linesRedriven = 0;
  let messagesLeft = 0;
  const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
  while (messagesRedriven + messagesLeft < max) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300,
    }));
    if (!Messages?.length) break;
    for (const message of Messages) {
      let letter: DeadLetterMessage | undefined;
      try {
        const parsed = JSON.parse(message.Body ?? '');
        if (parsed?.format === DEAD_LETTER_FORMAT && parsed.kind === 'records') letter = parsed;
      } catch {
        // not ours
      }
      if (!letter) {
        messagesLeft += 1;
        continue; // stays invisible for this redrive, then returns to the queue
      }
      try {
        let payload = letter.payload ?? '';
        if (letter.payloadS3) {
          const object = await s3.send(new GetObjectCommand({ Bucket: letter.payloadS3.bucket, Key: letter.payloadS3.key }));
          payload = await object.Body!.transformToString('utf8');
        }
        const lines = payload.split('\n').filter(Boolean);
        for (const line of lines) await sink.write(`${line}\n`);
        await sink.flush();
        // Delivered: only now may the dead letter go.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
        if (letter.payloadS3) {
          await s3.send(new DeleteObjectCommand({ Bucket: letter.payloadS3.bucket, Key: letter.payloadS3.key }));
        }
        messagesRedriven += 1;
        linesRedriven += lines.length;
      } catch (err) {
        messagesLeft += 1;
        logger.error('dead letter not redriven; it stays in the queue', { error: (err as Error).message, messageId: message.MessageId });
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }));
        return { messagesRedriven, linesRedriven, messagesLeft, deliveryFailed: true };
      }
    }
  }
  return { messagesRedriven, linesRedriven, messagesLeft, deliveryFailed: false };
}
