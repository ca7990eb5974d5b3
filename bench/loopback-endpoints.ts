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
 * before a run and `{ stats }` after it, and the child answers each with its counters.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BILLING_STEP = 5 * 1024;
const billed = (bytes: number) => Math.ceil(bytes / BILLING_STEP) * BILLING_STEP;

let total = 0;
let calls = 0;
let bytes = 0;
let billedTotal = 0;

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

const firehose = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    calls += 1;
    if (body.Record) { // PutRecord (the naive poller)
      const size = Buffer.from(body.Record.Data, 'base64').length;
      bytes += size;
      billedTotal += billed(size);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ RecordId: '1', Encrypted: false }));
      return;
    }
    for (const r of body.Records) {
      // The decoded size from the base64 text's length: exact, and cheaper than decoding.
      const data = r.Data as string;
      const size = (data.length / 4) * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
      bytes += size;
      billedTotal += billed(size);
    }
    const responses = body.Records.map((_: unknown, i: number) => ({ RecordId: String(i) }));
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
  }
  process.send!({ calls, bytes, billedTotal });
});
process.on('disconnect', () => process.exit(0));
