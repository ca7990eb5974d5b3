/** The feed's dead-letter queue: secure defaults a user can add to but not remove by accident. */
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { feedDeadLetterQueue } from '../../src/dead-letters/feed-dead-letter-queue';
import { templateOf, testStack } from '../helpers/synth';

const synthError = (message: string): never => { throw new Error(message); };

describe('feedDeadLetterQueue', () => {
  test('a new queue keeps letters 14 days, SSE-SQS, SSL only, retained; an unset prop keeps its default', () => {
    const stack = testStack();
    feedDeadLetterQueue(stack, { deadLetterQueueProps: { retentionPeriod: undefined }, synthError });
    const [queue] = Object.values<any>(templateOf(stack).findResources('AWS::SQS::Queue'));
    expect(queue.DeletionPolicy).toBe('Retain');
    expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    templateOf(stack).hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });

  test('an existing standard queue is used as it is; a FIFO queue or props as well are errors', () => {
    const stack = testStack();
    const existing = sqs.Queue.fromQueueArn(stack, 'Shared', 'arn:aws:sqs:us-east-1:123456789012:feeds-dlq');
    expect(feedDeadLetterQueue(stack, { existingDeadLetterQueue: existing, synthError })).toBe(existing);
    expect(() => feedDeadLetterQueue(stack, { existingDeadLetterQueue: existing, deadLetterQueueProps: {}, synthError }))
      .toThrow(/existingDeadLetterQueue and deadLetterQueueProps are both set/);
    const fifo = sqs.Queue.fromQueueArn(stack, 'Fifo', 'arn:aws:sqs:us-east-1:123456789012:feeds-dlq.fifo');
    expect(() => feedDeadLetterQueue(stack, { existingDeadLetterQueue: fifo, synthError })).toThrow(/FIFO queue/);
  });

  test('an unencrypted or FIFO new queue is refused', () => {
    expect(() => feedDeadLetterQueue(testStack(), { deadLetterQueueProps: { encryption: sqs.QueueEncryption.UNENCRYPTED }, synthError })).toThrow(/UNENCRYPTED/);
    expect(() => feedDeadLetterQueue(testStack(), { deadLetterQueueProps: { fifo: true }, synthError })).toThrow(/fifo is true/);
  });
});
