/**
 * JSON with integers beyond 2^53 kept exact, for rows of a schema: an `integer` column is a
 * 64-bit `bigint` in Glue and Parquet, but `JSON.parse` rounds such a number (a 64-bit id
 * `1234567890123456789` becomes `…800`). Node.js 21 and newer (the poller runs on 24) give a
 * reviver each literal's source text and write a raw literal back with `JSON.rawJSON`: integers
 * that a double cannot hold become `bigint` values here and are written digit for digit. On an
 * older Node.js they are rounded, as by `JSON.parse`.
 */
type RawJson = (text: string) => unknown;
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

/** Whether this Node.js keeps large integers exact. */
export const EXACT_INTEGERS = typeof rawJSON === 'function';

const INTEGER_LITERAL = /^-?\d+$/;
/** A run of 16 digits is the only way a JSON text can hold an integer beyond 2^53. */
const LONG_DIGIT_RUN = 16;

function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && INTEGER_LITERAL.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

/** `JSON.parse`, with integers beyond 2^53 as `bigint` where the runtime allows. */
export function parseExact(text: string): unknown {
  return EXACT_INTEGERS ? JSON.parse(text, exactIntegers as (key: string, value: unknown) => unknown) : JSON.parse(text);
}

/** Whether `parseExact(text)` could differ from `JSON.parse(text)`: a cheap test before the slower parse. */
export function mayHoldLargeIntegers(text: string): boolean {
  if (!EXACT_INTEGERS) return false;
  // A loop over char codes: a fifth of what /\d{16}/ costs per record (docs/BENCHMARKS.md, typed output).
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (++run >= LONG_DIGIT_RUN) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

function writeBigInts(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON!(value.toString()) : value;
}

/** `JSON.stringify`, writing `bigint` values as JSON numbers, digit for digit. */
export function stringifyExact(value: unknown): string {
  // A replacer costs a call per value; only a value with a bigint (which JSON.stringify refuses) needs one.
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !EXACT_INTEGERS) throw err;
    return JSON.stringify(value, writeBigInts);
  }
}
