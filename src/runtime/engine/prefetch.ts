/**
 * Asks an async iterator for its next item as soon as the current one is handed out, so the
 * producer's I/O (the next page's request) runs while the consumer works on the current item.
 *
 * At most one item is fetched ahead. Its error, if any, reaches the consumer when the consumer
 * asks for it, exactly as without prefetching; an item fetched ahead but never asked for (the
 * consumer stopped) is dropped, which is safe for pages: nothing of it was delivered, and the
 * consumer's checkpoints name the pages it did process. The source's return value is passed on.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export async function* prefetchNext<T, R = void>(source: AsyncIterator<T, R>): AsyncGenerator<T, R> {
  let ahead = source.next();
  try {
    for (;;) {
      const result = await ahead;
      if (result.done) return result.value;
      ahead = source.next();
      // Handled when the consumer asks for it; until then, not an unhandled rejection.
      ahead.catch(() => undefined);
      // One turn of the event loop before the consumer gets the current item, so the producer
      // gets as far as its first real wait. Node.js writes an HTTP request to its (kept-alive)
      // socket in a process.nextTick, which would otherwise run only after the consumer's
      // synchronous work on the whole item: the next page was then requested only when the
      // current one was done, and the API's latency added to every page instead of overlapping.
      await nextTurn();
      yield result.value;
    }
  } finally {
    // The consumer stopped early: let the source clean up once its pending step settles.
    void ahead.then(() => source.return?.(), () => undefined).catch(() => undefined);
  }
}
