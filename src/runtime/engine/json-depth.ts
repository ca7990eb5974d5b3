/**
 * How deeply a response's JSON may nest. `JSON.parse` copes with any depth, but the code that
 * walks a value afterwards (field selection, JSONPath, serializing a record) recurses, and a
 * record nested 100,000 levels deep is no use to any table downstream: such a page fails with a
 * clear error instead of "Maximum call stack size exceeded".
 *
 * The check walks the parsed value, not the text: only objects and arrays are visited, which for
 * a 1,000-record page costs under a tenth of its `JSON.parse`, where a pass over the text's
 * characters cost more than the parse itself (docs/BENCHMARKS.md).
 */

/** The deepest nesting of objects and arrays accepted in a response. */
export const MAX_JSON_DEPTH = 512;

/** Whether a parsed JSON value nests objects and arrays deeper than `max` (no recursion). */
export function valueDepthExceeds(root: unknown, max: number = MAX_JSON_DEPTH): boolean {
  if (root === null || typeof root !== 'object') return false;
  // Containers still to visit, and their depths. Plain loops, no Object.values(): this runs on
  // every parsed page, and allocating per object tripled its cost.
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop()!;
    if (depth > max) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item !== null && typeof item === 'object') {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in value) {
        const item = value[key];
        if (item !== null && typeof item === 'object') {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
