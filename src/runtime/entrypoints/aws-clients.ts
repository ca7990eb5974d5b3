/**
 * AWS SDK clients as the entry points need them.
 *
 * - The SQS client sends to the queue URL's own host unless told otherwise; with
 *   `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_SQS`) set, dead letters must go to that endpoint like
 *   every other call (a local emulator, a VPC endpoint).
 * - Clients that a run rarely needs (SQS and S3 for dead letters) are loaded on first use: each
 *   SDK client module adds tens of milliseconds to a cold start, and most runs send no dead letter.
 *   Only type imports here, so importing this module loads no SDK client.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { s3Module, sqsModule } from '../aws-sdk/sdk-modules';

/** An SQS client's configuration, sending to the configured endpoint when there is one. */
export function sqsClientConfig(config: SQSClientConfig = {}, env: NodeJS.ProcessEnv = process.env): SQSClientConfig {
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
  return { ...config, ...(endpointSet ? { useQueueUrlAsEndpoint: false } : {}) };
}

/** A client made on first use, loading its SDK module then. */
export type LazyClient<T> = () => Promise<T>;

function once<T>(make: () => T): LazyClient<T> {
  let client: T | undefined;
  return async () => (client ??= make());
}

export function lazySqsClient(config: SQSClientConfig = {}): LazyClient<SQSClient> {
  return once(() => new (sqsModule().SQSClient)(sqsClientConfig(config)));
}

export function lazyS3Client(config: S3ClientConfig = {}): LazyClient<S3Client> {
  return once(() => new (s3Module().S3Client)(config));
}
