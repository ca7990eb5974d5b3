/**
 * The `transform` section of a feed spec: a JSONata expression applied by the poller to each
 * record before it is enveloped (or projected onto the schema). JSONata is the expression
 * language Step Functions also uses; the construct compiles the expression at synth with the same
 * library the poller runs it with, so an expression that does not compile never deploys.
 *
 * The expression's input (`$`) is the record; `$partition` is the partition's fields and `$feed`
 * the feed's name. Its result is the new record: an object (rename, drop, flatten, computed
 * fields), an array (one record becomes several), or nothing (the record is filtered out).
 */
import type jsonata from 'jsonata';
import * as z from 'zod/mini';

/** Loaded on first use: only a spec with a transform needs JSONata (the poller's cold start; see src/runtime/engine/record-transform.ts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadJsonata = (): typeof jsonata => require('jsonata');

/**
 * The bounds on each record's transform: the poller runs the expression in a worker thread and a
 * record past a bound goes to the dead-letter queue with the reason (runtime/engine/bounded-transform.ts).
 */
export const TRANSFORM_BOUNDS = {
  /** Time one record may take. */
  timeoutMs: 1000,
  /** The largest result one record may become, as JSON text. */
  maxOutputBytes: 1024 * 1024,
  /** The worker thread's heap. */
  maxHeapMb: 128,
} as const;

export const recordTransformSchema = z.strictObject({
  /** A JSONata expression, e.g. `{ "id": id, "temp_f": temp_c * 9 / 5 + 32 }` or `$[status = "open"]`. */
  expression: z.string().check(z.minLength(1, { message: 'must not be empty: a JSONata expression, e.g. {"id": id, "name": user.login}' })),
  /** Time one record's transform may take; a record that takes longer is dead-lettered with the reason. @default 1000 */
  timeoutMs: z.optional(z.number().check(
    z.int({ message: 'must be a whole number of milliseconds' }),
    z.gte(10, { message: 'must be at least 10 ms' }), z.lte(60_000, { message: 'must be at most 60000 ms: a record that needs longer belongs in a processorFunction' }),
  )),
  /** The largest result one record may become (JSON text bytes); a larger one is dead-lettered. @default 1048576 */
  maxOutputBytes: z.optional(z.number().check(
    z.int({ message: 'must be a whole number of bytes' }),
    z.gte(1, { message: 'must be at least 1' }), z.lte(16 * 1024 * 1024, { message: 'must be at most 16777216 (16 MiB)' }),
  )),
});

export type RecordTransformSpec = z.output<typeof recordTransformSchema>;

/** A JSONata error: its code, where in the expression, and the token there. */
interface JsonataError {
  readonly code?: string;
  readonly position?: number;
  readonly token?: string;
  readonly message?: string;
}

/** What is wrong with a transform's expression, in the user's terms, or undefined when it compiles. */
export function transformExpressionProblem(expression: string): string | undefined {
  try {
    loadJsonata()(expression);
    return undefined;
  } catch (err) {
    const error = err as JsonataError;
    const at = error.position !== undefined ? ` at character ${error.position}` : '';
    const near = error.position !== undefined ? `: ...${expression.slice(Math.max(0, error.position - 20), error.position)}<here>` : '';
    return `is not a JSONata expression that compiles (${error.code ?? 'error'}${at}: ${error.message ?? String(err)})${near}. `
      + 'See https://docs.jsonata.org, or try it with "api-ingest preview"';
  }
}
