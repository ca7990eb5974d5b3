/**
 * AWS SDK clients as the entry points need them. The SQS client sends to the queue URL's own host
 * unless told otherwise; with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_SQS`) set, dead letters must
 * go to that endpoint like every other call (a local emulator, a VPC endpoint).
 */
import { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';

export function sqsClient(config: SQSClientConfig = {}, env: NodeJS.ProcessEnv = process.env): SQSClient {
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
  return new SQSClient({ ...config, ...(endpointSet ? { useQueueUrlAsEndpoint: false } : {}) });
}
