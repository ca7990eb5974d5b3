/**
 * One measured run (bundled by bench/run-bench.ts and executed in its own Node.js process, so
 * its peak memory is the run's alone): the engine pulls RECORDS records from the loopback API
 * and delivers them through the real Firehose sink to the loopback Firehose endpoint.
 */
import { parseFeedSpec } from '../src/feed-spec/feed-spec';
import { runFeed } from '../src/runtime/engine/engine';
import { SecretRedactor } from '../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../src/runtime/secrets/secret-resolver';
import { createFirehoseClient } from '../src/runtime/sinks/firehose-client';
import { FirehoseSink } from '../src/runtime/sinks/firehose-sink';
import { MemoryStateStore } from '../src/runtime/state/memory-state-store';
import { memoryLogger } from '../test/helpers/memory-logger';

async function main(): Promise<void> {
  const [apiUrl, firehoseUrl, pageSize] = process.argv.slice(2);
  const redactor = new SecretRedactor();
  // The Lambda's own client factory, pointed at the loopback endpoint.
  const client = createFirehoseClient({
    endpoint: firehoseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // Where peak memory goes: sampled during the run (V8 heap, Buffers outside it, total RSS).
  // Every 50 ms: a sample costs ~0.2 ms of the run's CPU under load (reading /proc), so 10 ms
  // samples were 1.5 % of the poller's CPU. Peak RSS itself is the kernel's exact figure (maxRSS).
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], m[k]);
  }, 50);
  const started = process.cpuUsage();
  const loopAtStart = performance.eventLoopUtilization();
  const t0 = Date.now();
  const summary = await runFeed(parseFeedSpec({
    version: 1,
    feed: 'bench',
    request: { url: `${apiUrl}/items`, query: { size: pageSize } },
    pagination: { type: 'pageNumber', param: 'page', stop: { maxPages: 1_000_000 } },
    records: { path: 'data' },
  }), {
    sink: new FirehoseSink({ client, deliveryStreamName: 'bench', concurrency: process.env.SINK_CONCURRENCY ? Number(process.env.SINK_CONCURRENCY) : undefined }),
    state: new MemoryStateStore(),
    secrets: new CachingSecretResolver(async () => '', redactor),
    logger: memoryLogger(),
    redactor,
    // The bench's API listens on loopback.
    allowLoopback: true,
  });
  const cpu = process.cpuUsage(started);
  const loop = performance.eventLoopUtilization(loopAtStart);
  clearInterval(sampler);
  // What the run left behind: the V8 heap still live after a full collection (run with
  // --expose-gc). A poller that kept anything per record would show it here.
  (globalThis as { gc?: () => void }).gc?.();
  const liveHeapMiB = Math.round(process.memoryUsage().heapUsed / 1048576);
  process.stdout.write(JSON.stringify({
    records: summary.recordsDelivered,
    pages: summary.pages,
    calls: summary.sinkCalls,
    ms: Date.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // The share of the run the main thread spent working rather than waiting for I/O.
    mainThreadBusy: loop.utilization,
    maxRssKiB: process.resourceUsage().maxRSS,
    liveHeapMiB,
    peakMiB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)])),
  }));
}

void main();
