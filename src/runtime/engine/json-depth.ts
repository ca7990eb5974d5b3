/**
 * How deeply a response's JSON may nest. `JSON.parse` copes with any depth, but the code that
 * walks a value afterwards (field selection, JSONPath, serializing a record) recurses, and a
 * record nested 100,000 levels deep is no use to any table downstream: such a page fails with a
 * clear error instead of "Maximum call stack size exceeded".
 */
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-text-scanner';

/** The deepest nesting of objects and arrays accepted in a response. */
export const MAX_JSON_DEPTH = 512;

/** Whether JSON text nests objects and arrays deeper than `max` (one pass, no recursion). */
export function jsonDepthExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}
