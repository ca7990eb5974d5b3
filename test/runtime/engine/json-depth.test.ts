import { MAX_JSON_DEPTH, valueDepthExceeds } from '../../../src/runtime/engine/json-depth';

/** `depth` arrays and objects nested alternately around a number, parsed from text. */
function nested(depth: number): unknown {
  let text = '1';
  for (let level = 0; level < depth; level++) text = level % 2 === 0 ? `[${text}]` : `{"a":${text}}`;
  return JSON.parse(text);
}

describe('valueDepthExceeds', () => {
  test('the limit is inclusive: exactly MAX_JSON_DEPTH levels pass, one more does not', () => {
    expect(valueDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(valueDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  test('a value nested 100,000 levels deep is answered without overflowing the stack', () => {
    expect(valueDepthExceeds(nested(100_000))).toBe(true);
  });

  test('scalars and wide, shallow values pass; depth is the deepest branch, not the count of containers', () => {
    expect(valueDepthExceeds('text')).toBe(false);
    expect(valueDepthExceeds(null)).toBe(false);
    expect(valueDepthExceeds({ data: Array.from({ length: 10_000 }, (_, i) => ({ id: i, tags: [i] })) }, 4)).toBe(false);
    expect(valueDepthExceeds({ data: [{ tags: [[1]] }] }, 4)).toBe(true);
  });
});
