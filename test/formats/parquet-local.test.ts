/**
 * `api-ingest run --format parquet`, read back by a real reader: the shipped CLI fetches a loopback
 * API and writes Parquet files; pyarrow (in the test virtualenv) reads them as a user's pandas or
 * DuckDB would. The values equal what the API served, envelope columns included, and the files'
 * schema equals the Glue table the construct synthesizes for the same spec: a local run and the
 * lake read alike.
 *
 * moto runs no Firehose record format conversion (it stores what it is sent), so the deployed
 * conversion is tested by its template (formats/parquet.test.ts), cfn-lint and cdk-nag.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiSource, ApiToFirehoseIngestion, Format } from '../../src';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { testStack } from '../helpers/synth';
import { quotesResponseBody, quotesSpec } from '../helpers/typed-quotes';
import { PROJECT_ROOT, VENV_BIN } from '../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const READER = path.join(__dirname, 'scripts', 'read_parquet.py');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface ReadBack {
  columns: Array<{ name: string; type: string }>;
  partitions: Array<{ name: string; type: string }>;
  rows: Array<Record<string, any>>;
  volumes: string[];
}

let api: LoopbackApi;
let work: string;
let specFile: string;
let readBack: ReadBack;
let summary: any;

beforeAll(async () => {
  // A 64-bit volume beyond 2^53, sent as a JSON number: it must arrive exact in the INT64 column.
  const body = quotesResponseBody();
  api = await startLoopbackApi({ '/quotes': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body) });
  work = mkdtempSync(path.join(tmpdir(), 'parquet-local-'));
  specFile = path.join(work, 'quotes.json');
  writeFileSync(specFile, JSON.stringify(quotesSpec(`${api.url}/quotes`)));
  const result = await run(['run', specFile, '--out', path.join(work, 'out'), '--format', 'parquet', '--allow-loopback', '--json']);
  expect(result).toMatchObject({ code: 0 });
  summary = JSON.parse(result.stdout);
  readBack = JSON.parse(execFileSync(path.join(VENV_BIN, 'python'), [READER, path.join(work, 'out')], { encoding: 'utf8' }));
});
afterAll(() => api.close());

test('the run reports the drift it kept', () => {
  expect(summary.schemaDrift).toEqual(expect.objectContaining({ unknownFields: 1, typeMismatches: 1, recordsWithDrift: 1, recordsRejected: 0 }));
  expect(summary.recordsDelivered).toBe(3);
});

test('pyarrow reads the values the API served, typed, with the envelope columns', () => {
  const bySymbol = Object.fromEntries(readBack.rows.map((row) => [row.symbol, row]));
  // Python ints are exact: the reader prints the volume as text so JSON does not round it here.
  expect(readBack.volumes).toContain('1234567890123456789');
  bySymbol.ACME.volume = `exactly ${readBack.volumes[readBack.rows.indexOf(bySymbol.ACME)]}`;
  expect(bySymbol.ACME).toEqual({
    feed: 'quotes',
    record_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    fetched_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/),
    source_url: `${api.url}/quotes`,
    partition: '{"desk":"equities"}',
    symbol: 'ACME',
    exchange: 'XNYS',
    price: 101.25,
    volume: 'exactly 1234567890123456789',
    halted: false,
    quoted_at: '2025-12-02T08:00:00.123000+00:00',
    trade_date: '2025-12-02',
    venue: { mic: 'XNYS', open: true },
    tags: ['tech', 'large-cap'],
    raw_flags: '{"short":false,"odd":[1,2]}',
    extra_fields: null,
    // The key layout's folders, read as hive partitions.
    year: expect.any(Number),
    month: expect.any(Number),
    day: expect.any(Number),
    hour: expect.any(Number),
  });
  // Text the API sent for numbers, booleans and epoch milliseconds is converted, not dropped.
  expect(bySymbol.BOLT).toEqual(expect.objectContaining({
    price: 7.5, volume: 1200, halted: true, quoted_at: '2025-12-02T08:01:00+00:00', venue: { mic: null, open: false }, tags: [], raw_flags: null,
  }));
  expect(bySymbol.CRUX).toEqual(expect.objectContaining({ price: null, volume: null, extra_fields: '{"price":"halted","rating":"A"}' }));
});

test('the Parquet schema is the Glue table\'s the construct synthesizes for the same spec', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Quotes', { source: ApiSource.fromSpec(quotesSpec('https://api.example.com/quotes')), format: Format.parquet() });
  const tables = Template.fromStack(stack).findResources('AWS::Glue::Table');
  const input = Object.values(tables)[0].Properties.TableInput;
  const glueColumns = input.StorageDescriptor.Columns.map((column: any) => ({ name: column.Name, type: column.Type }));
  expect(readBack.columns).toEqual(glueColumns);
  // The folders of the local layout are the table's partition keys, after the feed's own folder.
  expect(readBack.partitions.filter((p) => p.name !== 'feed')).toEqual(input.PartitionKeys.map((key: any) => ({ name: key.Name, type: key.Type })));
});
