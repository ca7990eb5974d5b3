import { prefetchNext } from '../../../src/runtime/engine/prefetch';

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
