/**
 * After each test file, deletes the Firehose delivery streams it made in moto (moto holds at most
 * 50 per region, and the whole suite makes more). Files that made none load nothing here.
 */
afterAll(async () => {
  const streams = (globalThis as { __ingestTestStreams?: string[] }).__ingestTestStreams ?? [];
  if (streams.length === 0) return;
  // Loaded only here: most test files make no stream and should not load the AWS SDK for this.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DeleteDeliveryStreamCommand } = require('@aws-sdk/client-firehose') as typeof import('@aws-sdk/client-firehose');
  const { firehoseClient } = require('../helpers/moto-aws') as typeof import('../helpers/moto-aws');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const client = firehoseClient();
  for (const name of streams.splice(0)) {
    await client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name })).catch(() => undefined);
  }
});
