/**
 * The Python package, proven: the wheel built by jsii-pacmak is installed into a fresh
 * virtualenv with aws-cdk-lib and constructs from PyPI, and the Python example app (the same
 * feed as the TypeScript example) is synthesized. Its template must match the TypeScript one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildLakehouseApp, LAKEHOUSE_STACK_NAME } from '../../examples/lakehouse/app';
import { buildPlatformApp, PLATFORM_STACK_NAME } from '../../examples/platform/app';
import { buildSearchWarehouseApp, SEARCH_WAREHOUSE_STACK_NAME } from '../../examples/search-warehouse/app';
import { buildWeatherApp, WEATHER_STACK_NAME } from '../../examples/weather/app';
import { PROJECT_ROOT } from '../setup/moto-server';

const DIST_PYTHON = path.join(PROJECT_ROOT, 'dist', 'python');
const JSII_ASSEMBLY = path.join(PROJECT_ROOT, '.jsii');

/** The wheel, built by jsii-pacmak when missing or older than the compiled jsii assembly. */
function ensureWheel(): string {
  if (!existsSync(JSII_ASSEMBLY)) {
    throw new Error('.jsii is missing: compile first (npx projen compile), or run "npm run test:all"');
  }
  const findWheel = () => existsSync(DIST_PYTHON)
    ? readdirSync(DIST_PYTHON).filter((f) => f.endsWith('.whl')).map((f) => path.join(DIST_PYTHON, f))[0]
    : undefined;
  let wheel = findWheel();
  if (!wheel || statSync(wheel).mtimeMs < statSync(JSII_ASSEMBLY).mtimeMs) {
    execFileSync('npx', ['jsii-pacmak', '--target', 'python'], { cwd: PROJECT_ROOT, stdio: 'pipe', timeout: 600_000 });
    wheel = findWheel();
  }
  if (!wheel) {
    throw new Error(`jsii-pacmak produced no wheel in ${DIST_PYTHON}`);
  }
  return wheel;
}

/** Every resource and every property of a template, apart from CDK metadata (source paths) and asset hashes. */
function comparable(template: any): any {
  return JSON.parse(JSON.stringify(template.Resources, (key, value) =>
    key === 'Metadata' ? undefined : typeof value === 'string' ? value.replace(/[0-9a-f]{64}/g, '<hash>') : value));
}

function countsByType(template: any): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values<any>(template.Resources)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

describe('Python package', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'cdk-api-ingestion-py-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const venv = path.join(work, 'venv');
  const python = path.join(venv, 'bin', 'python');

  /** Runs a Python example app from the installed wheel; returns the stack's template. */
  function synthPython(example: string, stackName: string): any {
    const outdir = path.join(work, `cdk.out.${example}`);
    execFileSync(python, [path.join(PROJECT_ROOT, 'examples', 'python', example)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, CDK_OUTDIR: outdir },
      stdio: 'pipe',
      timeout: 300_000,
    });
    return JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8'));
  }

  beforeAll(() => {
    const wheel = ensureWheel();
    const cdkVersion = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).devDependencies['aws-cdk-lib'];
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'pipe' });
    execFileSync(path.join(venv, 'bin', 'pip'), [
      'install', '--quiet', '--disable-pip-version-check',
      wheel, `aws-cdk-lib==${cdkVersion}`, 'constructs>=10.5.1,<11',
    ], { stdio: 'pipe', timeout: 900_000 });
  }, 1_200_000);

  test('the wheel installs into a fresh virtualenv and the Python example synthesizes like the TypeScript one', () => {
    const pythonTemplate = synthPython('app.py', WEATHER_STACK_NAME);

    const { app } = buildWeatherApp(path.join(work, 'cdk.out.ts'));
    const tsTemplate = app.synth().getStackByName(WEATHER_STACK_NAME).template;

    expect(countsByType(pythonTemplate)).toEqual(countsByType(tsTemplate));
    expect(Object.keys(pythonTemplate.Resources).length).toBeGreaterThan(10);
    // Same feed, same spec: the schedule's input is identical.
    const input = (t: any) => Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::Scheduler::Schedule').Properties.Target.Input;
    expect(input(pythonTemplate)).toBe(input(tsTemplate));

    // The builder API from Python: auth with a secret, pagination, partitions, incremental, limits.
    const github = synthPython('github_issues.py', 'GithubIssues');
    const githubInput = input(github);
    const text = typeof githubInput === 'string' ? githubInput : githubInput['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '<token>')).join('');
    expect(JSON.parse(text).spec).toEqual({
      version: 1,
      feed: 'github-issues',
      // What the Python code set, nothing more: the poller's schema supplies the defaults.
      request: { url: 'https://api.github.com/repos/{{ partition.owner }}/{{ partition.repo }}/issues', query: { state: 'all', since: '{{ cursor }}' } },
      auth: { type: 'bearer', secret: { arn: expect.stringMatching(/:secretsmanager:us-east-1:123456789012:secret:github-token$/) } },
      pagination: { type: 'linkHeader' },
      records: { path: '$', fields: ['id', 'title', 'user.login', 'updated_at'] },
      partitions: { type: 'list', values: [{ owner: 'aws', repo: 'aws-cdk' }, { owner: 'projen', repo: 'projen' }] },
      incremental: { cursorPath: 'updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 300 },
      limits: { requestsPerSecond: 5 },
    });
  }, 600_000);

  test('the platform example (existing KMS bucket, CMK, VPC, dynamic partitioning, schedule props, dashboard, shared resources, an HTTP endpoint, '
    + 'a distributed run, a durable run) synthesizes the same template from Python as from TypeScript', () => {
    const pythonTemplate = synthPython('data_platform.py', PLATFORM_STACK_NAME);
    const { app } = buildPlatformApp(path.join(work, 'cdk.out.platform-ts'));
    const tsTemplate = app.synth().getStackByName(PLATFORM_STACK_NAME).template;
    expect(comparable(pythonTemplate)).toEqual(comparable(tsTemplate));
    expect(countsByType(pythonTemplate)).toMatchObject({
      'AWS::KinesisFirehose::DeliveryStream': 5,
      'AWS::Lambda::Function': 5,
      'AWS::Lambda::Alias': 1,
      'AWS::StepFunctions::StateMachine': 1,
      'AWS::SQS::Queue': 1,
      'AWS::DynamoDB::Table': 1,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::KMS::Key': 1,
    });
    expect(countsByType(pythonTemplate)['AWS::S3::Bucket']).toBeUndefined(); // the lake bucket is the platform's
  }, 600_000);

  test('the lakehouse example (schema, transform, Parquet and Iceberg tables in a shared database and in S3 Tables, grantQuery) synthesizes the same template from Python as from TypeScript', () => {
    const pythonTemplate = synthPython('lakehouse.py', LAKEHOUSE_STACK_NAME);
    const { app } = buildLakehouseApp(path.join(work, 'cdk.out.lakehouse-ts'));
    const tsTemplate = app.synth().getStackByName(LAKEHOUSE_STACK_NAME).template;
    expect(comparable(pythonTemplate)).toEqual(comparable(tsTemplate));
    expect(countsByType(pythonTemplate)).toMatchObject({ 'AWS::Glue::Database': 2, 'AWS::Glue::Table': 2, 'AWS::S3Tables::Table': 1 });
  }, 600_000);

  test('the search and warehouse example (an OpenSearch domain in a VPC, a Serverless collection, a Redshift table created at deployment, outputs) synthesizes the same template from Python as from TypeScript', () => {
    const pythonTemplate = synthPython('search_warehouse.py', SEARCH_WAREHOUSE_STACK_NAME);
    const { app } = buildSearchWarehouseApp(path.join(work, 'cdk.out.search-warehouse-ts'));
    const tsTemplate = app.synth().getStackByName(SEARCH_WAREHOUSE_STACK_NAME).template;
    expect(comparable(pythonTemplate)).toEqual(comparable(tsTemplate));
    // The outputs too: the access statements, index template, pipeline and DDL read the same from Python.
    expect(pythonTemplate.Outputs).toEqual(tsTemplate.Outputs);
    expect(countsByType(pythonTemplate)).toMatchObject({
      'AWS::KinesisFirehose::DeliveryStream': 3, 'Custom::RedshiftTable': 1, 'AWS::OpenSearchServerless::AccessPolicy': 1,
    });
  }, 600_000);

  test('mistakes read as well in Python: the message first, in the user\'s terms; JSON specs and struct dicts work as documented', () => {
    const spec = path.join(PROJECT_ROOT, 'examples', 'specs', 'orders-updated-since.json');
    const output = execFileSync(python, [path.join(__dirname, 'scripts', 'user_mistakes.py'), spec], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, CDK_OUTDIR: path.join(work, 'cdk.out.mistakes') },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const results = JSON.parse(output.trim().split('\n').pop()!);
    expect(results['misspelt template']).toEqual({
      ok: false,
      type: 'RuntimeError',
      text: expect.stringMatching(/^ApiToFirehoseIngestion 'S\/Feed': the feed spec is invalid \(1 problem\(s\)\):\n  - ApiSource\.http\(\{ url \}\) at spec\.request\.url: \{\{ partiton\.station \}\}: unknown variable "partiton\.station"; did you mean partition\.station\?/),
      printedFirst: expect.any(String),
    });
    // What Python prints first (jsii's JavaScriptError, above the traceback) is the message itself, not JavaScript
    // frames, for every error a construct throws. (A static method's error, fromSpec's below, is wrapped by the jsii
    // kernel in an error of its own, with the kernel's frames: that one jsii does not let the library shorten.)
    for (const name of ['misspelt template', 'negative lookback', 'schema with a camelCase column']) {
      const first = results[name].printedFirst as string;
      expect(first).toMatch(/^jsii\.errors\.JavaScriptError: \n  Error: ApiToFirehoseIngestion 'S\/Feed'/);
      expect(first).not.toMatch(/\n\s+at /);
    }
    expect(results['negative lookback'].text).toMatch(/^ApiToFirehoseIngestion 'S\/Feed'[^]*- Incremental\.number\(\{ lookback \}\) at spec\.incremental\.lookback: must be 0 or more$/);
    expect(results['snake_case limits dict']).toEqual({ ok: true });
    // jsii's own error for a camelCase struct key: it names the key (README, "In Python").
    expect(results['camelCase limits dict']).toMatchObject({ ok: false, type: 'TypeError', text: expect.stringMatching(/unexpected keyword argument 'requestsPerSecond'/) });
    expect(results['spec file']).toEqual({ ok: true });
    expect(results['spec dict from json.load']).toEqual({ ok: true });
    expect(results['schema builders']).toEqual({ ok: true });
    expect(results['schema builders spec']).toEqual({
      columns: {
        id: { type: 'integer' },
        updated_at: { type: 'timestamp', path: 'meta.updatedAt', format: 'unixms' },
        geo: { type: 'struct', fields: { lat: { type: 'number' } } },
        tags: { type: 'array', items: { type: 'string' } },
      },
      contract: 'discardColumns',
    });
    expect(results['schema with a camelCase column'].text)
      .toMatch(/^ApiToFirehoseIngestion 'S\/Feed'[^]*RecordSchema\.of\(\{ userId: Column\.\* \}\) at spec\.schema\.columns\.userId: "userId" is not a column name/);
    // The JSON forms the docs show work from Python as dicts; a wrong kind says what to write, first.
    expect(results['json forms']).toEqual({ ok: true });
    expect(results['json forms spec']).toEqual({
      partitions: [{ id: '123' }, { id: 'abc' }],
      columns: { id: { type: 'string' }, price: { type: 'number', path: 'p' } },
    });
    expect(results['json form of a wrong kind'].text).toMatch(/^(Error: )?RecordSchema\.of: column "id" must be a Column, e\.g\. Column\.string\(\), or its JSON form, e\.g\. \{"type": "string"\} \(in Python: \{"id": Column\.string\(\)\} or \{"id": \{"type": "string"\}\}\); got "string"/);
    // The SaaS patterns of issue 28 from Python's builders: the same spec as the TypeScript builders write.
    expect(results['saas patterns']).toEqual({ ok: true });
    expect(results['saas patterns spec']).toEqual({
      auth: {
        type: 'sessionToken',
        login: { url: 'https://helpdesk.example.com/api/login', token: { path: 'session.id' } },
        secret: { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:login-AbCdEf' },
        send: { in: 'header', name: 'X-Session' },
      },
      incremental: { cursorPath: 'created_at', type: 'datetime', start: '2026-01-01T00:00:00Z', stopAtCursor: true },
      responseRules: [
        { when: { status: [404] }, action: 'skipPartition', reason: 'deleted' },
        { when: { bodyPath: 'status', equals: 'PROCESSING' }, action: 'retry' },
      ],
    });
    expect(results['export job']).toEqual({ ok: true });
    expect(results['export job spec']).toEqual({
      auth: { type: 'oauth2RefreshToken', tokenUrl: 'https://login.salesforce.com/services/oauth2/token', clientAuth: 'body' },
      export: {
        jobIdPath: 'id',
        status: { url: 'https://mycompany.my.salesforce.com/services/data/v60.0/jobs/query/{{ job.id }}', path: 'state', ready: ['JobComplete'], failed: ['Failed'] },
        results: { url: 'https://mycompany.my.salesforce.com/services/data/v60.0/jobs/query/{{ job.id }}/results', locator: { header: 'Sforce-Locator', param: 'locator' } },
      },
    });
    // A static method's error comes through jsii with "Error: " in front; the message follows at once.
    expect(results['spec dict with a typo'].type).toBe('RuntimeError');
    expect(results['spec dict with a typo'].text).toMatch(/^(Error: )?ApiSource\.fromSpec: the spec is invalid[^]*spec\.pagination\.type: "pagenumber" is not one of none, pageNumber, offset, cursor, nextUrl, linkHeader; did you mean "pageNumber"\?/);
  }, 600_000);

  test('the wheel\'s api-ingest command runs the same CLI, and with jsii\'s package cache (as the README says) it runs from the cache', () => {
    const cacheRoot = path.join(work, 'jsii-package-cache');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, JSII_RUNTIME_PACKAGE_CACHE: 'enabled', JSII_RUNTIME_PACKAGE_CACHE_ROOT: cacheRoot };
    const version = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;
    for (let call = 0; call < 2; call += 1) {
      const out = execFileSync(path.join(venv, 'bin', 'api-ingest'), ['--version'], { env, encoding: 'utf8', timeout: 120_000 });
      expect(out.startsWith(`cdk-api-ingestion ${version}`)).toBe(true);
    }
    // The package was extracted once, into the cache, and the second call ran it from there.
    expect(readdirSync(cacheRoot)).toContain('cdk-api-ingestion');
  }, 300_000);

  test('the wheel\'s description links the docs where PyPI readers can open them, not to paths only the repository has', () => {
    const metadata = execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.metadata("cdk-api-ingestion").get_payload() or m.metadata("cdk-api-ingestion")["Description"])'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work },
    });
    expect(metadata).toContain('https://unpkg.com/browse/cdk-api-ingestion@latest/docs/SPEC.md');
    expect(metadata).toContain('https://unpkg.com/browse/cdk-api-ingestion@latest/API.python.md');
    expect(metadata).not.toMatch(/\]\((?:docs|examples|schema)\/|\]\(API(?:\.python)?\.md\)/);
  });
});
