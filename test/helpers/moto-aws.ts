/**
 * AWS resources in moto (server mode), created and read through the real AWS SDK v3 clients.
 * moto's CloudFormation skips Firehose, so tests create the stream through the Firehose API.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SerializingProxy, startSerializingProxy } from './serializing-proxy';

export const TEST_REGION = 'us-east-1';

export function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) {
    throw new Error('MOTO_ENDPOINT is not set: the jest global setup starts moto; run tests through "npm run test:all"');
  }
  return endpoint;
}

/** Environment for code that builds its own SDK clients (the bundled handler): points them at moto. */
export function motoEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

const clientConfig = () => ({
  endpoint: motoEndpoint(),
  region: TEST_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

export function s3Client(): S3Client {
  return new S3Client(clientConfig());
}

export function firehoseClient(): FirehoseClient {
  return new FirehoseClient(clientConfig());
}

export function sqsClient(): SQSClient {
  return new SQSClient(clientConfig());
}

export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient(clientConfig());
}

let serializing: Promise<SerializingProxy> | undefined;

/**
 * A DynamoDB client whose writes reach moto one at a time, as DynamoDB applies writes to an item
 * (see serializing-proxy.ts): for tests of concurrent conditional writes (the rate budget).
 */
export async function serializedDynamoDbClient(): Promise<DynamoDBClient> {
  serializing ??= startSerializingProxy(motoEndpoint());
  return new DynamoDBClient({ ...clientConfig(), endpoint: (await serializing).url });
}

let counter = 0;

/**
 * The delivery streams this test file made, for test/setup/delete-test-streams.ts: moto refuses a
 * 51st stream in a region, and the whole suite makes more than that.
 */
export function createdStreams(): string[] {
  const registry = globalThis as { __ingestTestStreams?: string[] };
  registry.__ingestTestStreams ??= [];
  return registry.__ingestTestStreams;
}

/** A fresh bucket and a delivery stream writing to it, with unique names per call. */
export async function createStreamAndBucket(prefix = 'feed/'): Promise<{ streamName: string; bucketName: string }> {
  counter += 1;
  const suffix = `${process.pid}-${Date.now()}-${counter}`;
  const bucketName = `ingest-test-${suffix}`;
  const streamName = `ingest-test-${suffix}`;
  await s3Client().send(new CreateBucketCommand({ Bucket: bucketName }));
  createdStreams().push(streamName);
  await firehoseClient().send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: streamName,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      BucketARN: `arn:aws:s3:::${bucketName}`,
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      Prefix: prefix,
    },
  }));
  return { streamName, bucketName };
}

/** Every object in the bucket, by key, as text. */
export async function readAllObjects(bucketName: string): Promise<Map<string, string>> {
  const s3 = s3Client();
  const objects = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucketName, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: object.Key }));
      objects.set(object.Key!, await body.Body!.transformToString('utf8'));
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

export interface FeedResources {
  readonly streamName: string;
  readonly bucketName: string;
  readonly queueUrl: string;
  readonly tableName: string;
}

/** Everything a feed's poller needs, as the construct makes it: stream → bucket, DLQ, state table. */
export async function createFeedResources(prefix = 'feed/'): Promise<FeedResources> {
  const { streamName, bucketName } = await createStreamAndBucket(prefix);
  const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: `${streamName}-dlq` }));
  const tableName = `${streamName}-state`;
  await dynamoDbClient().send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  return { streamName, bucketName, queueUrl: QueueUrl!, tableName };
}

/** The environment the construct gives the poller, pointing at these resources in moto. */
export function pollerEnv(resources: FeedResources): Record<string, string> {
  return {
    ...motoEnv(),
    DELIVERY_STREAM_NAME: resources.streamName,
    DEAD_LETTER_QUEUE_URL: resources.queueUrl,
    DEAD_LETTER_BUCKET: resources.bucketName,
    STATE_TABLE_NAME: resources.tableName,
  };
}

/** Every message in the queue (received and deleted), parsed. */
export async function drainQueue(queueUrl: string): Promise<any[]> {
  const sqs = sqsClient();
  const messages: any[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!Messages?.length) return messages;
    for (const m of Messages) {
      messages.push(JSON.parse(m.Body!));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}
