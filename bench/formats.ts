/**
 * What typed output costs: records per second and CPU per 1,000 records of a local run for JSON
 * lines (envelopes), rows of a schema, rows written as Parquet, and rows with a transform, next to
 * each other; and what the Parquet writer adds to the `api-ingest` bundle. The API runs in its own
 * process (1,000 items a page); each configuration runs 5 times, and the run of median duration is
 * shown. Writes the "formats" section of docs/BENCHMARKS.md.
 *
 * Run: npm run bench:formats
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { writeBenchmarksSection } from './support';
import { FeedSpecInput, parseFeedSpec } from '../src/feed-spec/feed-spec';
import { runFeed } from '../src/runtime/engine/engine';
import type { Logger } from '../src/runtime/ports/logger';
import type { RecordSink, SinkLine, SinkReport } from '../src/runtime/ports/record-sink';
import { SecretRedactor } from '../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../src/runtime/secrets/secret-resolver';
import { LocalFileSink } from '../src/runtime/sinks/local-file-sink';
import { LocalParquetSink } from '../src/runtime/sinks/local-parquet-sink';
import { MemoryStateStore } from '../src/runtime/state/memory-state-store';


const ROOT = path.resolve(__dirname, '..');
const RECORDS = 200_000;
const ROUNDS = 5;
/** BENCH_ONLY=rows runs only the configurations whose name contains it, and writes nothing (for profiling). */
const ONLY = process.env.BENCH_ONLY;

/** The API, in a child process: pages of ~200-byte items with every column type. */
const API_SOURCE = `
const { createServer } = require('node:http');
const total = Number(process.argv[1]);
const item = (i) => ({ id: i, name: 'item ' + i, updated_at: '2026-11-25T00:00:00Z', value: i * 1.5, active: i % 2 === 0,
  tags: ['a', 'b'], geo: { lat: 37.5, lng: 127.0 }, note: 'x'.repeat(60) });
createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const page = Number(url.searchParams.get('page')), size = Number(url.searchParams.get('size'));
  const data = [];
  for (let i = (page - 1) * size; i < Math.min(page * size, total); i++) data.push(item(i));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
}).listen(0, '127.0.0.1', function () { process.send({ url: 'http://127.0.0.1:' + this.address().port }); });
`;

const SCHEMA = {
  columns: {
    id: { type: 'integer' },
    name: { type: 'string' },
    updated_at: { type: 'timestamp' },
    value: { type: 'number' },
    active: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    geo: { type: 'struct', fields: { lat: { type: 'number' }, lng: { type: 'number' } } },
    note: { type: 'string' },
  },
  contract: 'evolve',
};

/** Counts lines, as a sink that costs nothing would. */
class CountingSink implements RecordSink {
  private lines = 0;
  public write(line: SinkLine): void {
    void line.length;
    this.lines += 1;
  }
  public async flush(): Promise<SinkReport> {
    return { linesDelivered: this.lines, linesDeadLettered: 0, calls: 0, failedPuts: 0 };
  }
}

interface Configuration {
  readonly name: string;
  readonly spec: (url: string) => FeedSpecInput;
  readonly sink: (dir: string, spec: FeedSpecInput) => RecordSink;
}

const base = (url: string): FeedSpecInput => ({
  version: 1,
  feed: 'bench',
  request: { url: `${url}/items`, query: { size: '1000' } },
  records: { path: 'data' },
  pagination: { type: 'pageNumber', param: 'page', stop: { shortPage: 1000, maxPages: 10_000 } },
} as unknown as FeedSpecInput);
const typed = (url: string) => ({ ...base(url), schema: SCHEMA } as unknown as FeedSpecInput);
/** Rename, drop, a computed field and a flattened struct: what a typical transform does. */
const TRANSFORM = { expression: '{ "id": id, "name": name, "updated_at": updated_at, "value": value * 2, "active": active, "tags": tags, "geo": geo, "note": note, "lat": geo.lat }' };
const transformed = (url: string) => ({ ...base(url), transform: TRANSFORM } as unknown as FeedSpecInput);
const transformedRows = (url: string) => ({ ...typed(url), transform: TRANSFORM } as unknown as FeedSpecInput);

export const CONFIGURATIONS: Configuration[] = [
  { name: 'envelopes (no schema), sink that only counts', spec: base, sink: () => new CountingSink() },
  { name: 'rows of a schema, sink that only counts', spec: typed, sink: () => new CountingSink() },
  { name: 'envelopes with a JSONata transform, sink that only counts', spec: transformed, sink: () => new CountingSink() },
  { name: 'rows of a schema with a JSONata transform, sink that only counts', spec: transformedRows, sink: () => new CountingSink() },
  { name: 'envelopes to local JSON-lines files', spec: base, sink: (dir) => new LocalFileSink({ directory: dir, feed: 'bench' }) },
  { name: 'rows to local JSON-lines files', spec: typed, sink: (dir) => new LocalFileSink({ directory: dir, feed: 'bench' }) },
  { name: 'rows to local Parquet files', spec: typed, sink: (dir, spec) => new LocalParquetSink({ directory: dir, feed: 'bench', schema: parseFeedSpec(spec).schema! }) },
];

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Measured { readonly ms: number; readonly cpuMs: number; readonly records: number }

async function runOnce(configuration: Configuration, url: string): Promise<Measured> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-formats-'));
  const input = configuration.spec(url);
  const redactor = new SecretRedactor();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const summary = await runFeed(parseFeedSpec(input), {
    sink: configuration.sink(dir, input),
    state: new MemoryStateStore(),
    secrets: new CachingSecretResolver(async () => '', redactor),
    logger: silent,
    redactor,
    allowLoopback: true,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  rmSync(dir, { recursive: true, force: true });
  if (summary.recordsDelivered !== RECORDS) throw new Error(`${configuration.name}: ${summary.recordsDelivered} of ${RECORDS} records delivered (${summary.status})`);
  return { ms, cpuMs: (used.user + used.system) / 1000, records: summary.recordsDelivered };
}

/** Bytes of the CLI bundle that come from a package, by esbuild's metafile. */
async function cliBundleBytes(): Promise<{ total: number; byPackage: Record<string, number> }> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'src/runtime/entrypoints/cli.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match ? match[1] : 'this project';
    byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
  }
  return { total: output.bytes, byPackage };
}

function median<T>(values: T[], key: (value: T) => number): T {
  return [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)];
}

async function main(): Promise<void> {
  const api = spawn(process.execPath, ['-e', API_SOURCE, String(RECORDS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve) => api.once('message', (m: { url: string }) => resolve(m.url)));
  const configurations = CONFIGURATIONS.filter((c) => !ONLY || c.name.includes(ONLY));
  const results = new Map<string, Measured[]>(configurations.map((c) => [c.name, []]));
  try {
    for (const configuration of configurations) await runOnce(configuration, url); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const configuration of configurations) results.get(configuration.name)!.push(await runOnce(configuration, url));
    }
  } finally {
    api.kill();
  }
  if (ONLY) {
    for (const [name, runs] of results) console.log(name, median(runs, (r) => r.ms));
    return;
  }
  const bundle = await cliBundleBytes();
  const parquetBytes = (bundle.byPackage['hyparquet-writer'] ?? 0) + (bundle.byPackage.hyparquet ?? 0);
  const lambdaBytes = statSync(path.join(ROOT, 'assets/poller/index.js')).size;

  const rows = CONFIGURATIONS.map((configuration) => {
    const runs = results.get(configuration.name)!;
    const chosen = median(runs, (r) => r.ms);
    const range = `${Math.round(Math.min(...runs.map((r) => RECORDS / r.ms * 1000))).toLocaleString('en-US')}–${Math.round(Math.max(...runs.map((r) => RECORDS / r.ms * 1000))).toLocaleString('en-US')}`;
    return { name: configuration.name, perSecond: Math.round(RECORDS / chosen.ms * 1000), range, cpuPer1000: chosen.cpuMs / (RECORDS / 1000) };
  });
  const baseline = rows[0].perSecond;
  const machine = `${cpus()[0].model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`;
  const section = [
    '<!-- formats:start -->',
    '## Typed output: rows of a schema, transforms and Parquet',
    '',
    `Command: \`npm run bench:formats\` (bench/formats.ts). Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `A local run of ${RECORDS.toLocaleString('en-US')} records (~200-byte items with every column type, 1,000 a page, the API in its own process),`,
    'through the engine into each sink; each configuration ran 5 times, round by round, and the run of median duration is shown with',
    'the range of records per second. CPU is the poller process\'s (user + system) per 1,000 records.',
    '',
    '| configuration | records/s (range) | vs envelopes | CPU per 1,000 records |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${r.perSecond.toLocaleString('en-US')} (${r.range}) | ${(r.perSecond / baseline).toFixed(2)} | ${r.cpuPer1000.toFixed(1)} ms |`),
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Records per second by output (local run)"',
    `  x-axis [${rows.map((r) => `"${r.name.replace(/,.*$/, '').replace(/ \(.*\)/, '')}"`).join(', ')}]`,
    '  y-axis "records/s"',
    `  bar [${rows.map((r) => r.perSecond).join(', ')}]`,
    '```',
    '',
    `The transform (a ${TRANSFORM.expression.length}-character JSONata expression: rename, drop, a computed field, a flattened struct)`,
    'costs what `jsonata` 2 takes to evaluate it per record (asynchronously: a promise per record), plus passing each page to the',
    'worker thread where a watchdog bounds each record (one message a page, its records copied both ways): the largest cost of typed output.',
    'For transforms on every record of large feeds, `processorFunction` (your Lambda in Firehose) is the alternative.',
    '',
    `The Parquet writer (hyparquet-writer and its reader half, hyparquet) adds ${parquetBytes.toLocaleString('en-US')} bytes to the`,
    `\`api-ingest\` bundle of ${bundle.total.toLocaleString('en-US')} bytes (esbuild metafile, minified). It is not in the Lambda bundle`,
    `(${lambdaBytes.toLocaleString('en-US')} bytes): Firehose converts to Parquet in the cloud. JSONata takes ${(bundle.byPackage.jsonata ?? 0).toLocaleString('en-US')} bytes`,
    'of each bundle; the poller loads it only for a feed with a transform.',
    '<!-- formats:end -->',
  ].join('\n');
  writeBenchmarksSection('formats', section);
  console.log(section);
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
