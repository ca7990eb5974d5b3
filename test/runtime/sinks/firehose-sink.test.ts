import { FirehoseClient } from '@aws-sdk/client-firehose';
import { FIREHOSE_MAX_BATCH_BYTES, FIREHOSE_MAX_RECORDS_PER_BATCH } from '../../../src/runtime/sinks/firehose-limits';
import { FirehoseSink } from '../../../src/runtime/sinks/firehose-sink';
import { LineTooLargeError } from '../../../src/runtime/sinks/line-packer';
import { startFaultProxy } from '../../helpers/fault-proxy';
import { createStreamAndBucket, firehoseClient, motoEndpoint, readAllObjects, TEST_REGION } from '../../helpers/moto-aws';

interface ObservedCall { records: number; bytes: number; recordSizes: number[] }

/** A real Firehose client (to moto) with a middleware that reads each PutRecordBatch request as sent. */
function observedClient(): { client: FirehoseClient; calls: ObservedCall[] } {
  const client = firehoseClient();
  const calls: ObservedCall[] = [];
  client.middlewareStack.add((next) => async (args: any) => {
    const body = JSON.parse(Buffer.from(args.request.body).toString('utf8'));
    const sizes = body.Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64').length);
    calls.push({ records: sizes.length, bytes: sizes.reduce((a: number, b: number) => a + b, 0), recordSizes: sizes });
    return next(args);
  }, { step: 'finalizeRequest', name: 'observePutRecordBatch' });
  return { client, calls };
}

function lines(count: number, size: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `{"n":${i},"pad":"`;
    return `${head}${'x'.repeat(size - head.length - 3)}"}\n`;
  });
}

async function deliverAll(sink: FirehoseSink, input: string[]) {
  for (const line of input) {
    await sink.write(line);
  }
  return sink.flush();
}

describe('FirehoseSink against moto', () => {
  test('packs lines into records and never puts more than 500 records in a call', async () => {
    const { streamName, bucketName } = await createStreamAndBucket();
    const { client, calls } = observedClient();
    const input = lines(2_000, 300);
    const sink = new FirehoseSink({ client, deliveryStreamName: streamName, maxRecordBytes: 1_000 });

    const report = await deliverAll(sink, input);

    expect(report.linesDelivered).toBe(2_000);
    // What Firehose bills: every record sent, each rounded up to 5 KB; and the bytes themselves.
    const sent = calls.flatMap((c) => c.recordSizes);
    expect(report.bytesDelivered).toBe(600_000);
    expect(report.bytesBilled).toBe(sent.reduce((sum, size) => sum + Math.ceil(size / 5120) * 5120, 0));
    expect(report.bytesBilled).toBe(667 * 5120);
    // 3 lines of 300 bytes fit a 1,000-byte record: 667 records, in calls of at most 500.
    expect(calls.map((c) => c.records).sort((a, b) => b - a)).toEqual([500, 167]);
    for (const call of calls) {
      expect(call.records).toBeLessThanOrEqual(FIREHOSE_MAX_RECORDS_PER_BATCH);
      expect(Math.max(...call.recordSizes)).toBeLessThanOrEqual(1_000);
    }
    // moto writes one object per call; no line is split across records or objects.
    const objects = [...(await readAllObjects(bucketName)).values()];
    expect(objects).toHaveLength(2);
    for (const object of objects) {
      expect(object.endsWith('\n')).toBe(true);
    }
    const delivered = objects.join('').split('\n').filter(Boolean).map((l) => `${l}\n`);
    expect(delivered.sort()).toEqual([...input].sort());
  });

  test('keeps each call under 4 MB of data', async () => {
    const { streamName } = await createStreamAndBucket();
    const { client, calls } = observedClient();
    const input = lines(9, 900_000);
    const sink = new FirehoseSink({ client, deliveryStreamName: streamName, concurrency: 1 });

    const report = await deliverAll(sink, input);

    expect(report.linesDelivered).toBe(9);
    // 900 kB lines: one a record (two would pass the record limit); four a call (five would pass 4 MB).
    expect(calls.map((c) => c.records)).toEqual([4, 4, 1]);
    for (const call of calls) {
      expect(call.bytes).toBeLessThanOrEqual(FIREHOSE_MAX_BATCH_BYTES);
    }
  });

  test('a line over the record limit is refused with its size, before anything is sent', async () => {
    const { streamName } = await createStreamAndBucket();
    const { client, calls } = observedClient();
    const sink = new FirehoseSink({ client, deliveryStreamName: streamName });
    expect(() => sink.write(lines(1, 1_000_001)[0])).toThrow(LineTooLargeError);
    expect(() => sink.write(lines(1, 1_000_001)[0])).toThrow(/1000001 bytes is over the 1000000-byte Firehose record limit/);
    expect(calls).toHaveLength(0);
  });
});

describe('FirehoseSink when Firehose throttles (a fault proxy in front of moto)', () => {
  test('each "slow down" is passed on to onThrottled, and every line still arrives', async () => {
    const { streamName, bucketName } = await createStreamAndBucket();
    const proxy = await startFaultProxy(motoEndpoint(), { throttleRate: 0.5 });
    try {
      const client = new FirehoseClient({ endpoint: proxy.url, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      let told = 0;
      const sink = new FirehoseSink({
        client, deliveryStreamName: streamName, maxRecordBytes: 1_000, minBackoffMs: 1, onThrottled: () => { told += 1; },
      });
      const report = await deliverAll(sink, lines(3_000, 300));
      expect(report.linesDelivered).toBe(3_000);
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      expect(told).toBe(proxy.stats.throttled);
      const delivered = [...(await readAllObjects(bucketName)).values()].join('').split('\n').filter(Boolean);
      expect(delivered).toHaveLength(3_000);
    } finally {
      await proxy.close();
    }
  });
});
