import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Duration, Size } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ApiSource, ApiToFirehoseIngestion, Auth, Column, ExportJob, ExportResults, HttpMethod, HttpSourceProps, Incremental, LoginFormat,
  OAuth2ClientAuthentication,
  Pagination, ParameterLocation, Partitions, Records, ResponseRule,
  RecordSchema, SchemaContract, TimestampFormat, Transform,
} from '../../src';
import { parseFeedSpec } from '../../src/feed-spec/feed-spec';
import { templateOf, testStack } from '../helpers/synth';

/**
 * The spec a source produces: `written` as the schedule carries it (tokens resolved by the
 * template), `spec` as the poller reads it (the schema's defaults applied).
 */
function specOf(source: (stack: any) => ApiSource, feedName = 'feed'): { spec: any; written: any; template: any } {
  const stack = testStack();
  new ApiToFirehoseIngestion(stack, 'Feed', { feedName, source: source(stack) });
  const template = templateOf(stack);
  const schedule = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'))[0];
  const input = schedule.Properties.Target.Input;
  // Inputs with tokens are an Fn::Join; join the literal parts and mark references.
  const text = typeof input === 'string' ? input
    : input['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : `<Ref:${part.Ref ?? Object.values(part).flat().join('.')}>`)).join('');
  const written = JSON.parse(text).spec;
  return { spec: parseFeedSpec(written), written, template };
}

const http = (props: Partial<HttpSourceProps>) => ApiSource.http({ url: 'https://api.example.com/items', records: Records.at('data'), ...props });

describe('Records', () => {
  test.each([
    [Records.at('results.items', { fields: ['id', 'owner.login'] }), { path: 'results.items', format: 'json', fields: ['id', 'owner.login'] }],
    [Records.wholeResponse(), { path: '$', format: 'json' }],
    [Records.ndjson(), { path: '$', format: 'ndjson' }],
    [Records.csv({ fields: ['id'] }), { path: '$', format: 'csv', fields: ['id'] }],
    [Records.at('data', { nullIsEmpty: true }), { path: 'data', format: 'json', nullIsEmpty: true }],
  ])('%#', (records, expected) => {
    expect(specOf(() => http({ records })).spec.records).toEqual(expected);
  });
});

describe('the builders write what the user set; the spec\'s schema supplies every default', () => {
  test('unset props are left out of the schedule\'s input, and the poller reads the schema\'s defaults', () => {
    const { written, spec } = specOf(() => http({
      query: { city: '{{ partition.city }}', after: '{{ cursor }}' },
      pagination: Pagination.linkHeader(),
      partitions: Partitions.list([{ city: 'Seoul' }]),
      incremental: Incremental.number({ recordPath: 'seq', start: 0 }),
    }));
    expect(written.request).toEqual({ url: 'https://api.example.com/items', query: { city: '{{ partition.city }}', after: '{{ cursor }}' } });
    expect(written.records).toEqual({ path: 'data' });
    expect(written.pagination).toEqual({ type: 'linkHeader' });
    expect(written.partitions).toEqual({ type: 'list', values: [{ city: 'Seoul' }] });
    expect(written.incremental).toEqual({ cursorPath: 'seq', type: 'number', start: 0 });
    expect(spec.request.method).toBe('GET');
    expect(spec.pagination).toEqual({ type: 'linkHeader', rel: 'next', stop: { emptyPage: true, maxPages: 1000 } });
    expect(spec.partitions.concurrency).toBe(4);
    expect(spec.incremental.lookback).toBeUndefined();
  });

  test('a prop set to its default value is still written: the user said it', () => {
    const { written } = specOf(() => http({ pagination: Pagination.pageNumber({ param: 'page', start: 1, maxPages: 1000, location: ParameterLocation.QUERY }) }));
    expect(written.pagination).toEqual({ type: 'pageNumber', param: 'page', start: 1, in: 'query', stop: { maxPages: 1000 } });
  });
});

describe('RecordSchema', () => {
  test('columns of every type reach the spec, with only the options set', () => {
    const { written, spec } = specOf(() => http({
      schema: RecordSchema.of({
        id: Column.integer(),
        name: Column.string(),
        price: Column.number({ path: 'pricing.amount' }),
        active: Column.boolean(),
        updated_at: Column.timestamp({ path: 'meta.updatedAt', format: TimestampFormat.UNIX_MS }),
        day: Column.date(),
        raw: Column.json(),
        geo: Column.struct({ lat: Column.number(), lng: Column.number() }),
        tags: Column.array(Column.string()),
      }, { contract: SchemaContract.FREEZE }),
    }));
    expect(written.schema).toEqual({
      columns: {
        id: { type: 'integer' },
        name: { type: 'string' },
        price: { type: 'number', path: 'pricing.amount' },
        active: { type: 'boolean' },
        updated_at: { type: 'timestamp', path: 'meta.updatedAt', format: 'unixms' },
        day: { type: 'date' },
        raw: { type: 'json' },
        geo: { type: 'struct', fields: { lat: { type: 'number' }, lng: { type: 'number' } } },
        tags: { type: 'array', items: { type: 'string' } },
      },
      contract: 'freeze',
    });
    expect(specOf(() => http({ schema: RecordSchema.of({ id: Column.integer() }) })).spec.schema.contract).toBe('evolve');
    expect(spec.schema.columns.id).toEqual({ type: 'integer' });
  });

  test('a column name Athena refuses fails at synth, naming the builder call', () => {
    expect(() => specOf(() => http({ schema: RecordSchema.of({ userId: Column.string() }) })))
      .toThrow(/RecordSchema\.of\(\{ userId: Column\.\* \}\) at spec\.schema\.columns\.userId: "userId" is not a column name Glue and Athena accept/);
  });
});

describe('Transform', () => {
  test('a JSONata expression goes into the spec as written', () => {
    const { written } = specOf(() => http({ transform: Transform.jsonata('{ "id": id, "author": user.login }') }));
    expect(written.transform).toEqual({ expression: '{ "id": id, "author": user.login }' });
  });

  test('the bounds on each record reach the spec in its units; out of range fails at synth, naming the builder call', () => {
    const { written } = specOf(() => http({ transform: Transform.jsonata('{ "id": id }', { timeout: Duration.millis(250), maxOutputSize: Size.kibibytes(64) }) }));
    expect(written.transform).toEqual({ expression: '{ "id": id }', timeoutMs: 250, maxOutputBytes: 65_536 });
    expect(() => specOf(() => http({ transform: Transform.jsonata('{ "id": id }', { timeout: Duration.minutes(2) }) })))
      .toThrow(/spec\.transform\.timeoutMs: must be at most 60000 ms: a record that needs longer belongs in a processorFunction/);
  });

  test('an expression that does not compile fails at synth, naming the builder call and where it breaks', () => {
    expect(() => specOf(() => http({ transform: Transform.jsonata('{ "id": id, "author" user.login }') })))
      .toThrow(/Transform\.jsonata\(expression\) at spec\.transform\.expression: is not a JSONata expression that compiles \(S0202 at character \d+: Expected ":", got "user"\)/);
  });
});

describe('Pagination', () => {
  test('page number with stop rules', () => {
    const { spec } = specOf(() => http({ pagination: Pagination.pageNumber({ param: 'page', start: 0, shortPageSize: 100, maxPages: 50 }) }));
    expect(spec.pagination).toEqual({ type: 'pageNumber', param: 'page', start: 0, in: 'query', stop: { emptyPage: true, shortPage: 100, maxPages: 50 } });
  });

  test('a has-more header, and next URLs that keep the request\'s own query parameters', () => {
    expect(specOf(() => http({ pagination: Pagination.pageNumber({ param: 'page', hasMoreHeader: 'X-Has-More' }) })).spec.pagination.stop)
      .toEqual({ emptyPage: true, maxPages: 1000, hasMoreHeader: 'X-Has-More' });
    expect(specOf(() => http({ pagination: Pagination.linkHeader({ keepQuery: true }) })).written.pagination).toEqual({ type: 'linkHeader', keepQuery: true });
    expect(specOf(() => http({ pagination: Pagination.nextUrl({ responsePath: 'next', keepQuery: true }) })).written.pagination)
      .toEqual({ type: 'nextUrl', from: { path: 'next' }, keepQuery: true });
  });

  test('a stated total of pages', () => {
    const { spec } = specOf(() => http({ pagination: Pagination.pageNumber({ param: 'page', totalPagesPath: 'meta.total_pages' }) }));
    expect(spec.pagination.stop).toEqual({ emptyPage: true, maxPages: 1000, totalPagesPath: 'meta.total_pages' });
  });

  test('offset', () => {
    const { spec } = specOf(() => http({ pagination: Pagination.offset({ offsetParam: 'offset', limitParam: 'limit', limit: 100, totalPath: 'meta.total' }) }));
    expect(spec.pagination).toEqual({ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 100, in: 'query', stop: { emptyPage: true, maxPages: 1000, totalPath: 'meta.total' } });
  });

  test('cursor in a POST body, from a response path, with has-more', () => {
    const { spec } = specOf(() => http({
      method: HttpMethod.POST,
      body: { query: '{ items }' },
      pagination: Pagination.cursor({ responsePath: 'pageInfo.endCursor', requestParam: 'variables.after', location: ParameterLocation.BODY, hasMorePath: 'pageInfo.hasNextPage' }),
    }));
    expect(spec.pagination).toEqual({
      type: 'cursor',
      from: { path: 'pageInfo.endCursor' },
      param: 'variables.after',
      in: 'body',
      stop: { emptyPage: true, maxPages: 1000, hasMorePath: 'pageInfo.hasNextPage' },
    });
    expect(spec.request).toEqual({ url: 'https://api.example.com/items', method: 'POST', body: { query: '{ items }' } });
  });

  test('next URL from a header; Link header', () => {
    expect(specOf(() => http({ pagination: Pagination.nextUrl({ responseHeader: 'X-Next' }) })).spec.pagination.from).toEqual({ header: 'X-Next' });
    expect(specOf(() => http({ pagination: Pagination.linkHeader() })).spec.pagination).toEqual({ type: 'linkHeader', rel: 'next', stop: { emptyPage: true, maxPages: 1000 } });
  });

  test('a cursor needs exactly one of responsePath and responseHeader', () => {
    expect(() => Pagination.cursor({ requestParam: 'c' })).toThrow(
      'Pagination.cursor: give exactly one of responsePath (a field of the response body) or responseHeader (a response header)');
    expect(() => Pagination.nextUrl({ responsePath: 'a', responseHeader: 'b' })).toThrow(/Pagination.nextUrl: give exactly one of/);
  });
});

describe('Partitions and Incremental', () => {
  test('a static list and a datetime cursor with lookback', () => {
    const { spec } = specOf(() => http({
      query: { city: '{{ partition.city }}', since: '{{ cursor }}' },
      partitions: Partitions.list([{ city: 'Seoul' }, { city: 'Busan' }], { concurrency: 2 }),
      incremental: Incremental.datetime({ recordPath: 'observed_at', start: '2026-01-01T00:00:00Z', lookback: Duration.minutes(10) }),
    }));
    expect(spec.partitions).toEqual({ type: 'list', values: [{ city: 'Seoul' }, { city: 'Busan' }], concurrency: 2 });
    expect(spec.incremental).toEqual({ cursorPath: 'observed_at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 600 });
  });

  test('stopAtCursor: a newest-first API without a filter needs no {{ cursor }} in the request', () => {
    const { spec } = specOf(() => http({
      pagination: Pagination.pageNumber({ param: 'page' }),
      incremental: Incremental.datetime({ recordPath: 'created_at', start: '2026-01-01T00:00:00Z', stopAtCursor: true }),
    }));
    expect(spec.incremental).toEqual({ cursorPath: 'created_at', type: 'datetime', start: '2026-01-01T00:00:00Z', stopAtCursor: true });
    expect(() => specOf(() => http({ incremental: Incremental.datetime({ recordPath: 'created_at', start: '2026-01-01T00:00:00Z' }) })))
      .toThrow(/set "stopAtCursor": true/);
  });

  test('partitions from a parent request; a number cursor', () => {
    const { spec } = specOf(() => http({
      url: 'https://api.example.com/stations/{{ partition.station }}/observations',
      query: { after: '{{ cursor }}' },
      partitions: Partitions.fromParent({ url: 'https://api.example.com/stations', records: Records.at('stations'), fields: { station: 'id' }, pagination: Pagination.linkHeader() }),
      incremental: Incremental.number({ recordPath: 'seq', start: 0 }),
    }));
    expect(spec.partitions).toMatchObject({ type: 'parent', request: { url: 'https://api.example.com/stations', method: 'GET' }, fields: { station: 'id' }, concurrency: 4 });
    expect(spec.incremental).toEqual({ cursorPath: 'seq', type: 'number', start: 0 });
  });

  test('limits', () => {
    const { written: spec } = specOf(() => http({
      limits: { requestTimeout: Duration.seconds(10), maxRetries: 3, requestsPerSecond: 2, maxResponseSize: Size.mebibytes(8), allowedHosts: ['cdn.example.com'] },
    }));
    expect(spec.limits).toEqual({ requestTimeoutSeconds: 10, maxRetries: 3, requestsPerSecond: 2, maxResponseBytes: 8 * 1024 * 1024, allowedHosts: ['cdn.example.com'] });
  });
});

describe('JSON forms, as Python code passes dicts', () => {
  test('RecordSchema.of and Column.struct take a column\'s JSON form beside Column; a wrong one is named at synth', () => {
    const { spec } = specOf(() => http({
      schema: RecordSchema.of({ id: { type: 'string', path: 'meta.id' }, geo: Column.struct({ lat: { type: 'number' } }), n: Column.integer() }),
    }));
    expect(spec.schema.columns).toEqual({
      id: { type: 'string', path: 'meta.id' },
      geo: { type: 'struct', fields: { lat: { type: 'number' } } },
      n: { type: 'integer' },
    });
    expect(() => specOf(() => http({ schema: RecordSchema.of({ id: { type: 'strng' } }) }))).toThrow(/spec\.schema\.columns\.id\.type/);
    expect(() => RecordSchema.of({ id: 'string' })).toThrow(
      'RecordSchema.of: column "id" must be a Column, e.g. Column.string(), or its JSON form, e.g. {"type": "string"} '
      + '(in Python: {"id": Column.string()} or {"id": {"type": "string"}}); got "string"');
  });

  test('Partitions.list takes numbers and booleans as their text; anything else is refused with the form to write', () => {
    expect(Partitions.list([{ id: 123, live: true, city: 'Seoul' }])._toSpec()).toMatchObject({ values: [{ id: '123', live: 'true', city: 'Seoul' }] });
    expect(() => Partitions.list([{ id: { nested: 1 } }])).toThrow(
      'Partitions.list: partition 0\'s "id" must be text, a number or a boolean (a partition value is sent as text); got {"nested":1}: write [{"id": "..."}]');
  });
});

describe('ResponseRule', () => {
  test('each action with its condition, in order', () => {
    const { spec } = specOf(() => http({
      responseRules: [
        ResponseRule.skipPartition({ status: [404, 410], reason: 'deleted parent' }),
        ResponseRule.retry({ bodyPath: 'status', equalTo: 'PROCESSING' }),
        ResponseRule.fail({ bodyPath: 'ok', equalTo: 'false' }),
        ResponseRule.emptyPage({ status: [404], header: 'X-Error-Code', contains: 'NoData' }),
      ],
    }));
    expect(spec.responseRules).toEqual([
      { when: { status: [404, 410] }, action: 'skipPartition', reason: 'deleted parent' },
      { when: { bodyPath: 'status', equals: 'PROCESSING' }, action: 'retry' },
      { when: { bodyPath: 'ok', equals: 'false' }, action: 'fail' },
      { when: { status: [404], header: 'X-Error-Code', contains: 'NoData' }, action: 'emptyPage' },
    ]);
  });

  test('a rule without a condition fails at synth, naming the rule', () => {
    expect(() => specOf(() => http({ responseRules: [ResponseRule.retry({})] })))
      .toThrow(/responseRules\[0\]\.when.*must name a status, a header or a bodyPath/);
  });
});

describe('ExportJob', () => {
  test('a polled job with locator-paged results; another with listed files', () => {
    const { spec } = specOf(() => http({
      method: HttpMethod.POST,
      body: { operation: 'query', query: 'SELECT Id FROM Account' },
      records: Records.csv(),
      exportJob: ExportJob.poll({
        jobIdPath: 'id',
        statusUrl: 'https://api.example.com/jobs/{{ job.id }}',
        statusPath: 'state',
        readyStates: ['JobComplete'],
        failedStates: ['Failed', 'Aborted'],
        results: ExportResults.fromUrl('https://api.example.com/jobs/{{ job.id }}/results', { locatorHeader: 'Sforce-Locator' }),
        pollInterval: Duration.seconds(2),
      }),
    }));
    expect(spec.export).toEqual({
      jobIdPath: 'id',
      status: { url: 'https://api.example.com/jobs/{{ job.id }}', path: 'state', ready: ['JobComplete'], failed: ['Failed', 'Aborted'] },
      results: { url: 'https://api.example.com/jobs/{{ job.id }}/results', locator: { header: 'Sforce-Locator', param: 'locator' } },
      pollSeconds: 2,
    });
    const listed = ExportResults.listedAt('documents[*].url', { sendCredentials: false })._toSpec();
    expect(listed).toEqual({ urlsPath: 'documents[*].url', sendCredentials: false });
  });

  test('{{ job.id }} outside the status and results URLs, and pagination with an export, fail at synth', () => {
    expect(() => specOf(() => http({
      query: { job: '{{ job.id }}' },
      pagination: Pagination.pageNumber({ param: 'page' }),
      exportJob: ExportJob.poll({
        jobIdPath: 'id', statusUrl: 'https://api.example.com/jobs/{{ job.id }}', statusPath: 'state', readyStates: ['done'], results: ExportResults.listedAt('files'),
      }),
    }))).toThrow(/spec\.pagination: must be none with "export"[\s\S]*spec\.request\.query\.job: \{\{ job\.id \}\}: only an export job's status and results URLs have a job id/);
  });
});

describe('Auth and secrets', () => {
  test.each([
    ['apiKeyHeader', (s: secretsmanager.ISecret) => Auth.apiKeyHeader('X-Api-Key', s, 'key'), { type: 'apiKey', in: 'header', name: 'X-Api-Key' }],
    ['apiKeyQuery', (s: secretsmanager.ISecret) => Auth.apiKeyQuery('api_key', s), { type: 'apiKey', in: 'query', name: 'api_key' }],
    ['bearer', (s: secretsmanager.ISecret) => Auth.bearer(s), { type: 'bearer' }],
    ['basic', (s: secretsmanager.ISecret) => Auth.basic(s), { type: 'basic' }],
    ['oauth2', (s: secretsmanager.ISecret) => Auth.oauth2ClientCredentials({ tokenUrl: 'https://auth.example.com/token', secret: s, scopes: ['read'] }),
      { type: 'oauth2ClientCredentials', tokenUrl: 'https://auth.example.com/token', scopes: ['read'] }],
    ['oauth2 body auth and token parameters', (s: secretsmanager.ISecret) => Auth.oauth2ClientCredentials({
      tokenUrl: 'https://auth.example.com/token', secret: s, clientAuthentication: OAuth2ClientAuthentication.REQUEST_BODY, tokenParameters: { audience: 'https://api.example.com/' },
    }), { type: 'oauth2ClientCredentials', clientAuth: 'body', tokenParams: { audience: 'https://api.example.com/' } }],
    ['oauth2RefreshToken', (s: secretsmanager.ISecret) => Auth.oauth2RefreshToken({ tokenUrl: 'https://identity.xero.com/connect/token', secret: s }),
      { type: 'oauth2RefreshToken', tokenUrl: 'https://identity.xero.com/connect/token' }],
    ['sessionToken', (s: secretsmanager.ISecret) => Auth.sessionToken({
      loginUrl: 'https://api.example.com/login', secret: s, tokenHeader: 'X-Session', ttl: Duration.minutes(30), sendInQuery: 'session', loginFormat: LoginFormat.FORM,
    }), {
      type: 'sessionToken',
      login: { url: 'https://api.example.com/login', token: { header: 'X-Session' }, ttlSeconds: 1800, format: 'form' },
      send: { in: 'query', name: 'session' },
    }],
  ])('%s: the spec names the secret by its ARN and the poller may read that secret', (_name, auth, expected) => {
    const { spec, template } = specOf((stack) => {
      const secret = new secretsmanager.Secret(stack, 'ApiSecret', { secretStringValue: undefined });
      return http({ auth: auth(secret) });
    });
    expect(spec.auth).toMatchObject(expected);
    expect(spec.auth.secret.arn).toMatch(/^<Ref:ApiSecret[0-9A-F]+>$/);
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: { Ref: expect.stringMatching(/ApiSecret/) },
    }));
  });

  test('oauth2RefreshToken: the poller may also put a new version of that secret and move AWSCURRENT, nothing more', () => {
    const statementsOf = (auth: (s: secretsmanager.ISecret) => Auth) => {
      const { template } = specOf((stack) => http({ auth: auth(new secretsmanager.Secret(stack, 'ApiSecret')) }));
      return Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    };
    const rotating = statementsOf((s) => Auth.oauth2RefreshToken({ tokenUrl: 'https://auth.example.com/token', secret: s }));
    expect(rotating).toContainEqual(expect.objectContaining({
      Action: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Resource: { Ref: expect.stringMatching(/ApiSecret/) },
    }));
    expect(rotating.some((s) => [s.Action].flat().includes('secretsmanager:UpdateSecret'))).toBe(false);
    const clientCredentials = statementsOf((s) => Auth.oauth2ClientCredentials({ tokenUrl: 'https://auth.example.com/token', secret: s }));
    expect(clientCredentials.some((s) => [s.Action].flat().includes('secretsmanager:PutSecretValue'))).toBe(false);
  });

  test('Auth.sessionToken needs one place for the token in the login answer, and one place on data requests', () => {
    const secret = () => new secretsmanager.Secret(testStack(), 'S');
    expect(() => Auth.sessionToken({ loginUrl: 'https://api.example.com/login', secret: secret() }))
      .toThrow('Auth.sessionToken: give exactly one of tokenPath (a field of the login answer) or tokenHeader (a header of it)');
    expect(() => Auth.sessionToken({ loginUrl: 'https://api.example.com/login', secret: secret(), tokenPath: 'token', sendInHeader: 'X-A', sendInQuery: 'a' }))
      .toThrow('Auth.sessionToken: give at most one of sendInHeader or sendInQuery');
  });

  test('Auth.none() grants nothing', () => {
    const { template } = specOf(() => http({ auth: Auth.none() }));
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((s) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')))).toBe(false);
  });
});

describe('ApiSource.fromSpecFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'spec-file-'));
  const file = (name: string, content: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  test('the file\'s feed is the default feed name and its secret ARN is granted', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token-AbC123';
    const p = file('github.json', {
      version: 1,
      feed: 'github-issues',
      request: { url: 'https://api.github.com/repos/o/r/issues' },
      auth: { type: 'bearer', secret: { arn } },
      pagination: { type: 'linkHeader' },
      records: { path: '$' },
    });
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Github', { source: ApiSource.fromSpecFile(p) });
    expect(feed.feedName).toBe('github-issues');
    const statements = Object.values<any>(templateOf(stack).findResources('AWS::IAM::Policy')).flatMap((q) => q.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: arn }));
  });

  test('an invalid file reports every problem with its path', () => {
    const p = file('bad.json', { version: 2, feed: 'x', request: { url: 'ftp://x' }, records: { path: 'data' }, pagination: { type: 'pages' } });
    expect(() => ApiSource.fromSpecFile(p)).toThrow(/the spec is invalid \(3 problem\(s\)\):\n  - spec.version: must be 1[^]*spec.request.url: must be an absolute http[^]*spec.pagination.type: "pages" is not one of none, pageNumber, offset, cursor, nextUrl, linkHeader/);
  });

  test('a file that is not JSON', () => {
    expect(() => ApiSource.fromSpecFile(file('broken.json', '{ "version": 1,'))).toThrow(/ApiSource.fromSpecFile: cannot read .*broken.json as JSON/);
  });
});

describe('wrong specs built with the builders fail at synth with the spec path', () => {
  test('a body on a GET request, a body cursor on GET, an empty page parameter', () => {
    expect(() => specOf(() => http({
      body: { q: 1 },
      pagination: Pagination.pageNumber({ param: '', location: ParameterLocation.BODY }),
    }))).toThrow(/spec.pagination.param: must not be empty/);
    expect(() => specOf(() => http({ body: { q: 1 } }))).toThrow(/spec.request.body: a JSON body needs method "POST"/);
    expect(() => specOf(() => http({ pagination: Pagination.cursor({ responsePath: 'n', requestParam: 'a.b', location: ParameterLocation.BODY }) })))
      .toThrow(/spec.pagination.in: "body" needs request method "POST"/);
  });

  test('a datetime cursor whose start is not a date', () => {
    expect(() => specOf(() => http({ incremental: Incremental.datetime({ recordPath: 'updated', start: 'yesterday' }) })))
      .toThrow(/spec.incremental.start: a datetime cursor's start "yesterday" is not an ISO 8601 date/);
  });

  test('a records path with CSV is refused', () => {
    expect(() => specOf(() => ApiSource.fromSpec({ version: 1, feed: 'f', request: { url: 'https://x' }, records: { path: 'data', format: 'csv' } })))
      .toThrow(/spec.records.path: is for JSON responses/);
  });
});
