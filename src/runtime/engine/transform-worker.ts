/**
 * The worker thread that runs a feed's JSONata transform (see bounded-transform.ts). It evaluates
 * the records it is sent one after the other, marks the one it is on in shared memory, and posts
 * each result as soon as it has it: when the watchdog ends the thread (a record past its time
 * bound) or the thread runs out of its heap, the results before the record are kept and the
 * record itself is known. Bundled on its own into assets/ beside the poller and the CLI.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RecordTransform, TransformResult } from './record-transform';

/** What the worker is started with. */
export interface TransformWorkerData {
  readonly expression: string;
  readonly feed: string;
  /** The largest result per record, as JSON text bytes. */
  readonly maxOutputBytes: number;
  /** `progress[0]` = the index (from 1) of the record being evaluated, 0 when idle. */
  readonly progress: SharedArrayBuffer;
}

/** A batch to transform. */
export interface TransformRequest {
  readonly records: readonly unknown[];
  readonly partition: Readonly<Record<string, string>> | null;
}

/** One record's result, posted as soon as it is known. */
export interface TransformReply {
  readonly index: number;
  readonly result: TransformResult;
}

/** A result a record may pass on: within the size bound, and plain data (no function inside it). */
function bounded(result: TransformResult, maxOutputBytes: number): TransformResult {
  if (!result.ok) return result;
  let bytes = 0;
  try {
    for (const record of result.records) bytes += Buffer.byteLength(JSON.stringify(record) ?? '');
  } catch (err) {
    return { ok: false, error: `the transform's result for this record is not JSON data (${(err as Error).message})` };
  }
  if (bytes > maxOutputBytes) {
    return { ok: false, error: `the transform's result for this record is ${bytes} bytes of JSON, over the bound of ${maxOutputBytes} bytes (limits of the spec's transform)` };
  }
  return result;
}

if (parentPort) {
  const data = workerData as TransformWorkerData;
  const transform = new RecordTransform({ expression: data.expression }, data.feed);
  const progress = new Int32Array(data.progress);
  const port = parentPort;
  port.on('message', async (request: TransformRequest) => {
    for (let index = 0; index < request.records.length; index++) {
      Atomics.store(progress, 0, index + 1);
      let result = bounded(await transform.apply(request.records[index], request.partition), data.maxOutputBytes);
      try {
        port.postMessage({ index, result } satisfies TransformReply);
      } catch (err) {
        // A value structured cloning cannot copy (a function deep in the result).
        result = { ok: false, error: `the transform's result for this record cannot be passed on (${(err as Error).message})` };
        port.postMessage({ index, result } satisfies TransformReply);
      }
    }
    Atomics.store(progress, 0, 0);
  });
}
