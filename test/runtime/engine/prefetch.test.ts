import { Worker } from 'node:worker_threads';
import { prefetchNext } from '../../../src/runtime/engine/prefetch';
import { baseSpec, CollectingSink, runSpec } from '../../helpers/engine-harness';

/** A source that records when each item was asked for, and can fail at one item. */
function source(items: number, failAt?: number) {
  const asked: number[] = [];
  let returned = false;
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 1; i <= items; i++) {
        asked.push(i);
        await new Promise((r) => setTimeout(r, 1));
        if (i === failAt) throw new Error(`item ${i} failed`);
        yield i;
      }
    } finally {
      returned = true;
    }
  }
  return { gen: gen(), asked, wasReturned: () => returned };
}

describe('prefetchNext', () => {
  test('yields every item in order, and asks for the next one before the consumer is done with the current', async () => {
    const s = source(3);
    const seen: Array<[number, number[]]> = [];
    for await (const item of prefetchNext(s.gen)) {
      await new Promise((r) => setTimeout(r, 5)); // the consumer's work on this item
      seen.push([item, [...s.asked]]);
    }
    expect(seen.map(([item]) => item)).toEqual([1, 2, 3]);
    // While item 1 was being processed, item 2 had already been asked for.
    expect(seen[0][1]).toEqual([1, 2]);
  });

  test('the source\'s return value is passed on', async () => {
    async function* ending(): AsyncGenerator<number, string> {
      yield 1;
      return 'how it ended';
    }
    const stream = prefetchNext(ending());
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    expect(await stream.next()).toEqual({ done: true, value: 'how it ended' });
  });

  test('an error of an item fetched ahead reaches the consumer when it asks for that item, not before', async () => {
    const s = source(3, 2);
    const seen: number[] = [];
    await expect((async () => {
      for await (const item of prefetchNext(s.gen)) seen.push(item);
    })()).rejects.toThrow('item 2 failed');
    expect(seen).toEqual([1]);
  });

  test('a consumer that stops early lets the source clean up, and no further item is asked for', async () => {
    const s = source(10);
    for await (const item of prefetchNext(s.gen)) {
      if (item === 2) break;
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(s.wasReturned()).toBe(true);
    expect(s.asked).toEqual([1, 2, 3]); // one ahead, never more
  });
});

/**
 * A loopback API in a worker thread, so it answers while the test's thread is blocked: it raises
 * a shared flag when page 2 is requested. Pages 1 and 2 have records; page 3 is empty.
 */
const API_IN_A_WORKER = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.flags);
const pages = { 1: [{ id: 1 }, { id: 2 }], 2: [{ id: 3 }] };
const server = createServer((req, res) => {
  const page = Number(new URL(req.url, 'http://loopback').searchParams.get('page'));
  if (page === 2) {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: pages[page] ?? [] }));
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

describe('the engine fetches ahead', () => {
  test('the next page is on its way to the API while the current page is still being written', async () => {
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const api = new Worker(API_IN_A_WORKER, { eval: true, workerData: { flags: flags.buffer } });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        api.once('message', resolve);
        api.once('error', reject);
      });
      const waits: string[] = [];
      // Writing page 1's first record blocks this thread (no turn of its event loop) until the
      // API has seen page 2's request, or 5 s: only a request already written can get there.
      class BlockingSink extends CollectingSink {
        public async write(line: string): Promise<void> {
          if (this.lines.length === 0) waits.push(Atomics.wait(flags, 0, 0, 5_000));
          return super.write(line);
        }
      }
      const { sink, summary } = await runSpec(
        baseSpec(`http://127.0.0.1:${port}/items`, { pagination: { type: 'pageNumber', param: 'page' } }),
        { sink: new BlockingSink() },
      );
      // 'ok': page 2's request arrived during the wait; 'not-equal': before it. Never 'timed-out'.
      expect(['ok', 'not-equal']).toContain(waits[0]);
      expect(sink.records.map((r) => r.id)).toEqual([1, 2, 3]);
      expect(summary.pages).toBe(3);
    } finally {
      await api.terminate();
    }
  });
});
