import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, EnvelopeWriter } from '../../../src/runtime/engine/envelope';
import { envelope, recordId } from '../../helpers/reference-envelope';

describe('record envelope', () => {
  test('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  test('the record id is SHA-256 of feed, sorted partition and the record\'s JSON as sent', () => {
    const id = recordId('f', { b: '2', a: '1' }, { z: 1, a: [2] });
    expect(id).toBe(createHash('sha256').update('f\n{"a":"1","b":"2"}\n{"z":1,"a":[2]}').digest('hex').slice(0, 32));
    // The partition's key order does not matter (it comes from the spec); the record's is the API's.
    expect(recordId('f', { a: '1', b: '2' }, { z: 1, a: [2] })).toBe(id);
  });

  test('the record id depends on content, feed and partition', () => {
    const id = recordId('f', null, { a: 1, b: 2 });
    expect(recordId('f', null, { a: 1, b: 2 })).toBe(id);
    expect(recordId('f', null, { a: 1, b: 3 })).not.toBe(id);
    expect(recordId('g', null, { a: 1, b: 2 })).not.toBe(id);
    expect(recordId('f', { city: 'Seoul' }, { a: 1, b: 2 })).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  test('the envelope carries feed, id, fetch time, source URL, partition and the record', () => {
    const fetchedAt = new Date('2026-11-25T12:00:00.000Z');
    expect(envelope({ feed: 'f', fetchedAt, sourceUrl: 'https://x/y', partition: null }, { a: 1 })).toEqual({
      feed: 'f',
      record_id: recordId('f', null, { a: 1 }),
      fetched_at: '2026-11-25T12:00:00.000Z',
      source_url: 'https://x/y',
      partition: null,
      record: { a: 1 },
    });
  });
});

describe('EnvelopeWriter', () => {
  test('writes lines byte-identical to JSON.stringify of the envelope', () => {
    const context = { feed: 'f"eed', fetchedAt: new Date('2026-11-25T12:00:00.000Z'), sourceUrl: 'https://x/y?q="1"', partition: { city: 'Seoul', b: 'ü' } };
    const writer = new EnvelopeWriter(context);
    for (const record of [{ a: 1 }, { z: [1, { y: null, x: 'é\n' }], a: true }, {}, { nested: { deep: { k: 1.5e-7 } } }]) {
      expect(writer.line(record)).toBe(`${JSON.stringify(envelope(context, record))}\n`);
    }
    const none = new EnvelopeWriter({ ...context, partition: null });
    expect(none.line({ a: 1 })).toBe(`${JSON.stringify(envelope({ ...context, partition: null }, { a: 1 }))}\n`);
  });

  test('an encodable line writes the bytes of the string line, id included, wherever it is put', () => {
    const contexts = [
      { feed: 'f"eed', fetchedAt: new Date('2026-11-25T12:00:00.000Z'), sourceUrl: 'https://x/y?q="1"', partition: { city: 'Seoul', b: 'ü☔' } },
      { feed: 'a-much-longer-feed-name-for-a-long-id-prefix', fetchedAt: new Date(0), sourceUrl: 'http://h/', partition: null },
    ];
    // Any text, lone surrogates included: both paths must encode it the same way.
    fc.assert(fc.property(fc.constantFrom(...contexts), fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.constantFrom('a', '"', '😀')) }), fc.nat(64), (context, json, offset) => {
      const writer = new EnvelopeWriter(context);
      const line = writer.encodable(json);
      const expected = Buffer.from(writer.line(undefined, json));
      const buffer = Buffer.alloc(offset + line.maxBytes() + 8, 0xee);
      const end = line.writeTo(buffer, offset);
      expect(buffer.subarray(offset, end)).toEqual(expected);
      // Nothing before or after the line is touched.
      expect(buffer.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
      expect(buffer.subarray(end).every((b) => b === 0xee)).toBe(true);
      expect(line.toString()).toBe(writer.line(undefined, json));
      expect(line.length).toBe(line.toString().length);
      expect(line.maxBytes()).toBeGreaterThanOrEqual(expected.length);

      // The same record given as its UTF-8 bytes inside a response body.
      const record = Buffer.from(json);
      const body = Buffer.concat([Buffer.from('{"data":['), record, Buffer.from(']}')]);
      const fromBytes = writer.encodableBytes(body, 9, 9 + record.length);
      const target = Buffer.alloc(offset + fromBytes.maxBytes() + 8, 0xee);
      const bytesEnd = fromBytes.writeTo(target, offset);
      expect(target.subarray(offset, bytesEnd)).toEqual(expected);
      expect(target.subarray(bytesEnd).every((b) => b === 0xee)).toBe(true);
      expect(Buffer.from(fromBytes.toString())).toEqual(expected);
      expect(fromBytes.maxBytes()).toBe(expected.length);
    }), { numRuns: 500 });
  });
});
