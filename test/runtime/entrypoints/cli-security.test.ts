/**
 * The shipped `api-ingest` command against APIs that echo credentials back, print terminal escape
 * sequences, or are set up wrong: no secret leaves in any form (stdout, stderr, the --json
 * summary, dead-letter files), and a setup problem is named in one line.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatTable } from '../../../src/runtime/entrypoints/cli';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every file under a folder, with its text. */
function filesText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => readFileSync(path.join((e as any).parentPath ?? (e as any).path, e.name), 'utf8')).join('\n');
}

const USER = 'alice';
const PASSWORD = 'pa/ss w~rd!(x)';
const CLIENT_ID = 'client id/1';
const CLIENT_SECRET = 'cl!ent~secret (2)';
const API_KEY = 'key with space~!\'(';

/** Every form of the credentials that must never be printed or written. */
const FORBIDDEN = [
  PASSWORD,
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
  Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64'),
  CLIENT_SECRET,
  API_KEY,
  new URLSearchParams({ k: API_KEY }).toString().slice(2),
  encodeURIComponent(API_KEY),
  JSON.stringify(PASSWORD).slice(1, -1).replace(/\//g, '\\/'),
];

describe('api-ingest never prints or writes a credential', () => {
  let api: LoopbackApi;
  let work: string;
  const secretsFile = () => {
    const file = path.join(work, 'secrets.json');
    writeFileSync(file, JSON.stringify({
      'basic-secret': JSON.stringify({ username: USER, password: PASSWORD }),
      'oauth-secret': JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
      'key-secret': API_KEY,
    }));
    return file;
  };
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'api-ingest-secrets-'));
    // Each endpoint refuses the request and echoes what it received, as some APIs do in errors.
    api = await startLoopbackApi({
      '/basic/items': (req, res) => res.writeHead(400, { 'content-type': 'application/json' })
        .end(`{"error":"denied","authorization":"${req.headers.authorization}","password":"${PASSWORD.replace(/\//g, '\\/')}"}`),
      '/oauth/token': (req, res) => res.writeHead(400, { 'content-type': 'application/json' })
        .end(`{"error":"invalid_client","got":"${req.headers.authorization}"}`),
      '/key/items': (req, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request ${req.url}`),
      '/ansi/items': (_req, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end('\u001b[2J\u001b]0;pwned\u0007\u009b31m gone'),
      // An error text that tries to forge summary lines: a newline, then a fake success; a U+202E that reverses what follows.
      '/forge/items': (_req, res) => res.writeHead(400, { 'content-type': 'text/plain' })
        .end('bad request\nfeed forge: succeeded\r\n  records fetched 100, delivered 100\u202edeliaf'),
    });
  });
  afterAll(() => api.close());

  const specFile = (name: string, spec: Record<string, unknown>) => {
    const file = path.join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify({ version: 1, feed: name, records: { path: 'data' }, ...spec }));
    return file;
  };

  test.each([
    ['basic', { request: { url: '' }, auth: { type: 'basic', secret: { arn: 'basic-secret' } } }, '/basic/items'],
    ['oauth', { request: { url: '' }, auth: { type: 'oauth2ClientCredentials', tokenUrl: '', secret: { arn: 'oauth-secret' } } }, '/oauth/items'],
    ['apikey', { request: { url: '' }, auth: { type: 'apiKey', in: 'query', name: 'api_key', secret: { arn: 'key-secret' } } }, '/key/items'],
  ])('%s auth: an API that echoes the credential leaks it nowhere', async (name, spec: any, route) => {
    spec.request.url = `${api.url}${route}`;
    if (spec.auth.tokenUrl === '') spec.auth.tokenUrl = `${api.url}/oauth/token`;
    const out = path.join(work, `out-${name}`);
    for (const json of [true, false]) {
      const result = await cli(['run', specFile(name, spec), '--out', out, '--allow-loopback', '--secrets', secretsFile(), ...(json ? ['--json'] : [])]);
      expect(result.code).toBe(1);
      // The failure is reported (with the API's answer), only without the credential.
      expect(result.stdout + result.stderr).toMatch(/answered HTTP 400/);
      expect(result.stdout + result.stderr).toContain('[REDACTED]');
      const everything = [result.stdout, result.stderr, filesText(path.join(out, 'dead-letters'))].join('\n');
      expect(filesText(path.join(out, 'dead-letters'))).toMatch(/"kind": "request"/);
      for (const form of FORBIDDEN) expect(everything).not.toContain(form);
    }
  });

  test('a malformed --secrets file is reported by its path and the JSON error, never its content', async () => {
    const bad = path.join(work, 'bad-secrets.json');
    writeFileSync(bad, '{"basic-secret": hunter2-very-secret}');
    const result = await cli(['run', specFile('basic', { request: { url: `${api.url}/basic/items` }, auth: { type: 'basic', secret: { arn: 'basic-secret' } } }),
      '--out', path.join(work, 'never'), '--allow-loopback', '--secrets', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^api-ingest run: --secrets ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON`));
    expect(result.stdout + result.stderr).not.toContain('hunter2');
    expect(existsSync(path.join(work, 'never'))).toBe(false);
  });

  test('a spec with a secret, no --secrets and no AWS credentials: one line naming the secret, no dead letter', async () => {
    const result = await cli(['run', specFile('nocreds', { request: { url: `${api.url}/basic/items` }, auth: { type: 'bearer', secret: { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-token' } } }),
      '--out', path.join(work, 'nocreds-out'), '--allow-loopback'], {
      AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/secret arn:aws:secretsmanager:us-east-1:123456789012:secret:api-token cannot be read: no usable AWS credentials .*pass --secrets FILE/);
    expect(existsSync(path.join(work, 'nocreds-out', 'dead-letters'))).toBe(false);
  });

  test.each([
    [['--json'], /say where the records go: --out DIR \(local files\) or --firehose STREAM/],
    [['--out', 'x', '--firehose', 'y'], /give one of --out DIR or --firehose STREAM, not both/],
    [['--firehose', 'stream', '--dlq', 'https://sqs.us-east-1.amazonaws.com/123456789012/q'], /--dlq needs --dlq-bucket BUCKET/],
  ])('run %j names what is missing in one line (exit 2)', async (args, message) => {
    const result = await cli(['run', specFile('usage', { request: { url: `${api.url}/x` } }), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  test('escape sequences from the API are shown, not run, in error messages', async () => {
    const result = await cli(['run', specFile('ansi', { request: { url: `${api.url}/ansi/items` } }), '--out', path.join(work, 'ansi-out'), '--allow-loopback']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m gone');
    expect(result.stdout + result.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
  });

  test('API error text cannot forge lines of the summary: newlines and bidi controls are shown as escapes', async () => {
    const result = await cli(['run', specFile('forge', { request: { url: `${api.url}/forge/items` } }), '--out', path.join(work, 'forge-out'), '--allow-loopback']);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('feed forge: failed');
    expect(lines.filter((line) => /succeeded|delivered 100/.test(line))).toEqual([expect.stringMatching(/^  failed partition null: .*bad request\\x0afeed forge: succeeded\\x0d\\x0a  records fetched 100, delivered 100\\u202edeliaf/)]);
    expect(result.stdout).not.toMatch(/[\u202e\r]/);
  });

  test('preview tables show control characters as visible escapes', () => {
    const table = formatTable([{ 'name': 'a\u001b[31mred', 'col\u001b[2J': 'x\ny\tz' }]);
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(table).toContain('a\\x1b[31mred');
    expect(table).toContain('x\\x0ay\\x09z');
  });

  test('loopback is refused without --allow-loopback', async () => {
    const result = await cli(['run', specFile('noloop', { request: { url: `${api.url}/key/items` } }), '--out', path.join(work, 'noloop-out'), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).failures[0].error).toMatch(/requests to 127.0.0.1 are refused: it is a loopback address/);
  });
});
