/**
 * The bench's loopback endpoints, each run in its own process (forked by bench/run-bench.ts):
 *
 *   api:      pages of ~200-byte items, `size` a page, until the run's total;
 *   firehose: accepts every PutRecord / PutRecordBatch and counts calls, bytes and billed bytes.
 *
 * Separate processes, because a real API and Firehose are separate services: in one process a
 * page request would wait while a 5 MB PutRecordBatch body is parsed, and the poller would be
 * measured waiting for its own test double.
 *
 * Protocol (IPC): the child sends `{ url }` once listening; the parent sends `{ reset, total }`
 * before a run and `{ stats }` after it, and the child answers each with its counters and the
 * CPU time it used since the reset.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BILLING_STEP = 5 * 1024;
const billed = (bytes: number) => Math.ceil(bytes / BILLING_STEP) * BILLING_STEP;

let total = 0;
let calls = 0;
let bytes = 0;
let billedTotal = 0;
let cpuSince = process.cpuUsage();

const item = (i: number) => ({
  id: i, name: `item ${i}`, updated_at: '2026-11-25T00:00:00Z', value: i * 1.5, tags: ['a', 'b'], note: 'x'.repeat(90),
});

const api = createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  const page = Number(url.searchParams.get('page'));
  const size = Number(url.searchParams.get('size'));
  const from = (page - 1) * size;
  const data = [];
  for (let i = from; i < Math.min(from + size, total); i++) data.push(item(i));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
});

// The real Firehose costs the poller no CPU; this stand-in shares the machine with it, so it
// reads a PutRecordBatch body as bytes, without JSON.parse: each entry's base64 text is found
// between `{"Data":"` and the next quote (base64 has no quotes), and its decoded size follows
// from the text's length. A body that is not a PutRecordBatch document is refused.
const DATA = Buffer.from('{"Data":"');
const PREFIX = Buffer.from('{"DeliveryStreamName":');
const QUOTE = 0x22;
const PAD = 0x3d; // '='

function batchSizes(body: Buffer): number[] | undefined {
  if (body.subarray(0, PREFIX.length).compare(PREFIX) !== 0 || body[body.length - 1] !== 0x7d) return undefined;
  const sizes: number[] = [];
  for (let at = body.indexOf(DATA); at >= 0; at = body.indexOf(DATA, at)) {
    const start = at + DATA.length;
    const end = body.indexOf(QUOTE, start);
    if (end < 0) return undefined;
    const padding = body[end - 1] === PAD ? (body[end - 2] === PAD ? 2 : 1) : 0;
    sizes.push(((end - start) / 4) * 3 - padding);
    at = end;
  }
  return sizes.length > 0 ? sizes : undefined;
}

const firehose = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    calls += 1;
    const body = Buffer.concat(chunks);
    if (req.headers['x-amz-target'] === 'Firehose_20150804.PutRecord') { // the naive poller
      const size = Buffer.from(JSON.parse(body.toString('utf8')).Record.Data, 'base64').length;
      bytes += size;
      billedTotal += billed(size);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ RecordId: '1', Encrypted: false }));
      return;
    }
    const sizes = batchSizes(body);
    if (!sizes) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: 'InvalidArgumentException', message: 'not a PutRecordBatch body' }));
      return;
    }
    for (const size of sizes) {
      bytes += size;
      billedTotal += billed(size);
    }
    const responses = sizes.map((_, i) => ({ RecordId: String(i) }));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ FailedPutCount: 0, Encrypted: false, RequestResponses: responses }));
  });
});

const server = process.argv[2] === 'firehose' ? firehose : api;
server.listen(0, '127.0.0.1', () => {
  process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('message', (message: { reset?: boolean; total?: number; stats?: boolean }) => {
  if (message.reset) {
    total = message.total ?? total;
    calls = 0;
    bytes = 0;
    billedTotal = 0;
    cpuSince = process.cpuUsage();
  }
  const cpu = process.cpuUsage(cpuSince);
  process.send!({ calls, bytes, billedTotal, cpuMs: (cpu.user + cpu.system) / 1000 });
});
process.on('disconnect', () => process.exit(0));
