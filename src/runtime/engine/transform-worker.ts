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

/**
 * One record's result as it goes back: the JSON text of each record it became (what the engine
 * writes, and what the size bound measures: copying text back costs less than copying objects).
 */
export type TransformedTexts =
  | { readonly ok: true; readonly texts: string[] }
  | { readonly ok: false; readonly error: string };

/** The results of consecutive records, from `from`: posted every `REPLY_EVERY` records and at the batch's end. */
export interface TransformReply {
  readonly from: number;
  readonly results: TransformedTexts[];
}

/**
 * Records whose results go back in one message. One message per record cost more than the
 * transform itself; the record in progress is in shared memory, so a chunk loses nothing but the
 * results after the last chunk, which are computed again when a record is stopped.
 */
export const REPLY_EVERY = 256;

/** A result as JSON texts, within the size bound. */
function bounded(result: TransformResult, maxOutputBytes: number): TransformedTexts {
  if (!result.ok) return result;
  let texts: string[];
  try {
    texts = result.records.map((record) => JSON.stringify(record) ?? 'null');
  } catch (err) {
    return { ok: false, error: `the transform's result for this record is not JSON data (${(err as Error).message})` };
  }
  const bytes = texts.reduce((total, text) => total + Buffer.byteLength(text), 0);
  if (bytes > maxOutputBytes) {
    return { ok: false, error: `the transform's result for this record is ${bytes} bytes of JSON, over the bound of ${maxOutputBytes} bytes (limits of the spec's transform)` };
  }
  return { ok: true, texts };
}

if (parentPort) {
  const data = workerData as TransformWorkerData;
  const transform = new RecordTransform({ expression: data.expression }, data.feed);
  const progress = new Int32Array(data.progress);
  const port = parentPort;
  const reply = (from: number, results: TransformedTexts[]) => port.postMessage({ from, results } satisfies TransformReply);
  port.on('message', async (request: TransformRequest) => {
    let chunk: TransformedTexts[] = [];
    let chunkFrom = 0;
    for (let index = 0; index < request.records.length; index++) {
      Atomics.store(progress, 0, index + 1);
      chunk.push(bounded(await transform.apply(request.records[index], request.partition), data.maxOutputBytes));
      if (chunk.length >= REPLY_EVERY || index === request.records.length - 1) {
        reply(chunkFrom, chunk);
        chunk = [];
        chunkFrom = index + 1;
      }
    }
    Atomics.store(progress, 0, 0);
  });
}
