/**
 * What a durable execution (AWS Lambda durable functions) gives a run: named steps whose results
 * are kept, so an execution replayed after an interruption or a wait skips the steps it finished,
 * waits that cost no compute, and a bounded map whose items each have steps of their own. The
 * engine knows nothing of the SDK behind it.
 */
export interface DurableSteps {
  /** Runs `fn` once per execution (retried if it throws), or returns its kept result on replay. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Suspends the execution for `seconds`; it resumes in a new invocation. */
  wait(name: string, seconds: number): Promise<void>;
  /**
   * Runs `fn` for each item, at most `maxConcurrency` at once, each with steps and waits of its
   * own (named apart from the other items'); the results in the items' order.
   */
  map<I, T>(name: string, items: I[], fn: (steps: DurableSteps, item: I, index: number) => Promise<T>, maxConcurrency: number): Promise<T[]>;
}
