/**
 * The Firehose client, created once per container and reused by every invocation. Timeouts and
 * the socket pool are explicit: the SDK's `connectionTimeout` does not cover waiting for a pooled
 * socket, so `requestTimeout` bounds every call.
 */
import { Agent } from 'node:https';
import { FirehoseClient, FirehoseClientConfig } from '@aws-sdk/client-firehose';

export function createFirehoseClient(overrides: FirehoseClientConfig = {}): FirehoseClient {
  return new FirehoseClient({
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 16 }),
    },
    ...overrides,
  });
}
