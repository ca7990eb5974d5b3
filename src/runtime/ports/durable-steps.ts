/**
 * What a durable execution (AWS Lambda durable functions) gives a run: named steps whose results
 * are kept, so an execution replayed after an interruption or a wait skips the steps it finished,
 * and waits that cost no compute. The engine knows nothing of the SDK behind it.
 */
export interface DurableSteps {
  /** Runs `fn` once per execution (retried if it throws), or returns its kept result on replay. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Suspends the execution for `seconds`; it resumes in a new invocation. */
  wait(name: string, seconds: number): Promise<void>;
}
