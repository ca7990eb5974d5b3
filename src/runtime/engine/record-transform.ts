/**
 * Runs the spec's JSONata transform on each record (see src/feed-spec/record-transform.ts): the
 * expression is compiled once per run; each record gives zero, one or several records.
 */
import type jsonata from 'jsonata';
import type { RecordTransformSpec } from '../../feed-spec/record-transform';

/**
 * JSONata is loaded when a feed has a transform, not at the poller's init: it adds about 18 ms
 * to a cold start (docs/MEASUREMENTS.md) that feeds without one should not pay. A literal
 * require(), so that esbuild bundles it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadJsonata = (): typeof jsonata => require('jsonata');

export type TransformResult =
  | { readonly ok: true; readonly records: unknown[] }
  | { readonly ok: false; readonly error: string };

export class RecordTransform {
  private readonly expression: jsonata.Expression;

  constructor(spec: RecordTransformSpec, private readonly feed: string) {
    this.expression = loadJsonata()(spec.expression);
  }

  /**
   * The records `record` becomes: the expression's result as a record, each element of an array
   * result as one, none for no result (filtered out). An evaluation error is returned, not thrown:
   * the record goes to the dead-letter queue with it.
   */
  public async apply(record: unknown, partition: Readonly<Record<string, string>> | null): Promise<TransformResult> {
    let result: unknown;
    try {
      result = await this.expression.evaluate(record, { partition: partition ?? {}, feed: this.feed });
    } catch (err) {
      const error = err as { code?: string; message?: string };
      return { ok: false, error: `the transform failed on this record (${error.code ?? 'error'}: ${error.message ?? String(err)})` };
    }
    if (result === undefined) return { ok: true, records: [] };
    const records = Array.isArray(result) ? result.filter((item) => item !== undefined) : [result];
    if (records.some((item) => typeof item === 'function')) {
      return { ok: false, error: 'the transform returned a function, not a record: call it, or return an object' };
    }
    return { ok: true, records };
  }
}
