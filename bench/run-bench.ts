/**
 * `npm run bench`: delivery cost and memory, written to docs/BENCHMARKS.md.
 *
 * 1. Firehose billed bytes per payload byte (5 KB rounding per record), packing newline-
 *    terminated lines into records vs one Firehose record per API item, for 200-byte and 5 KB
 *    items: the real LinePacker over generated lines.
 * 2. PutRecordBatch calls per MiB, and peak memory (maxRSS) of whole runs at 10 thousand and
 *    1 million records: the engine and the real Firehose sink against a loopback API and a
 *    loopback Firehose endpoint, each run in its own process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { LinePacker } from '../src/runtime/sinks/line-packer';

const ROOT = path.join(__dirname, '..');
const BILLING_STEP = 5 * 1024;
const billed = (bytes: number) => Math.ceil(bytes / BILLING_STEP) * BILLING_STEP;

function itemLine(i: number, size: number): string {
  const head = JSON.stringify({ feed: 'bench', record_id: String(i).padStart(32, '0'), record: { i, pad: '' } });
  return `${head.slice(0, -3)}${'x'.repeat(Math.max(0, size - head.length - 1))}"}}\n`;
}

function billedBytes(itemSize: number, count: number) {
  const packer = new LinePacker({ maxRecordBytes: 1_000_000 });
  let payload = 0;
  let perItem = 0;
  let packed = 0;
  let records = 0;
  for (let i = 0; i < count; i++) {
    const line = itemLine(i, itemSize);
    const bytes = Buffer.byteLength(line);
    payload += bytes;
    perItem += billed(bytes);
    const done = packer.add(line);
    if (done) { packed += billed(done.data.length); records += 1; }
  }
  const last = packer.take();
  if (last) { packed += billed(last.data.length); records += 1; }
  return { itemSize, count, payload, perItem, packed, records };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const cost = [billedBytes(200, 100_000), billedBytes(5_000, 20_000)];

  // Loopback API: pages of `size` ~200-byte items until `total`.
  let total = 0;
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
  // Loopback Firehose: accepts every PutRecordBatch, counts calls and bytes.
  let calls = 0;
  let bytes = 0;
  const firehose = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      calls += 1;
      for (const r of body.Records) bytes += Buffer.from(r.Data, 'base64').length;
      const responses = body.Records.map((_: unknown, i: number) => ({ RecordId: String(i) }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ FailedPutCount: 0, Encrypted: false, RequestResponses: responses }));
    });
  });
  const apiUrl = await listen(api);
  const firehoseUrl = await listen(firehose);

  const runner = path.join(ROOT, '.tmp', 'bench-delivery-run.js');
  mkdirSync(path.dirname(runner), { recursive: true });
  buildSync({ entryPoints: [path.join(__dirname, 'delivery-run.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: runner, logLevel: 'error' });

  const runs = [];
  // The third run caps V8's old space at 64 MiB: if it completes, what the run holds is bounded.
  for (const [records, nodeArgs] of [[10_000, []], [1_000_000, []], [1_000_000, ['--max-old-space-size=64']]] as Array<[number, string[]]>) {
    total = records;
    calls = 0;
    bytes = 0;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [...nodeArgs, runner, apiUrl, firehoseUrl, '1000'], { maxBuffer: 1024 * 1024 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const r = JSON.parse(out);
    runs.push({ ...r, nodeArgs: nodeArgs.join(' '), mib: bytes / 1048576, callsPerMiB: calls / (bytes / 1048576) });
    console.log(`${records} records: ${r.ms} ms, ${(r.maxRssKiB / 1024).toFixed(0)} MiB peak RSS, ${calls} calls for ${(bytes / 1048576).toFixed(1)} MiB`);
  }
  api.close();
  firehose.close();

  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(2)} %`;
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`;
  const section = `<!-- delivery:start -->
## Delivery: Firehose cost and memory

Command: \`npm run bench\` (bench/run-bench.ts). Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.

Firehose bills ingestion per record, rounded up to 5 KB. Packing newline-terminated JSON lines
into records of up to 1,000,000 bytes (never splitting a line) versus one Firehose record per
API item:

| item size | items | payload bytes | billed, one record per item | billed, packed | packed records |
| ---: | ---: | ---: | ---: | ---: | ---: |
${cost.map((c) => `| ${c.itemSize} B | ${c.count.toLocaleString('en')} | ${c.payload.toLocaleString('en')} | ${c.perItem.toLocaleString('en')} (${pct(c.perItem, c.payload)} of payload) | ${c.packed.toLocaleString('en')} (${pct(c.packed, c.payload)}) | ${c.records} |`).join('\n')}

Whole runs (loopback API with 1,000 items a page, ~230-byte envelopes; the engine and the real
Firehose sink to a loopback Firehose endpoint; each run in its own process):

| records | node options | duration | CPU | PutRecordBatch calls | MiB delivered | calls per MiB | peak RSS |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${runs.map((r) => `| ${r.records.toLocaleString('en')} | ${r.nodeArgs || '(defaults)'} | ${(r.ms / 1000).toFixed(1)} s | ${(r.cpuMs / 1000).toFixed(1)} s | ${r.calls} | ${r.mib.toFixed(1)} | ${r.callsPerMiB.toFixed(2)} | ${(r.maxRssKiB / 1024).toFixed(0)} MiB |`).join('\n')}

Peak memory at 1 million records is ${(runs[1].maxRssKiB / runs[0].maxRssKiB).toFixed(2)}× that at 10 thousand. Records stream through (one
page parsed at a time; the sink holds at most its concurrency × one 4 MB batch, plus the SDK's
base64 request bodies), so what a run holds does not grow with the number of records: the third
run, with V8's old space capped at 64 MiB, completes the same million records. The larger peak
with default settings is V8 letting its heap grow before collecting over a longer run. (The
benchmarks issue's target of 1.3× at default settings is not met yet; see its note.)
<!-- delivery:end -->`;
  const file = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nNumbers from benchmarks, not tests: they are measured on one machine and written down here; no test asserts a timing.\n\n<!-- delivery:start -->\n<!-- delivery:end -->\n';
  }
  doc = doc.replace(/<!-- delivery:start -->[^]*<!-- delivery:end -->/, section);
  writeFileSync(file, doc);
  console.log('wrote docs/BENCHMARKS.md');
}

void main();
