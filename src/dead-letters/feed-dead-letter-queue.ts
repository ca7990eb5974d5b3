/**
 * The feed's dead-letter queue: a new encrypted, SSL-only, retained queue (secure defaults first,
 * the user's `deadLetterQueueProps` on top), or an existing standard queue.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FeedDeadLetterQueueOptions } from './feed-dead-letter-queue-options';
import { skipCheckovChecks } from '../private/checkov';
import { existingOrNew, keyOfNewResource, SynthError } from '../private/existing-or-new';
import { acknowledgeFindings } from '../private/nag-acknowledgements';

export interface FeedDeadLetterQueueProps extends FeedDeadLetterQueueOptions {
  readonly encryptionKey?: kms.IKey;
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: SynthError;
}

/** Returns the feed's dead-letter queue, creating it (id `DeadLetterQueue`) unless one is given. */
export function feedDeadLetterQueue(scope: Construct, props: FeedDeadLetterQueueProps): sqs.IQueue {
  const synthError = props.synthError;
  const choice = existingOrNew(props.existingDeadLetterQueue, props.deadLetterQueueProps,
    { existing: 'existingDeadLetterQueue', props: 'deadLetterQueueProps', resource: 'queue' }, synthError);
  if (choice.existing) {
    if (choice.existing.fifo) {
      synthError('existingDeadLetterQueue is a FIFO queue; EventBridge Scheduler and Lambda destinations need a standard queue');
    }
    return choice.existing;
  }
  const overrides = choice.overrides;
  if (overrides.fifo) {
    synthError('deadLetterQueueProps.fifo is true; EventBridge Scheduler and Lambda destinations need a standard queue. Remove fifo');
  }
  if (overrides.encryption === sqs.QueueEncryption.UNENCRYPTED) {
    synthError('deadLetterQueueProps.encryption is UNENCRYPTED; dead letters hold API records. Use SQS_MANAGED or KMS, or leave it unset');
  }
  const key = keyOfNewResource(overrides.encryptionMasterKey, props.encryptionKey, 'deadLetterQueueProps.encryptionMasterKey', 'queue', synthError);
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
