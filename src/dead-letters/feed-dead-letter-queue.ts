/**
 * The feed's dead-letter queue: a new encrypted, SSL-only, retained queue (secure defaults first,
 * the user's `deadLetterQueueProps` on top), or an existing standard queue.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { skipCheckovChecks } from '../private/checkov';
import { definedOnly } from '../private/defined-only';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

export interface FeedDeadLetterQueueProps {
  readonly existingDeadLetterQueue?: sqs.IQueue;
  readonly deadLetterQueueProps?: sqs.QueueProps;
  readonly encryptionKey?: kms.IKey;
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: (message: string) => never;
}

/** Returns the feed's dead-letter queue, creating it (id `DeadLetterQueue`) unless one is given. */
export function feedDeadLetterQueue(scope: Construct, props: FeedDeadLetterQueueProps): sqs.IQueue {
  const synthError = props.synthError;
  if (props.existingDeadLetterQueue) {
    if (props.deadLetterQueueProps) {
      synthError('existingDeadLetterQueue and deadLetterQueueProps are both set; deadLetterQueueProps configures a new queue. Remove one of them');
    }
    if (props.existingDeadLetterQueue.fifo) {
      synthError('existingDeadLetterQueue is a FIFO queue; EventBridge Scheduler and Lambda destinations need a standard queue');
    }
    return props.existingDeadLetterQueue;
  }
  const overrides = definedOnly(props.deadLetterQueueProps ?? {});
  if (overrides.fifo) {
    synthError('deadLetterQueueProps.fifo is true; EventBridge Scheduler and Lambda destinations need a standard queue. Remove fifo');
  }
  if (overrides.encryption === sqs.QueueEncryption.UNENCRYPTED) {
    synthError('deadLetterQueueProps.encryption is UNENCRYPTED; dead letters hold API records. Use SQS_MANAGED or KMS, or leave it unset');
  }
  if (overrides.encryptionMasterKey && props.encryptionKey && overrides.encryptionMasterKey !== props.encryptionKey) {
    synthError('deadLetterQueueProps.encryptionMasterKey and encryptionKey are different keys; remove deadLetterQueueProps.encryptionMasterKey to use encryptionKey for the queue too');
  }
  const key = overrides.encryptionMasterKey ?? props.encryptionKey;
  const queue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: key ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
    encryptionMasterKey: key,
    enforceSSL: true,
    // The longest SQS allows: dead letters wait for someone to read and redrive them.
    retentionPeriod: Duration.days(14),
    // Deleting the stack must not delete records that were never delivered.
    removalPolicy: RemovalPolicy.RETAIN,
    ...overrides,
  });
  acknowledgeFindings(queue, ['AwsSolutions-SQS3'], 'This queue is itself the dead-letter queue of the schedule and the poller.');
  if (!key && (overrides.encryption ?? sqs.QueueEncryption.SQS_MANAGED) === sqs.QueueEncryption.SQS_MANAGED) {
    skipCheckovChecks(queue, [{ id: 'CKV_AWS_27', comment: 'Encrypted at rest with SQS-managed keys (SSE-SQS); set encryptionKey for a customer-managed key.' }]);
  }
  acknowledgeFindings(queue, ['Serverless-SQSRedrivePolicy'],
    'This queue is itself the dead-letter queue; its messages are redriven by the documented redrive procedure.');
  return queue;
}
