/**
 * The durable execution SDK's context as the engine's `DurableSteps` port: steps retried a few
 * times with a growing pause, waits, and maps whose items get child contexts of their own.
 */
import type { DurableContext } from '@aws/durable-execution-sdk-js';
import type { DurableSteps } from '../ports/durable-steps';

/** A step that throws is tried again after a pause, up to this many attempts, then fails the execution. */
const STEP_ATTEMPTS = 3;

export function durableSteps(context: DurableContext): DurableSteps {
  return {
    step: (name, fn) => context.step(name, async () => fn(), {
      retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < STEP_ATTEMPTS, delay: { seconds: 5 * attempt } }),
    }),
    wait: (name, seconds) => context.wait(name, { seconds }),
    map: async (name, items, fn, maxConcurrency) => {
      const batch = await context.map(name, items, (child, item, index) => fn(durableSteps(child), item, index), {
        maxConcurrency,
        itemNamer: (_item, index) => `${name} ${index + 1}`,
      });
      batch.throwIfError();
      return batch.getResults();
    },
  };
}

