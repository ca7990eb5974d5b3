import { EnvelopeWriter } from '../../../src/runtime/engine/envelope';
import type { SinkLine } from '../../../src/runtime/ports/record-sink';
import { LinePacker, LineTooLargeError, PackedRecord } from '../../../src/runtime/sinks/line-packer';

function packAll(packer: LinePacker, input: SinkLine[]): PackedRecord[] {
  const records: PackedRecord[] = [];
  for (const line of input) {
    const done = packer.add(line);
    // A record is a view of the packer's reused memory: copy it, as a sink encodes it, at once.
    if (done) records.push({ data: Buffer.from(done.data), lines: done.lines });
  }
  const last = packer.take();
  if (last) records.push({ data: Buffer.from(last.data), lines: last.lines });
  return records;
}

describe('LinePacker', () => {
  test('fills records up to the byte limit without splitting a line', () => {
    const input = ['aaaa\n', 'bbbb\n', 'cccc\n', 'dd\n'];
    const records = packAll(new LinePacker({ maxRecordBytes: 10 }), input);
    expect(records.map((r) => r.data.toString())).toEqual(['aaaa\nbbbb\n', 'cccc\ndd\n']);
    expect(records.map((r) => r.lines)).toEqual([2, 2]);
  });

  test('counts bytes, not characters (multi-byte UTF-8)', () => {
    const records = packAll(new LinePacker({ maxRecordBytes: 8 }), ['☔☔\n', 'a\n']);
    // "☔☔\n" is 7 bytes; adding "a\n" would make 9.
    expect(records.map((r) => r.data.toString())).toEqual(['☔☔\n', 'a\n']);
  });

  test('closes a record at the line limit (for Firehose multi-record deaggregation)', () => {
    const records = packAll(new LinePacker({ maxRecordBytes: 1_000, maxLinesPerRecord: 2 }), ['a\n', 'b\n', 'c\n']);
    expect(records.map((r) => r.lines)).toEqual([2, 1]);
  });

  test('concatenated records equal the input exactly', () => {
    const input = Array.from({ length: 500 }, (_, i) => `{"i":${i},"s":"${'y'.repeat(i % 37)}"}\n`);
    const records = packAll(new LinePacker({ maxRecordBytes: 256 }), input);
    expect(Buffer.concat(records.map((r) => r.data)).toString()).toBe(input.join(''));
    expect(records.every((r) => r.data.length <= 256)).toBe(true);
  });

  test('encodable lines pack into the same records as their strings, near record ends and line limits too', () => {
    const writer = new EnvelopeWriter({ feed: 'f', fetchedAt: new Date(0), sourceUrl: 'http://h/', partition: { p: 'ü' } });
    const texts = Array.from({ length: 400 }, (_, i) => `{"i":${i},"s":"${'☔y'.repeat(i % 23)}"}`);
    for (const options of [{ maxRecordBytes: 1_000 }, { maxRecordBytes: 4_096, maxLinesPerRecord: 7 }]) {
      const asStrings = packAll(new LinePacker(options), texts.map((t) => writer.line(undefined, t)));
      const asEncodable = packAll(new LinePacker(options), texts.map((t) => writer.encodable(t)));
      expect(asEncodable).toEqual(asStrings);
      expect(asEncodable.length).toBeGreaterThan(10);
    }
  });

  test('an encodable line over the record limit is refused as its string would be', () => {
    const writer = new EnvelopeWriter({ feed: 'f', fetchedAt: new Date(0), sourceUrl: 'http://h/', partition: null });
    const packer = new LinePacker({ maxRecordBytes: 200 });
    expect(() => packer.add(writer.encodable(`{"s":"${'x'.repeat(300)}"}`))).toThrow(LineTooLargeError);
  });

  test('take() on an empty packer returns nothing', () => {
    expect(new LinePacker({ maxRecordBytes: 10 }).take()).toBeUndefined();
  });

  test('a completed record stays intact while the next one is packed; its memory is reused once that one completes', () => {
    const packer = new LinePacker({ maxRecordBytes: 6 });
    packer.add('aa\n');
    packer.add('bb\n');
    const first = packer.add('cc\n')!;
    packer.add('dd\n');
    expect(first.data.toString()).toBe('aa\nbb\n');
    const second = packer.add('ee\n')!;
    expect(second.data.toString()).toBe('cc\ndd\n');
    // The line after the second record went where the first was: a sink must have encoded it by now.
    expect(first.data.toString().startsWith('ee\n')).toBe(true);
  });
});
