/**
 * The Iceberg table the construct synthesizes, compared with what pyiceberg (PyPI, in the test
 * virtualenv) creates for the same rows: the shipped CLI writes a local run as Parquet, pyiceberg
 * creates an Iceberg v2 table from those files' schema in a local SQL catalog, maps it to Glue
 * column types with its own Glue mapping, appends the files and reads them back.
 *
 * moto runs no Firehose Iceberg delivery (see iceberg.test.ts); this is the real-parts check that
 * the table's columns and types are what an Iceberg writer makes of the poller's rows.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiSource, ApiToFirehoseIngestion, Format } from '../../src';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { testStack } from '../helpers/synth';
import { quotesSpec } from '../helpers/typed-quotes';
import { PROJECT_ROOT, VENV_BIN } from '../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const ROUNDTRIP = path.join(__dirname, 'scripts', 'iceberg_roundtrip.py');


const BODY = '{"quotes":['
  + '{"symbol":"ACME","price":101.25,"volume":1234567890123456789,"halted":false,"ts":1764662400123,"trade_date":"2025-12-02","venue":{"mic":"XNYS","open":true},"tags":["tech"],"flags":{"odd":[1]}},'
  + '{"symbol":"BOLT","price":7.5,"volume":1200,"halted":true,"ts":1764662460000,"trade_date":"2025-12-02","venue":{"mic":null,"open":false},"tags":[],"flags":null},'
  + '{"symbol":"CRUX","price":"halted","volume":null,"halted":null,"ts":null,"trade_date":null,"venue":null,"tags":null,"rating":"A"}'
  + ']}';

let api: LoopbackApi;
let result: any;

beforeAll(async () => {
  api = await startLoopbackApi({ '/quotes': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(BODY) });
  const work = mkdtempSync(path.join(tmpdir(), 'iceberg-local-'));
  const specFile = path.join(work, 'quotes.json');
  writeFileSync(specFile, JSON.stringify(quotesSpec(`${api.url}/quotes`)));
  const out = path.join(work, 'out');
  await new Promise<void>((resolve, reject) => execFile(process.execPath, [CLI, 'run', specFile, '--out', out, '--format', 'parquet', '--allow-loopback'],
    { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } }, (err) => (err ? reject(err) : resolve())));
  result = JSON.parse(execFileSync(path.join(VENV_BIN, 'python'), [ROUNDTRIP, out, work], { encoding: 'utf8', timeout: 120_000 }));
});
afterAll(() => api.close());

test('the synthesized Iceberg table has the columns and Glue types pyiceberg gives the same rows', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Quotes', { source: ApiSource.fromSpec(quotesSpec('https://api.example.com/quotes')), format: Format.iceberg() });
  const table = Object.values(Template.fromStack(stack).findResources('AWS::Glue::Table'))[0].Properties;
  expect(table.OpenTableFormatInput.IcebergInput.Version).toBe(String(result.formatVersion));
  expect(table.TableInput.StorageDescriptor.Columns.map((c: any) => ({ name: c.Name, type: c.Type }))).toEqual(result.columns);
});

test('the synthesized S3 Tables table has the Iceberg schema pyiceberg gives the same rows: types, nesting and field ids', () => {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Quotes', {
    source: ApiSource.fromSpec(quotesSpec('https://api.example.com/quotes')),
    format: Format.iceberg({ s3TablesBucketArn: 'arn:aws:s3tables:us-east-1:123456789012:bucket/market-tables' }),
  });
  const table = Object.values(Template.fromStack(stack).findResources('AWS::S3Tables::Table'))[0].Properties;
  const synthesized = table.IcebergMetadata.IcebergSchemaV2;
  const lower = (value: any): any => (Array.isArray(value) ? value.map(lower) : value && typeof value === 'object'
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/^[A-Z]/, (c) => c.toLowerCase()), lower(v)])) : value);
  const fields = lower(synthesized.SchemaV2FieldList);
  // record_id is the table's identifier field, so required; pyiceberg made every column of the files optional.
  const expected = result.icebergSchema.fields.map((field: any) => (field.name === 'record_id' ? { ...field, required: true } : field));
  expect(fields).toEqual(expected);
  expect(synthesized.IdentifierFieldIds).toEqual([expected.find((f: any) => f.name === 'record_id').id]);
  expect(synthesized.SchemaV2FieldType).toBe(result.icebergSchema.type);
});

test('pyiceberg appends the local Parquet output to a table of that schema and reads back every row, 64-bit values exact', () => {
  expect(result).toMatchObject({ rowsWritten: 3, rowsRead: 3, snapshots: 1 });
  expect(result.recordIds).toHaveLength(3);
  expect(new Set(result.recordIds).size).toBe(3);
  expect(result.volumes).toEqual(['1200', '1234567890123456789']);
});
