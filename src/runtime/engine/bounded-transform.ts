/**
 * The spec's JSONata transform with a bound on each record: time, result size and memory. An
 * expression whose cost depends on the API's data (a backtracking regex, recursion to a depth the
 * API gives) would otherwise hang the poller past its time budget, or kill it, and the same record
 * would stall every later run. The expression runs in a worker thread with a heap limit; a watchdog
 * ends the thread when one record takes longer than its bound (a regex cannot be interrupted inside
 * the thread that runs it). That record gets an error, and so goes to the dead-letter queue with
 * the reason like any record the transform fails on; the page's other records go on in a new thread.
 * The run's deadline stops the transform too: the partition then fails and its cursor stays.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Clock } from './http-client';
import type { TransformedTexts, TransformReply, TransformRequest, TransformWorkerData } from './transform-worker';
import { TRANSFORM_BOUNDS, type RecordTransformSpec } from '../../feed-spec/record-transform';

/** The transform ran into the run's deadline: the partition stops (its cursor stays), no record is blamed. */
export class TransformDeadlineError extends Error {
  constructor() {
    super('the run\'s time budget ran out while the transform was running: the partition stops here and the next run fetches it again');
    this.name = 'TransformDeadline';
  }
}

/**
 * The worker's script: beside the bundle that runs (assets/poller/ in Lambda, assets/cli/ for
 * api-ingest), or, run from source (tests, benchmarks), the bundle step's copy in assets/cli/.
 */
function workerScript(): string {
  const beside = path.join(__dirname, 'transform-worker.js');
  return existsSync(beside) ? beside : path.join(__dirname, '..', '..', '..', 'assets', 'cli', 'transform-worker.js');
}

/** How often the watchdog looks at the record in progress. */
const WATCH_EVERY_MS = 20;

type BatchEnd = { readonly done: true } | { readonly done: false; readonly at: number; readonly reason: string };

export interface BoundedTransformOptions {
  readonly clock: Clock;
  /** Epoch ms: the run's deadline. @default none */
  readonly deadline?: number;
}

export class BoundedTransform {
  private worker?: Worker;
  /** The page before this one: pages take turns. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly progress = new SharedArrayBuffer(4);
  private readonly timeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly maxHeapMb: number;

  constructor(private readonly spec: RecordTransformSpec, private readonly feed: string, private readonly options: BoundedTransformOptions) {
    this.timeoutMs = spec.timeoutMs ?? TRANSFORM_BOUNDS.timeoutMs;
    this.maxOutputBytes = spec.maxOutputBytes ?? TRANSFORM_BOUNDS.maxOutputBytes;
    this.maxHeapMb = TRANSFORM_BOUNDS.maxHeapMb;
  }

  /** Each record's result (the JSON texts of the records it became), in order: a record past a bound gets an error naming the bound. */
  public applyAll(records: readonly unknown[], partition: Readonly<Record<string, string>> | null): Promise<TransformedTexts[]> {
    // One page at a time through the one worker (partitions run concurrently): its progress marker is one record's.
    const turn = this.queue.then(() => this.applyInTurn(records, partition));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async applyInTurn(records: readonly unknown[], partition: Readonly<Record<string, string>> | null): Promise<TransformedTexts[]> {
    const results: TransformedTexts[] = new Array(records.length);
    for (;;) {
      // The records without a result yet: all at first; after a stopped record, those after the
      // worker's last reply (computed again: the transform is a pure function of the record).
      const pending: number[] = [];
      for (let i = 0; i < records.length; i++) if (results[i] === undefined) pending.push(i);
      if (pending.length === 0) return results;
      const end = await this.batch(pending.map((i) => records[i]), partition, (index, result) => { results[pending[index]] = result; });
      if (!end.done) results[pending[end.at]] = { ok: false, error: end.reason };
    }
  }

  /** Ends the worker thread (the run is over). */
  public async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const data: TransformWorkerData = {
      expression: this.spec.expression, feed: this.feed, maxOutputBytes: this.maxOutputBytes, progress: this.progress,
    };
    const worker = new Worker(workerScript(), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, stackSizeMb: 4 } });
    // The thread never keeps a finished command alive.
    worker.unref();
    return worker;
  }

  /** One batch in the worker, watched: done, or the record (index in the batch) that broke a bound and why. */
  private batch(records: readonly unknown[], partition: Readonly<Record<string, string>> | null,
    onResult: (index: number, result: TransformedTexts) => void): Promise<BatchEnd> {
    const worker = this.worker ??= this.start();
    const progress = new Int32Array(this.progress);
    Atomics.store(progress, 0, 0);
    const { clock, deadline } = this.options;
    return new Promise<BatchEnd>((resolve, reject) => {
      let received = 0;
      let watched = 0;
      let since = clock.now();
      const finish = (end: BatchEnd | Error, restart: boolean) => {
        clearInterval(watchdog);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (restart) {
          this.worker = undefined;
          void worker.terminate();
        }
        if (end instanceof Error) reject(end); else resolve(end);
      };
      const current = () => Math.max(0, Atomics.load(progress, 0) - 1);
      const onMessage = (reply: TransformReply) => {
        reply.results.forEach((result, i) => onResult(reply.from + i, result));
        received += reply.results.length;
        if (received === records.length) finish({ done: true }, false);
      };
      const onError = (err: Error & { code?: string }) => {
        const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the transform ran out of its ${this.maxHeapMb} MB memory bound on this record`
          : `the transform stopped on this record (${err.message})`;
        finish({ done: false, at: current(), reason }, true);
      };
      const onExit = () => finish({ done: false, at: current(), reason: 'the transform\'s worker ended on this record' }, true);
      const watchdog = setInterval(() => {
        if (deadline !== undefined && clock.now() >= deadline) {
          finish(new TransformDeadlineError(), true);
          return;
        }
        const at = Atomics.load(progress, 0);
        if (at !== watched) {
          watched = at;
          since = clock.now();
        } else if (at > 0 && clock.now() - since > this.timeoutMs) {
          finish({ done: false, at: at - 1, reason: `the transform took longer than its bound of ${this.timeoutMs} ms on this record (limits of the spec's transform: timeoutMs)` }, true);
        }
      }, WATCH_EVERY_MS);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ records, partition } satisfies TransformRequest);
    });
  }
}
