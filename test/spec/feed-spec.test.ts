import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { FeedSpecInput, validateFeedSpec } from '../../src/spec/feed-spec';
import { feedSpecJsonSchemaDocument } from '../../src/spec/json-schema';

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
