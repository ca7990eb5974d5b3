import fc from 'fast-check';
import { compactJson, rawArrayElements } from '../../../src/runtime/engine/json-text-scanner';

// JSON objects with every kind of value, including strings full of quotes, backslashes,
// brackets, whitespace and non-ASCII characters (the scanner must step over all of them).
const hostileString = fc.string({ unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', 'a', 'é', '☔', '\u2028', '\u0000') });
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), hostileString, tie('object'), fc.array(tie('value'), { maxLength: 3 })),
  object: fc.dictionary(fc.oneof(fc.string(), hostileString), tie('value'), { maxKeys: 4 }),
})).object;
const indent = fc.constantFrom(undefined, 0, 2, '\t');

describe('raw record text', () => {
  test('the elements found are the parsed elements, each on one line, for any document and formatting', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 5 }), value, indent, (records, other, space) => {
      const text = JSON.stringify({ before: other, page: { data: records }, after: other }, null, space);
      const texts = rawArrayElements(text, ['page', 'data'])!;
      expect(texts.map((t) => JSON.parse(t))).toEqual(JSON.parse(text).page.data);
      // Compact input comes back exactly; pretty input comes back as JSON.stringify would write it.
      expect(texts).toEqual(records.map((r) => JSON.stringify(r)));
    }));
  });

  test('numbers keep every digit and their form: 64-bit ids, trailing zeros, exponents', () => {
    const text = '{"data":[{"id":1234567890123456789,"price":1.50,"tiny":1E-7,"name":"caf\\u00e9"}]}';
    expect(rawArrayElements(text, ['data'])).toEqual(['{"id":1234567890123456789,"price":1.50,"tiny":1E-7,"name":"caf\\u00e9"}']);
    // What parsing and serializing again would have delivered instead:
    expect(JSON.stringify(JSON.parse(text).data[0])).toBe('{"id":1234567890123456800,"price":1.5,"tiny":1e-7,"name":"café"}');
  });

  test('a repeated member counts once, the last one, as in JSON.parse; escaped names match', () => {
    expect(rawArrayElements('{"data":[{"a":1}],"data":[{"b":2}]}', ['data'])).toEqual(['{"b":2}']);
    expect(rawArrayElements('{"d\\u0061ta":[{"a":1}]}', ['data'])).toEqual(['{"a":1}']);
    expect(rawArrayElements('{"other":{"data":[1]},"data":[{"c":3}]}', ['data'])).toEqual(['{"c":3}']);
    expect(rawArrayElements('{"page":{"data":[{"a":1}]},"page":{"data":[{"x":1}]}}', ['page', 'data'])).toEqual(['{"x":1}']);
    expect(rawArrayElements('{"data":[{"a":1}],"data":5}', ['data'])).toBeUndefined();
  });

  test('no array at the path: nothing, so the caller serializes the parsed records', () => {
    expect(rawArrayElements('{"data":{"a":1}}', ['data'])).toBeUndefined();
    expect(rawArrayElements('{"items":[]}', ['data'])).toBeUndefined();
    expect(rawArrayElements('[{"a":1}]', ['data'])).toBeUndefined();
    expect(rawArrayElements(' [ {"a" : 1} , {"b":[ 2 ]} ] ', [])).toEqual(['{"a":1}', '{"b":[2]}']);
    expect(rawArrayElements('{"data":[]}', ['data'])).toEqual([]);
  });

  test('an NDJSON line with spaces between tokens is compacted, its strings untouched', () => {
    expect(compactJson(' { "a" : [ 1 , 2 ] , "b" : "x  y" } ')).toBe('{"a":[1,2],"b":"x  y"}');
  });
});
