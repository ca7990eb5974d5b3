import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { FeedSpecInput, validateFeedSpec } from '../../src/feed-spec/feed-spec';
import { feedSpecJsonSchemaDocument } from '../../src/feed-spec/json-schema';

const ROOT = path.join(__dirname, '..', '..');
const SCHEMA_FILE = path.join(ROOT, 'schema', 'feed-spec.v1.json');
const SPECS_DIR = path.join(ROOT, 'examples', 'specs');
const published = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const ajvValidate = new Ajv2020({ strict: false, allErrors: true }).compile(published);

const VALID: FeedSpecInput = {
  version: 1,
  feed: 'orders',
  request: { url: 'https://shop.example.com/orders', query: { since: '{{ cursor }}' } },
  auth: { type: 'bearer', secret: { arn: 'arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf' } },
  pagination: { type: 'cursor', from: { path: 'meta.next' }, param: 'page_token' },
  records: { path: 'orders' },
  incremental: { cursorPath: 'updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
};

describe('the published JSON Schema', () => {
  test('schema/feed-spec.v1.json is generated from the zod schema (run `npx projen schema` after changing it)', () => {
    expect(published).toEqual(feedSpecJsonSchemaDocument());
  });

  test.each(readdirSync(SPECS_DIR).filter((f) => f.endsWith('.json')))('%s is valid for the published schema and for the poller', (file) => {
    const spec = JSON.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8'));
    expect(ajvValidate(spec)).toBe(true);
    expect(validateFeedSpec(spec)).toMatchObject({ ok: true });
  });
});

describe('spec validation, property-based', () => {
  // A valid spec with one field replaced by an arbitrary JSON value: the usual shape of a wrong spec.
  const paths = [
    ['version'], ['feed'], ['request'], ['request', 'url'], ['request', 'method'], ['request', 'query'], ['auth'], ['auth', 'type'],
    ['auth', 'secret'], ['pagination'], ['pagination', 'type'], ['pagination', 'from'], ['records'], ['records', 'path'],
    ['records', 'format'], ['incremental'], ['incremental', 'type'], ['limits'], ['partitions'],
  ];
  const mutated = fc.tuple(fc.constantFrom(...paths), fc.jsonValue()).map(([where, value]) => {
    const spec: any = structuredClone(VALID);
    let target = spec;
    for (const key of where.slice(0, -1)) target = target[key];
    target[where[where.length - 1]] = value;
    return spec;
  });

  test('never throws; a problem always names a path in the spec and says what is wrong', () => {
    fc.assert(fc.property(fc.oneof(mutated, fc.jsonValue()), (input) => {
      const result = validateFeedSpec(input);
      if (!result.ok) {
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(problem.path).toMatch(/^spec(\.|\[|$)/);
          expect(problem.message.length).toBeGreaterThan(5);
        }
      }
    }), { numRuns: 500 });
  });

  test('the poller never accepts a spec that the published JSON Schema rejects', () => {
    fc.assert(fc.property(mutated, (spec) => {
      if (!ajvValidate(spec)) {
        expect(validateFeedSpec(spec).ok).toBe(false);
      }
    }), { numRuns: 500 });
  });

  test('several problems are reported together', () => {
    const result = validateFeedSpec({ ...VALID, version: 3, feed: 'Not Valid', request: { url: 'ftp://x' }, records: { path: '' } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['spec.version', 'spec.feed', 'spec.request.url', 'spec.records.path']);
  });
});

describe('spec values that would leak a credential or steer the poller are refused', () => {
  const base = { version: 1, feed: 'f', request: { url: 'https://api.example.com/v1' }, records: { path: 'data' } };
  const problems = (overrides: Record<string, unknown>) => {
    const result = validateFeedSpec({ ...base, ...overrides });
    return result.ok ? [] : result.problems;
  };

  test.each([
    ['headers', 'Authorization', 'Bearer abc'],
    ['headers', 'x-api-key', 'k'],
    ['headers', 'Cookie', 'session=1'],
    ['headers', 'X-Auth-Token', 't'],
    ['query', 'api_key', 'k'],
    ['query', 'access_token', 't'],
    ['query', 'client_secret', 's'],
  ])('a literal credential in request.%s (%s) points to auth with a secret', (kind, name, value) => {
    expect(problems({ request: { url: base.request.url, [kind]: { [name]: value } } })).toEqual([{
      path: `spec.request.${kind}.${name}`,
      message: expect.stringMatching(/carries a credential, which must not be written into the spec .*use auth instead: Auth\.bearer, Auth\.apiKeyHeader/),
    }]);
  });

  test('OAuth2 tokenParams cannot override the grant\'s own parameters, nor carry a credential', () => {
    const oauth = (tokenParams: Record<string, string>) => problems({
      auth: { type: 'oauth2ClientCredentials', tokenUrl: 'https://auth.example.com/token', secret: { arn: 'arn:s' }, tokenParams },
    });
    expect(oauth({ audience: 'https://api.example.com/' })).toEqual([]);
    expect(oauth({ grant_type: 'password' })).toEqual([{
      path: 'spec.auth.tokenParams',
      message: 'must not set grant_type, client_id, client_secret, refresh_token, scope: the grant sends them itself (scope: use scopes)',
    }]);
    expect(oauth({ password: 'hunter2' })).toEqual([expect.objectContaining({ path: 'spec.auth.tokenParams.password', message: expect.stringContaining('carries a credential') })]);
  });

  test('response rules: a condition to match, one place to read a value from, a known action', () => {
    const rule = (r: Record<string, unknown>) => problems({ responseRules: [r] });
    expect(rule({ when: { status: 404 }, action: 'skipPartition' })).toEqual([]);
    expect(rule({ when: {}, action: 'retry' })).toEqual([{
      path: 'spec.responseRules[0].when', message: 'must name a status, a header or a bodyPath: a rule without one would apply to every answer',
    }]);
    expect(rule({ when: { header: 'X-A', bodyPath: 'a' }, action: 'fail' })).toEqual([expect.objectContaining({ message: expect.stringContaining('not both: write two rules') })]);
    expect(rule({ when: { status: 200, equals: 'x' }, action: 'fail' })).toEqual([expect.objectContaining({ message: expect.stringContaining('name it with "header" or "bodyPath"') })]);
    expect(rule({ when: { status: 700 }, action: 'fail' })).toEqual([expect.objectContaining({ path: 'spec.responseRules[0].when.status' })]);
    expect(rule({ when: { status: 404 }, action: 'ignore' })).toEqual([expect.objectContaining({ path: 'spec.responseRules[0].action' })]);
  });

  test('a session token needs the login answer\'s token location', () => {
    expect(problems({ auth: { type: 'sessionToken', login: { url: 'https://api.example.com/login' }, secret: { arn: 'arn:s' } } }))
      .toEqual([expect.objectContaining({ path: 'spec.auth.login.token' })]);
  });

  test('a page-token header or a plain parameter is not mistaken for a credential', () => {
    expect(problems({
      request: { url: base.request.url, headers: { 'X-Page-Token': '{{ page.token }}', 'Accept': 'application/json' }, query: { key_field: 'id', token_type: 'x' } },
      pagination: { type: 'cursor', from: { path: 'next' } },
    })).toEqual([]);
  });

  test.each(['__proto__.polluted', 'a.constructor.prototype', 'prototype'])('records.fields "%s" through a prototype key is refused', (field) => {
    expect(problems({ records: { path: 'data', fields: ['id', field] } })).toEqual([{ path: 'spec.records.fields[1]', message: expect.stringMatching(/goes through __proto__, constructor or prototype/) }]);
  });

  test('a lookback too large for a date is refused; a negative one too', () => {
    const request = { url: base.request.url, query: { since: '{{ cursor }}' } };
    expect(problems({ request, incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: 1e20 } }))
      .toEqual([{ path: 'spec.incremental.lookbackSeconds', message: expect.stringMatching(/must be at most 3155760000 \(100 years\) for a datetime cursor/) }]);
    expect(problems({ request, incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookbackSeconds: -1 } }))
      .toEqual([{ path: 'spec.incremental.lookbackSeconds', message: 'must be 0 or more' }]);
  });

  test.each(['01/02/2026', '2026-01-02 10:00', '2026-01-02T10:00:00', '2026-02-30', 'Jan 2 2026', '2026-01-02T25:00Z'])(
    'a datetime cursor start %s, which readers read differently or not at all, is refused', (start) => {
      const request = { url: base.request.url, query: { since: '{{ cursor }}' } };
      expect(problems({ request, incremental: { cursorPath: 'at', type: 'datetime', start } }))
        .toEqual([{ path: 'spec.incremental.start', message: expect.stringMatching(/is not an ISO 8601 date \(2026-01-02\) or date-time with an offset or Z/) }]);
    });

  test.each(['2026-01-02', '2026-01-02T10:00Z', '2026-01-02T10:00:00.123+09:00', '2024-02-29T00:00:00Z'])('a datetime cursor start %s is accepted', (start) => {
    const request = { url: base.request.url, query: { since: '{{ cursor }}' } };
    expect(problems({ request, incremental: { cursorPath: 'at', type: 'datetime', start } })).toEqual([]);
  });

  test('a schema column the transform\'s records can never have is refused, with the nearest field the transform makes', () => {
    const schema = { columns: { id: { type: 'integer' as const }, author: { type: 'string' as const, path: 'auther' }, temp_f: { type: 'number' as const } } };
    expect(problems({ transform: { expression: 'state = "open" ? { "id": id, "author": user.login, "temp": temp_c * 9 / 5 + 32 } : undefined' }, schema })).toEqual([
      { path: 'spec.schema.columns.author', message: expect.stringMatching(/^reads "auther", but the transform's records never have a field "auther" \(they have "id", "author", "temp"\); did you mean "author"\?: the column would be null in every row/) },
      { path: 'spec.schema.columns.temp_f', message: expect.stringMatching(/^reads "temp_f", but .*; did you mean "temp"\?.*or mark the column "allowEmpty": true$/) },
    ]);
    // Allowed to be empty, or a transform that passes the record's own fields through: nothing to say statically.
    expect(problems({ transform: { expression: '{ "id": id }' }, schema: { columns: { id: { type: 'integer' }, note: { type: 'string', allowEmpty: true } } } })).toEqual([]);
    expect(problems({ transform: { expression: '$merge([$, { "temp": temp_c }])' }, schema })).toEqual([]);
  });

  test('a spec nested 100,000 levels deep gets a clear problem, not a stack overflow', () => {
    let body: unknown = 1;
    for (let i = 0; i < 100_000; i++) body = { a: body };
    const found = problems({ request: { url: base.request.url, method: 'POST', body } });
    expect(found).toHaveLength(1);
    expect(found[0].path).toMatch(/^spec\.request\.body\.a\.a/);
    expect(found[0].message).toBe('nests deeper than 32 levels; a feed spec (request body included) never needs that many');
  });

  test('stop.donePath and limits.allowPrivateAddresses are part of the spec', () => {
    expect(problems({ pagination: { type: 'pageNumber', param: 'page', stop: { donePath: 'done' } }, limits: { allowPrivateAddresses: true } })).toEqual([]);
  });
});
