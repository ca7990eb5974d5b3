import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { BadResponseError, parsePage } from '../../../src/runtime/engine/extract-records';
import { checkedArrayElements, elementTexts } from '../../../src/runtime/engine/json-byte-scanner';
import { rawArrayElements } from '../../../src/runtime/engine/json-text-scanner';

/** The records' texts the check finds in `text` sent as UTF-8, or undefined where it gives no answer. */
function checkedTexts(text: string | Buffer, names: string[]): string[] | undefined {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const elements = checkedArrayElements(body, names);
  return elements && elementTexts(body, elements);
}

/** What JSON.parse says of a text: whether it is JSON. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// Strings full of what a scanner can trip on: quotes, backslashes, brackets, JSON whitespace,
// control characters (escaped by JSON.stringify), non-ASCII and line separators.
const hostileString = fc.string({ unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', '\r', 'a', 'é', '☔', '\u2028', '\u0000', '\u001f', '/') });
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), hostileString, tie('object'), fc.array(tie('value'), { maxLength: 3 })),
  object: fc.dictionary(fc.oneof(fc.string(), hostileString), tie('value'), { maxKeys: 4 }),
})).object;
const indent = fc.constantFrom(undefined, 0, 1, '\t', '\r\n');
const page = fc.record({ records: fc.array(value, { maxLength: 5 }), other: value, space: indent })
  .map(({ records, other, space }) => JSON.stringify({ before: other, page: { data: records }, after: other }, null, space));

// An edit that breaks JSON as often as it keeps it: a character removed, doubled, replaced or
// inserted where a scanner is most likely to accept what it should not.
const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate'),
  character: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', '0', '1', '-', '+', '.', 'e', 'E', 'u', 'x', 'n', 't', 'f', '\u0000', '\u0007', '\u00a0', '\ufeff'),
});
function applyEdit(text: string, { at, kind, character }: { at: number; kind: string; character: string }): string {
  const i = at % (text.length + 1);
  switch (kind) {
    case 'delete': return text.slice(0, i) + text.slice(i + 1);
    case 'insert': return text.slice(0, i) + character + text.slice(i);
    case 'replace': return text.slice(0, i) + character + text.slice(i + 1);
    default: return text.slice(0, i);
  }
}

describe('checked record texts', () => {
  test('accept any JSON page and find exactly the texts the trusting scanner finds', () => {
    fc.assert(fc.property(page, (text) => {
      const texts = checkedTexts(text, ['page', 'data']);
      expect(texts).toEqual(rawArrayElements(text, ['page', 'data']));
      expect(texts!.map((t) => JSON.parse(t))).toEqual(JSON.parse(text).page.data);
    }), { numRuns: 1000 });
  });

  test('never accept what JSON.parse refuses: random edits of valid pages', () => {
    let refused = 0;
    fc.assert(fc.property(page, fc.array(edit, { minLength: 1, maxLength: 3 }), (valid, edits) => {
      const text = edits.reduce(applyEdit, valid);
      const texts = checkedTexts(text, ['page', 'data']);
      if (texts === undefined) {
        refused += 1;
        return;
      }
      // Accepted: it must be JSON, and the texts those of its records.
      expect(isJson(text)).toBe(true);
      expect(texts).toEqual(rawArrayElements(text, ['page', 'data']));
    }), { numRuns: 5000 });
    // The edits do break pages (the property is not vacuous).
    expect(refused).toBeGreaterThan(1000);
  });

  test('never accept bytes that are not UTF-8, or what JSON.parse refuses of their decoding: random byte edits', () => {
    let refused = 0;
    const byteEdit = fc.record({ at: fc.nat(), byte: fc.oneof(fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0x00, 0x22, 0x5c, 0x7b, 0x7d)) });
    fc.assert(fc.property(page, fc.array(byteEdit, { minLength: 1, maxLength: 3 }), (valid, edits) => {
      const body = Buffer.from(valid);
      for (const { at, byte } of edits) body[at % body.length] = byte;
      const elements = checkedArrayElements(body, ['page', 'data']);
      if (elements === undefined) {
        refused += 1;
        return;
      }
      // Accepted: valid UTF-8, JSON, and the byte ranges are the records' texts.
      expect(isUtf8(body)).toBe(true);
      expect(isJson(body.toString('utf8'))).toBe(true);
      expect(elementTexts(body, elements)).toEqual(rawArrayElements(body.toString('utf8'), ['page', 'data']));
    }), { numRuns: 2000 });
    expect(refused).toBeGreaterThan(500);
  });

  test('a body that is not UTF-8 gets no answer, so it is parsed as before (bad bytes become U+FFFD)', () => {
    const body = Buffer.concat([Buffer.from('{"data":[{"a":"x'), Buffer.from([0xff]), Buffer.from('"}]}')]);
    expect(checkedArrayElements(body, ['data'])).toBeUndefined();
    const parsed = parsePage(body, { format: 'json', path: 'data' }, { textsOnly: true });
    expect(parsed.texts).toEqual(['{"a":"x\ufffd"}']);
    expect(parsed.recordBytes).toBeUndefined();
  });

  test.each([
    ['a trailing comma in an array', '{"data":[{"a":1},]}'],
    ['a trailing comma in an object', '{"data":[{"a":1,}]}'],
    ['a leading zero', '{"data":[{"a":01}]}'],
    ['a bare minus', '{"data":[{"a":-}]}'],
    ['a number ending in a dot', '{"data":[{"a":1.}]}'],
    ['a number starting with a dot', '{"data":[{"a":.5}]}'],
    ['an exponent without digits', '{"data":[{"a":1e}]}'],
    ['a plus sign', '{"data":[{"a":+1}]}'],
    ['NaN', '{"data":[{"a":NaN}]}'],
    ['Infinity', '{"data":[{"a":Infinity}]}'],
    ['a truncated literal', '{"data":[{"a":tru}]}'],
    ['a literal in capitals', '{"data":[{"a":True}]}'],
    ['an unquoted key', '{"data":[{a:1}]}'],
    ['single quotes', "{'data':[{\"a\":1}]}"],
    ['a missing colon', '{"data":[{"a" 1}]}'],
    ['a missing comma', '{"data":[{"a":1} {"b":2}]}'],
    ['an unknown escape', '{"data":[{"a":"\\x41"}]}'],
    ['a short unicode escape', '{"data":[{"a":"\\u12G4"}]}'],
    ['a raw newline in a string', '{"data":[{"a":"line\nbreak"}]}'],
    ['a raw tab in a string', '{"data":[{"a":"tab\there"}]}'],
    ['a raw control character', '{"data":[{"a":"\u0001"}]}'],
    ['a byte order mark', '\ufeff{"data":[{"a":1}]}'],
    ['a non-breaking space between tokens', '{"data":\u00a0[{"a":1}]}'],
    ['text after the document', '{"data":[{"a":1}]} x'],
    ['two documents', '{"data":[]}{"data":[]}'],
    ['an unterminated string', '{"data":[{"a":"x}]}'],
    ['an unterminated document', '{"data":[{"a":1}]'],
    ['nothing', ''],
    ['only whitespace', ' \n\t '],
  ])('refuses %s, as JSON.parse does', (_, text) => {
    expect(isJson(text)).toBe(false);
    expect(checkedTexts(text, ['data'])).toBeUndefined();
  });

  test('accepts every form JSON allows, and keeps each record as the API wrote it', () => {
    const text = ' {\r\n "meta" : { "n" : -0.5e+10 , "ok" : true , "no" : null , "off" : false } ,\n'
      + '\t"data" : [ { "id" : 1234567890123456789 , "s" : "q\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude80" , "a" : [ ] , "o" : { } } ] } ';
    expect(isJson(text)).toBe(true);
    expect(checkedTexts(text, ['data'])).toEqual([
      '{"id":1234567890123456789,"s":"q\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude80","a":[],"o":{}}',
    ]);
  });

  test('gives no texts, so the page is parsed, where the records are not an array of objects', () => {
    expect(checkedTexts('{"data":[{"a":1},2]}', ['data'])).toBeUndefined();
    expect(checkedTexts('{"data":{"a":1}}', ['data'])).toBeUndefined();
    expect(checkedTexts('{"items":[{"a":1}]}', ['data'])).toBeUndefined();
    expect(checkedTexts('{"data":[{"a":1}],"data":5}', ['data'])).toBeUndefined();
    expect(checkedTexts('{"data":5,"data":[{"b":2}]}', ['data'])).toEqual(['{"b":2}']);
    expect(checkedTexts('{"d\\u0061ta":[{"a":1}]}', ['data'])).toEqual(['{"a":1}']);
    expect(checkedTexts('[{"a":1},{"b":2}]', [])).toEqual(['{"a":1}', '{"b":2}']);
    expect(checkedTexts('{"data":[]}', ['data'])).toEqual([]);
  });

  test('nesting deeper than the stack allows gives no answer instead of an error', () => {
    const deep = `{"data":[{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}]}`;
    expect(checkedTexts(deep, ['data'])).toBeUndefined();
  });
});

describe('parsePage when only the records\' texts are read', () => {
  const spec = { format: 'json', path: 'data' } as const;
  const body = Buffer.from('{"data":[{"id":1234567890123456789},{"id":2}],"meta":{"next":"c2"}}');

  test('gives the texts at once and parses the values only when they are read', () => {
    const checked = parsePage(body, spec, { textsOnly: true });
    expect(checked.count).toBe(2);
    expect(checked.texts).toEqual(['{"id":1234567890123456789}', '{"id":2}']);
    expect(checked.records).toEqual([{ id: 1234567890123456789 }, { id: 2 }]);
    expect(checked.document).toEqual(JSON.parse(body.toString()));
    // The same page parsed the usual way.
    const parsed = parsePage(body, spec);
    expect([parsed.count, parsed.texts, parsed.records, parsed.document]).toEqual([checked.count, checked.texts, checked.records, checked.document]);
  });

  test('a checked page keeps its getters on a shared prototype, not on each page', () => {
    // See CheckedJsonPage: an object literal with getters kept every page's text reachable from
    // V8's old generation until a major collection.
    const [a, b] = [parsePage(body, spec, { textsOnly: true }), parsePage(body, spec, { textsOnly: true })];
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    expect(Object.getPrototypeOf(a)).not.toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(a, 'records')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(a, 'document')).toBeUndefined();
  });

  test('gives each record as its exact UTF-8 bytes in the body; a pretty-printed page only as compacted texts', () => {
    const compactBody = Buffer.from('{"data":[{"name":"Zoë ☔ 😀","id":1},{"k\\u00e9y":"\\"q\\""}]}');
    const checked = parsePage(compactBody, spec, { textsOnly: true });
    const { body: from, offsets } = checked.recordBytes!;
    expect(from).toBe(compactBody);
    expect([0, 2].map((i) => from.subarray(offsets[i], offsets[i + 1]).toString())).toEqual(['{"name":"Zoë ☔ 😀","id":1}', '{"k\\u00e9y":"\\"q\\""}']);
    expect(checked.texts).toEqual(['{"name":"Zoë ☔ 😀","id":1}', '{"k\\u00e9y":"\\"q\\""}']);
    const pretty = parsePage(Buffer.from('{"data": [ {"a": 1, "b": [ 2 ]} ]}'), spec, { textsOnly: true });
    expect(pretty.recordBytes).toBeUndefined();
    expect(pretty.texts).toEqual(['{"a":1,"b":[2]}']);
  });

  test('a response that is not JSON, or records that are not objects, fail as before', () => {
    const bad = Buffer.from('{"data":[{"id":1},]}');
    expect(() => parsePage(bad, spec, { textsOnly: true })).toThrow(BadResponseError);
    expect(() => parsePage(bad, spec, { textsOnly: true })).toThrow(/the response body is not valid JSON/);
    expect(() => parsePage(Buffer.from('{"data":[{"id":1},7]}'), spec, { textsOnly: true }))
      .toThrow('records path "data[1]" matched a number; each record must be a JSON object');
  });
});
