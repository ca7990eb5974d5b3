/**
 * One measured run (bundled by bench/run-bench.ts and executed in its own Node.js process, so
 * its peak memory is the run's alone): the engine pulls RECORDS records from the loopback API
 * and delivers them through the real Firehose sink to the loopback Firehose endpoint.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { runFeed } from '../src/runtime/engine/engine';
import { memoryLogger } from '../src/runtime/engine/logger';
import { Redactor } from '../src/runtime/engine/redactor';
import { CachingSecretResolver } from '../src/runtime/secrets/secret-resolver';
import { FirehoseSink } from '../src/runtime/sinks/firehose-sink';
import { MemoryStateStore } from '../src/runtime/state/state-store';
import { parseFeedSpec } from '../src/spec/feed-spec';

async function main(): Promise<void> {
  const [apiUrl, firehoseUrl, pageSize] = process.argv.slice(2);
  const redactor = new Redactor();
  const client = new FirehoseClient({
    endpoint: firehoseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const started = process.cpuUsage();
  const t0 = Date.now();
  const summary = await runFeed(parseFeedSpec({
    version: 1,
    feed: 'bench',
    request: { url: `${apiUrl}/items`, query: { size: pageSize } },
    pagination: { type: 'pageNumber', param: 'page', stop: { maxPages: 1_000_000 } },
    records: { path: 'data' },
  }), {
    sink: new FirehoseSink({ client, deliveryStreamName: 'bench' }),
    state: new MemoryStateStore(),
    secrets: new CachingSecretResolver(async () => '', redactor),
    logger: memoryLogger(),
    redactor,
  });
  const cpu = process.cpuUsage(started);
  process.stdout.write(JSON.stringify({
    records: summary.recordsDelivered,
    pages: summary.pages,
    calls: summary.sinkCalls,
    ms: Date.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
  }));
}

void main();
