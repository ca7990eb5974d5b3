/**
 * Redrive: re-ingests one feed's `records` dead letters through a sink (Firehose), deleting each
 * message (and its S3 payload) only after the sink accepted every line of it. Messages of other
 * kinds (`request` letters, Lambda's own on-failure records) and of other feeds are left in the
 * queue for an operator.
 *
 * A dead letter is data, never an instruction: a payload is read only from the feed's own bucket
 * under `dead-letters/feed=NAME/`. A message that names another bucket or key is refused, left in
 * the queue, and reported.
 */
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_FORMAT, DeadLetterMessage } from './dead-letter';
import { deadLetterPayloadPrefix } from '../../feed-spec/poller-contract';
import type { Logger } from '../ports/logger';
import type { RecordSink } from '../ports/record-sink';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly queueUrl: string;
  /** The feed whose dead letters are redriven. */
  readonly feed: string;
  /** The feed's bucket: the only bucket payloads are read from. */
  readonly bucket: string;
  readonly sink: RecordSink;
  readonly logger: Logger;
  /** Stop after this many messages. @default all */
  readonly maxMessages?: number;
}

export interface RedriveReport {
  readonly messagesRedriven: number;
  readonly linesRedriven: number;
  /** Messages left in the queue (not this feed's record letters, refused, or not delivered). */
  readonly messagesLeft: number;
  /** Messages refused because they name a payload outside the feed's bucket and prefix (left in the queue). */
  readonly messagesRefused: number;
  /** Whether a delivery failed (the redrive stopped there; that message stays). */
  readonly deliveryFailed: boolean;
}

export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { sqs, s3, queueUrl, sink, logger } = options;
  let messagesRedriven = 0;
  let linesRedriven = 0;
  let messagesLeft = 0;
  let messagesRefused = 0;
  const prefix = deadLetterPayloadPrefix(options.feed);
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
      if (!letter || letter.feed !== options.feed) {
        messagesLeft += 1;
        continue; // stays invisible for this redrive, then returns to the queue
      }
      const where = letter.payloadS3;
      if (where && (where.bucket !== options.bucket || typeof where.key !== 'string' || !where.key.startsWith(prefix) || where.key.split('/').includes('..'))) {
        messagesLeft += 1;
        messagesRefused += 1;
        logger.error(`dead letter refused: its payload is named at s3://${where.bucket}/${where.key}, outside the feed's own s3://${options.bucket}/${prefix}; it stays in the queue`, { messageId: message.MessageId });
        continue;
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
        return { messagesRedriven, linesRedriven, messagesLeft, messagesRefused, deliveryFailed: true };
      }
    }
  }
  return { messagesRedriven, linesRedriven, messagesLeft, messagesRefused, deliveryFailed: false };
}
