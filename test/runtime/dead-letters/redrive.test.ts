/**
 * Dead letters and their redrive, with real parts: the SQS writer (inline and S3 overflow) into
 * moto, then the shipped `api-ingest` CLI bundle re-ingesting them into a moto Firehose stream.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SqsDeadLetterWriter, SQS_INLINE_LIMIT_BYTES } from '../../../src/runtime/dead-letters/sqs-dead-letter-writer';
import { createFeedResources, FeedResources, motoEnv, readAllObjects, s3Client, sqsClient } from '../../helpers/moto-aws';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...motoEnv() } }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as any).code ?? 1 : 0, stdout, stderr });
    });
  });
}

async function queueCounts(queueUrl: string) {
  const { Attributes } = await sqsClient().send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

const line = (i: number, pad = 20) => `${JSON.stringify({ feed: 'f', record_id: `r${i}`, record: { i, pad: 'p'.repeat(pad) } })}\n`;

describe('dead letters and redrive', () => {
  let resources: FeedResources;
  let writer: SqsDeadLetterWriter;
  const small = [1, 2, 3].map((i) => line(i)).join('');
  const large = Array.from({ length: 30 }, (_, i) => line(100 + i, 10_000)).join('');

  beforeEach(async () => {
    resources = await createFeedResources('redriven/');
    writer = new SqsDeadLetterWriter({ sqs: async () => sqsClient(), s3: async () => s3Client(), queueUrl: resources.queueUrl, bucket: resources.bucketName, feed: 'f' });
    await writer.sendRecords({ lines: small, lineCount: 3, error: 'Firehose did not accept 3 line(s)', attempts: 9 });
    await writer.sendRecords({ lines: large, lineCount: 30, error: 'a record over the limit', attempts: 0 });
    await writer.sendRequest({ partition: { city: 'Seoul' }, request: { method: 'GET', url: 'https://api.example.com/x' }, error: 'HTTP 503' });
    // Lambda's own on-failure record lands in the same queue; redrive must leave it alone.
    await sqsClient().send(new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: JSON.stringify({ requestContext: { condition: 'RetriesExhausted' } }) }));
  });

  test('a payload too large for SQS is written to the bucket and referenced from the message', async () => {
    expect(Buffer.byteLength(large)).toBeGreaterThan(SQS_INLINE_LIMIT_BYTES);
    const objects = await readAllObjects(resources.bucketName);
    const overflow = [...objects.keys()].filter((k) => k.startsWith('dead-letters/feed=f/'));
    expect(overflow).toHaveLength(1);
    expect(objects.get(overflow[0])).toBe(large);
  });

  test('redrive re-ingests record letters byte for byte, deletes them, and leaves the others', async () => {
    const result = await cli(['redrive', '--feed', 'f', '--dlq', resources.queueUrl, '--dlq-bucket', resources.bucketName, '--firehose', resources.streamName, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ messagesRedriven: 2, linesRedriven: 33, messagesLeft: 2, messagesRefused: 0, deliveryFailed: false });
    const objects = await readAllObjects(resources.bucketName);
    const delivered = [...objects.entries()].filter(([k]) => k.startsWith('redriven/')).map(([, v]) => v).join('');
    expect(delivered.split('\n').filter(Boolean).sort()).toEqual((small + large).split('\n').filter(Boolean).sort());
    // The overflow object went with its message; the request letter and Lambda's record stay.
    expect([...objects.keys()].filter((k) => k.startsWith('dead-letters/'))).toEqual([]);
    expect(await queueCounts(resources.queueUrl)).toBe(2);
  });

  test('a redrive that Firehose refuses deletes nothing and exits 1', async () => {
    const result = await cli(['redrive', '--feed', 'f', '--dlq', resources.queueUrl, '--dlq-bucket', resources.bucketName, '--firehose', 'no-such-stream', '--json']);
    expect(result.code).toBe(1);
    expect(await queueCounts(resources.queueUrl)).toBe(4);
    expect(result.stderr).toMatch(/dead letter not redriven; it stays in the queue/);
  });

  test('a dead letter that names a payload outside the feed\'s bucket and prefix is refused and left in the queue', async () => {
    const foreign = (payloadS3: { bucket: string; key: string }) => sqsClient().send(new SendMessageCommand({
      QueueUrl: resources.queueUrl,
      MessageBody: JSON.stringify({ format: 'cdk-api-ingestion/dead-letter@1', kind: 'records', feed: 'f', time: '2026-11-25T12:00:00Z', error: 'x', lineCount: 1, payloadS3 }),
    }));
    await foreign({ bucket: 'someone-elses-bucket', key: 'dead-letters/feed=f/2026-11-25/x.ndjson' });
    await foreign({ bucket: resources.bucketName, key: 'redriven/secret-report.ndjson' });
    await foreign({ bucket: resources.bucketName, key: 'dead-letters/feed=f/../../redriven/x.ndjson' });
    await foreign({ bucket: resources.bucketName, key: 'dead-letters/feed=other/x.ndjson' });
    const result = await cli(['redrive', '--feed', 'f', '--dlq', resources.queueUrl, '--dlq-bucket', resources.bucketName, '--firehose', resources.streamName, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ messagesRedriven: 2, messagesRefused: 4, messagesLeft: 6 });
    expect(result.stderr).toContain('dead letter refused: its payload is named at s3://someone-elses-bucket/dead-letters/feed=f/2026-11-25/x.ndjson, outside the feed\'s own');
    expect(await queueCounts(resources.queueUrl)).toBe(6);
  });

  test('dead letters of another feed sharing the queue are left alone', async () => {
    const result = await cli(['redrive', '--feed', 'other', '--dlq', resources.queueUrl, '--dlq-bucket', resources.bucketName, '--firehose', resources.streamName, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ messagesRedriven: 0, messagesLeft: 4, messagesRefused: 0 });
  });

  test('redrive names what it needs in one line', async () => {
    const result = await cli(['redrive', '--dlq', resources.queueUrl, '--firehose', resources.streamName]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^api-ingest redrive: needs --feed, --dlq-bucket: /);
  });
});
