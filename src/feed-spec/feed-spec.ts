/**
 * The JSON form of a feed spec: the one contract between the construct (which writes it at
 * synth), the poller Lambda and the local command (which read it at run time).
 *
 * One zod schema gives the TypeScript types, the validation used at synth and at run time, and
 * the published JSON Schema (`schema/feed-spec.v1.json`). This module is internal: it is not
 * part of the jsii API; users build specs with the builder classes in `src/source/`.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { isoInstantProblem } from './iso-instant';
import { RecordSchemaSpec, recordSchemaProblems, recordSchemaSchema } from './record-schema';
import { recordTransformSchema, transformExpressionProblem } from './record-transform';
import { templateProblems } from './template-checks';
import { nearest } from './template-syntax';
import { transformOutputFields } from './transform-shape';

// zod/mini keeps the Lambda bundle small (the classic API is not tree-shakable: ~750 KB); it
// loads no locale by default, so load English alone for readable default messages.
z.config(en());

/** The spec version this library writes and reads. Bump it on any incompatible change. */
export const FEED_SPEC_VERSION = 1;

const httpUrl = z.string().check(
  z.refine((value) => {
    try {
      const url = new URL(value.replace(/\{\{[^}]*\}\}/g, 'x'));
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, { message: 'must be an absolute http:// or https:// URL, for example "https://api.example.com/v1/items"' }),
);

const nonEmpty = (what: string) => z.string().check(
  z.trim(),
  z.minLength(1, { message: `must not be empty: ${what}` }),
);

const positiveInt = (what: string, max?: number) => z.number().check(
  z.int({ message: `must be a whole number: ${what}` }),
  z.gte(1, { message: `must be at least 1: ${what}` }),
  ...(max !== undefined ? [z.lte(max, { message: `must be at most ${max}: ${what}` })] : []),
);

const stringMap = z.record(z.string(), z.string());

/** A JSON value (request bodies). String leaves may hold `{{ ... }}` templates. */
const jsonValue: z.ZodMiniType<unknown> = z.unknown();

// ---------------------------------------------------------------------------------------------
// Secrets: the spec names a Secrets Manager secret; the poller reads its value at run time.

export const secretRefSchema = z.strictObject({
  /** ARN (or name) of the Secrets Manager secret. */
  arn: nonEmpty('the ARN or name of a Secrets Manager secret'),
  /** For a JSON secret: the field that holds the value. Absent: the whole secret string. */
  field: z.optional(nonEmpty('the JSON field of the secret that holds the value')),
});

// ---------------------------------------------------------------------------------------------
// Requests

export const requestSchema = z.strictObject({
  url: httpUrl,
  method: z._default(z.enum(['GET', 'POST']), 'GET'),
  query: z.optional(stringMap),
  headers: z.optional(stringMap),
  /** JSON body (POST). */
  body: z.optional(jsonValue),
});

// ---------------------------------------------------------------------------------------------
// Auth

/** Token request fields that the parameters a grant sends itself cannot be overridden by. */
const RESERVED_TOKEN_PARAMS = ['grant_type', 'client_id', 'client_secret', 'refresh_token', 'scope'];

/** How an OAuth2 grant's token request is made (shared by the client-credentials and refresh-token grants). */
const oauth2TokenRequest = {
  /**
   * How the client authenticates to the token endpoint: `basic` (an HTTP Basic header, RFC 6749's
   * preferred way) or `body` (`client_id` and `client_secret` in the form body). @default "basic"
   */
  clientAuth: z.optional(z.enum(['basic', 'body'])),
  /** Extra form parameters of the token request, e.g. `audience` or `resource`. @default none */
  tokenParams: z.optional(stringMap.check(z.refine(
    (params) => !Object.keys(params).some((name) => RESERVED_TOKEN_PARAMS.includes(name)),
    { message: `must not set ${RESERVED_TOKEN_PARAMS.join(', ')}: the grant sends them itself (scope: use scopes)` },
  ))),
};

/** Where a value is in a response: a body field or a header. */
const valueSourceSchema = z.union([
  z.strictObject({ path: nonEmpty('a field path in the response body, e.g. "meta.next"') }),
  z.strictObject({ header: nonEmpty('a response header name, e.g. "X-Next-Cursor"') }),
]);

export const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('apiKey'),
    in: z.enum(['header', 'query']),
    name: nonEmpty('the header or query parameter that carries the key'),
    secret: secretRefSchema,
  }),
  z.strictObject({ type: z.literal('bearer'), secret: secretRefSchema }),
  z.strictObject({
    type: z.literal('basic'),
    /** A JSON secret with `username` and `password` fields. */
    secret: secretRefSchema,
  }),
  z.strictObject({
    type: z.literal('oauth2ClientCredentials'),
    tokenUrl: httpUrl,
    scopes: z.optional(z.array(z.string())),
    /** A JSON secret with `client_id` and `client_secret` fields. */
    secret: secretRefSchema,
    ...oauth2TokenRequest,
  }),
  z.strictObject({
    type: z.literal('oauth2RefreshToken'),
    tokenUrl: httpUrl,
    scopes: z.optional(z.array(z.string())),
    /**
     * A JSON secret with `client_id`, `client_secret` and `refresh_token` fields. A refresh token
     * the provider rotates is written back to it (the poller may write this secret).
     */
    secret: secretRefSchema,
    ...oauth2TokenRequest,
  }),
  z.strictObject({
    type: z.literal('sessionToken'),
    /** The login request: POSTs the secret's JSON object (e.g. `username`, `password`) to `url`. */
    login: z.strictObject({
      url: httpUrl,
      /** How the secret's fields are sent. @default "json" */
      format: z.optional(z.enum(['json', 'form'])),
      /** Where the token is in the login response. */
      token: valueSourceSchema,
      /** A number field of the login response: the token's lifetime in seconds. @default the token is used until a 401 */
      expiresInPath: z.optional(nonEmpty('a number field path of the login response, e.g. "expires_in"')),
      /** The token's lifetime when the login response does not say. @default the token is used until a 401 */
      ttlSeconds: z.optional(positiveInt('the session token\'s lifetime in seconds')),
    }),
    /** A JSON secret: the object the login request sends. */
    secret: secretRefSchema,
    /** How data requests carry the token. @default the `Authorization` header with `Bearer ` before the token */
    send: z.optional(z.strictObject({
      in: z.enum(['header', 'query']),
      name: nonEmpty('the header or query parameter that carries the session token'),
      /** Text before the token, e.g. `Bearer ` or `Token token=`. @default none */
      prefix: z.optional(z.string()),
    })),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Pagination

const stopRules = z.strictObject({
  /** Stop when a page has no records. @default true */
  emptyPage: z._default(z.boolean(), true),
  /** Stop when a page has fewer records than this (the API's page size). */
  shortPage: z.optional(positiveInt('the page size below which a page is the last')),
  /** Stop when this boolean field of the response is false (e.g. `has_more`). */
  hasMorePath: z.optional(nonEmpty('a boolean field path, e.g. "has_more"')),
  /** Stop when this response header is `false` (or `0`), e.g. `X-Has-More`. */
  hasMoreHeader: z.optional(nonEmpty('a response header name, e.g. "X-Has-More"')),
  /** Stop when this boolean field of the response is true (e.g. Salesforce's `done`). */
  donePath: z.optional(nonEmpty('a boolean field path, e.g. "done"')),
  /**
   * Stop when the records seen reach this number field of the response (e.g. `meta.total`). A
   * partition whose pages end with fewer records than it states is a short read: the run is `partial`.
   */
  totalPath: z.optional(nonEmpty('a number field path, e.g. "meta.total"')),
  /**
   * Stop when the pages fetched reach this number field of the response (e.g. `meta.total_pages`).
   * A partition whose pages end before it is a short read: the run is `partial`.
   */
  totalPagesPath: z.optional(nonEmpty('a number field path, e.g. "meta.total_pages"')),
  /** Never fetch more than this many pages in a run (per partition). @default 1000 */
  maxPages: z._default(positiveInt('the most pages a run fetches per partition', 1_000_000), 1000),
});

const where = z.enum(['query', 'body']);

export const paginationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('pageNumber'),
    param: nonEmpty('the page number parameter, e.g. "page"'),
    start: z._default(z.number().check(z.int(), z.gte(0)), 1),
    in: z._default(where, 'query'),
    stop: z.prefault(stopRules, {}),
  }),
  z.strictObject({
    type: z.literal('offset'),
    offsetParam: nonEmpty('the offset parameter, e.g. "offset"'),
    limitParam: nonEmpty('the limit parameter, e.g. "limit"'),
    limit: positiveInt('the page size'),
    in: z._default(where, 'query'),
    stop: z.prefault(stopRules, {}),
  }),
  z.strictObject({
    type: z.literal('cursor'),
    /** Where the next page's cursor is in a response. */
    from: valueSourceSchema,
    /**
     * The parameter that sends the cursor (for `in: body`, a dotted path in the JSON body).
     * Optional when the request uses `{{ page.token }}` instead (in the URL path or a header).
     */
    param: z.optional(nonEmpty('the parameter that sends the cursor, e.g. "page_token" or "variables.after"')),
    in: z._default(where, 'query'),
    stop: z.prefault(stopRules, {}),
  }),
  z.strictObject({
    type: z.literal('nextUrl'),
    /** Where the next page's full URL is in a response. */
    from: valueSourceSchema,
    /** Add the request's own query parameters that the next URL leaves out (page size, fields) to every page. @default false */
    keepQuery: z.optional(z.boolean()),
    stop: z.prefault(stopRules, {}),
  }),
  z.strictObject({
    type: z.literal('linkHeader'),
    /** Add the request's own query parameters that the next link leaves out (page size, fields) to every page. @default false */
    keepQuery: z.optional(z.boolean()),
    rel: z._default(z.string(), 'next'),
    stop: z.prefault(stopRules, {}),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Records

export const recordsSchema = z.strictObject({
  /** JSON responses: where the records are. `$` is the whole response as one record. */
  path: z._default(z.string().check(
    z.trim(),
    z.minLength(1, { message: 'must name where the records are in the response, for example "data" or "$.data[*]"; use "$" for a whole-object response' }),
  ), '$'),
  /** The body's format. @default "json" */
  format: z._default(z.enum(['json', 'ndjson', 'csv']), 'json'),
  /** Keep only these fields of each record (dotted paths). @default all fields */
  fields: z.optional(z.array(nonEmpty('a field path to keep'))),
  /**
   * A `null` at the records path is an empty page (some APIs end their data so). Off by default:
   * a `null` where records belong may also be an error answer, which must not pass as "no data".
   * @default false
   */
  nullIsEmpty: z.optional(z.boolean()),
});

// ---------------------------------------------------------------------------------------------
// Partitions: several parameter sets, fetched one after the other or with bounded concurrency.

export const partitionsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('list'),
    values: z.array(stringMap).check(z.minLength(1, { message: 'must hold at least one parameter set' })),
    concurrency: z._default(positiveInt('partitions fetched at once', 64), 4),
  }),
  z.strictObject({
    type: z.literal('parent'),
    /** The request that lists the partitions (e.g. the stations). */
    request: requestSchema,
    records: recordsSchema,
    pagination: z._default(paginationSchema, { type: 'none' }),
    /** Partition parameter name → field path in each parent record. */
    fields: z.record(z.string(), z.string()).check(z.refine((m) => Object.keys(m).length > 0, {
      message: 'must map at least one partition parameter to a field of the parent records, e.g. {"station": "id"}',
    })),
    concurrency: z._default(positiveInt('partitions fetched at once', 64), 4),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Incremental: a cursor from the records, kept per partition.

export const incrementalSchema = z.strictObject({
  /** The record field that orders the records (dotted path), e.g. `updated_at`. */
  cursorPath: nonEmpty('the record field that holds the cursor, e.g. "updated_at"'),
  type: z.enum(['datetime', 'number']),
  /** The cursor of the first run. */
  start: z.union([z.string(), z.number()]),
  /** A datetime cursor: re-read this many seconds behind the cursor each run, for late-arriving data. @default 0 */
  lookbackSeconds: z.optional(z.number().check(z.gte(0, { message: 'must be 0 or more' }))),
  /** A number cursor: re-read this far behind the cursor (in the cursor's own units) each run. @default 0 */
  lookback: z.optional(z.number().check(z.gte(0, { message: 'must be 0 or more' }))),
  /**
   * The API lists records newest first and cannot filter by the cursor (or ignores the filter):
   * records older than the cursor the run asks from are not delivered, and the first of them ends
   * the partition's pages. @default false
   */
  stopAtCursor: z.optional(z.boolean()),
});

// ---------------------------------------------------------------------------------------------
// Export jobs: the request creates a job; its status is polled until ready; its result files are
// the pages (Salesforce Bulk API 2.0 query jobs, HubSpot exports, Stripe reports, SP-API reports).

export const exportSchema = z.strictObject({
  /** Where the job's id is in the answer to the request that creates it. */
  jobIdPath: nonEmpty('a field path in the create answer, e.g. "id"'),
  status: z.strictObject({
    /** The job's status request; `{{ job.id }}` is the job's id. */
    url: httpUrl,
    /** Where the job's state is in the status answer. */
    path: nonEmpty('a field path in the status answer, e.g. "state"'),
    /** States that mean the results are ready. */
    ready: z.array(nonEmpty('a state')).check(z.minLength(1, { message: 'must list at least one state, e.g. ["JobComplete"]' })),
    /** States that mean the job failed (or expired): it is reported and created again once. @default none */
    failed: z.optional(z.array(nonEmpty('a state'))),
    /** Where a failed job's error message is in the status answer. @default none */
    errorPath: z.optional(nonEmpty('a field path in the status answer, e.g. "errorMessage"')),
  }),
  results: z.strictObject({
    /** One results URL (`{{ job.id }}` is the job's id). Give this or `urlsPath`. */
    url: z.optional(httpUrl),
    /** Where the result files' URLs are in the ready status answer (e.g. `result.urls[*]`). Give this or `url`. */
    urlsPath: z.optional(nonEmpty('a field path in the status answer, e.g. "files[*].url"')),
    /**
     * Results paged with a locator header (Salesforce's `Sforce-Locator`): the next part is asked
     * for with `param` set to the header's value, until it is absent or `end`.
     */
    locator: z.optional(z.strictObject({
      header: nonEmpty('a response header, e.g. "Sforce-Locator"'),
      param: nonEmpty('a query parameter, e.g. "locator"'),
      /** The header value that means no more parts. @default "null" */
      end: z.optional(z.string()),
    })),
    /**
     * Send the feed's credentials with result requests to a host other than the request's. Off by
     * default: pre-signed URLs carry their own. @default false
     */
    sendCredentials: z.optional(z.boolean()),
  }),
  /** The first wait between status requests, doubled up to `maxPollSeconds`. @default 5 */
  pollSeconds: z.optional(z.number().check(z.gt(0, { message: 'must be more than 0' }), z.lte(3600))),
  /** The longest wait between status requests. @default 60 */
  maxPollSeconds: z.optional(z.number().check(z.gt(0, { message: 'must be more than 0' }), z.lte(3600))),
});

// ---------------------------------------------------------------------------------------------
// Response rules: what an answer means beyond its status code (a 404 for a deleted parent, a 200
// whose body says "try again").

const statusCode = z.number().check(
  z.int({ message: 'must be an HTTP status code, e.g. 404' }), z.gte(100, { message: 'must be an HTTP status code (100-599)' }),
  z.lte(599, { message: 'must be an HTTP status code (100-599)' }),
);

export const responseRuleSchema = z.strictObject({
  /** What the answer must be for the rule to apply: every condition given holds. */
  when: z.strictObject({
    /** The answer's HTTP status, or one of several. */
    status: z.optional(z.union([statusCode, z.array(statusCode).check(z.minLength(1, { message: 'must list at least one status' }))])),
    /** A response header: present (and, with `equals` or `contains`, with that value). */
    header: z.optional(nonEmpty('a response header name, e.g. "X-Status"')),
    /** A field of the JSON body (dotted path or JSONPath): present and not null (and, with `equals` or `contains`, with that value). */
    bodyPath: z.optional(nonEmpty('a field path in the response body, e.g. "error.code"')),
    /** The header's or field's value, compared as text. */
    equals: z.optional(z.union([z.string(), z.number(), z.boolean()])),
    /** Text the header's or field's value contains. */
    contains: z.optional(z.string().check(z.minLength(1, { message: 'must not be empty' }))),
  }),
  /**
   * `skipPartition`: the partition ends here, not as a failure, with its cursor and checkpoint as they
   * were; `retry`: the request is sent again with backoff, like a 5xx; `fail`: the partition fails
   * now, without retries; `emptyPage`: the answer is a page without records (pagination ends).
   */
  action: z.enum(['skipPartition', 'retry', 'fail', 'emptyPage']),
  /** Why, in the rule's own words: shown in logs, errors and dead letters. @default the rule's number */
  reason: z.optional(z.string()),
});

// ---------------------------------------------------------------------------------------------
// Limits: how hard the poller may push the API, and what it accepts from it.

export const limitsSchema = z.strictObject({
  requestTimeoutSeconds: z._default(z.number().check(z.gt(0), z.lte(900)), 30),
  /** Retries of a request after network errors, timeouts, 429 and 5xx. */
  maxRetries: z._default(z.number().check(z.int(), z.gte(0), z.lte(20)), 5),
  /** Requests per second across the run. @default unlimited */
  requestsPerSecond: z.optional(z.number().check(z.gt(0))),
  /** Largest response body accepted (after decompression). @default 64 MiB */
  maxResponseBytes: z._default(positiveInt('bytes'), 64 * 1024 * 1024),
  /**
   * Hosts that requests may go to, besides those in the spec's URLs: `host` (the scheme's default
   * port) or `host:port`.
   */
  allowedHosts: z.optional(z.array(nonEmpty('a host name, or host:port'))),
  /**
   * Let the poller connect to private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) and
   * loopback addresses, for an API inside your VPC. Link-local and metadata addresses stay
   * refused. @default false
   */
  allowPrivateAddresses: z._default(z.boolean(), false),
});

// ---------------------------------------------------------------------------------------------

const FEED_NAME_RULE = 'must be 1-64 characters of lowercase letters, digits, "-" or "_", starting with a letter or digit';
const feedNameSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9-_]{0,63}$/, { message: FEED_NAME_RULE }));

/** What is wrong with a feed name (S3 folders, metrics and state keys are built from it), or undefined. */
export function feedNameProblem(name: string): string | undefined {
  return feedNameSchema.safeParse(name).success ? undefined : FEED_NAME_RULE;
}

export const feedSpecSchema = z.strictObject({
  /** The JSON Schema a spec file names for editors (ignored by the poller). */
  $schema: z.optional(z.string()),
  version: z.literal(FEED_SPEC_VERSION, {
    message: `must be ${FEED_SPEC_VERSION}: this version of cdk-api-ingestion reads spec version ${FEED_SPEC_VERSION} only`,
  }),
  feed: feedNameSchema,
  request: requestSchema,
  auth: z._default(authSchema, { type: 'none' }),
  pagination: z._default(paginationSchema, { type: 'none' }),
  records: recordsSchema,
  partitions: z.optional(partitionsSchema),
  incremental: z.optional(incrementalSchema),
  limits: z.prefault(limitsSchema, {}),
  /** A JSONata expression applied to each record first (see record-transform.ts). @default none: records as the API sent them */
  transform: z.optional(recordTransformSchema),
  /** The columns the records become, for typed tables (see record-schema.ts). @default none: JSON lines */
  schema: z.optional(recordSchemaSchema),
  /**
   * What the feed request's answers mean beyond their status, first matching rule first (see
   * docs/SPEC.md "Response rules"). @default none: 2xx is a page, 429 and 5xx are retried, others fail
   */
  responseRules: z.optional(z.array(responseRuleSchema)),
  /** An asynchronous export: `request` creates a job, whose result files are the pages. @default none: `request` lists the records */
  export: z.optional(exportSchema),
});

/** A feed spec as written by a user or the construct (defaults not yet applied). */
export type FeedSpecInput = z.input<typeof feedSpecSchema>;
/** A validated feed spec with defaults applied. */
export type FeedSpec = z.output<typeof feedSpecSchema>;
export type RequestSpec = z.output<typeof requestSchema>;
export type AuthSpec = z.output<typeof authSchema>;
export type PaginationSpec = z.output<typeof paginationSchema>;
export type RecordsSpec = z.output<typeof recordsSchema>;
export type PartitionsSpec = z.output<typeof partitionsSchema>;
export type IncrementalSpec = z.output<typeof incrementalSchema>;
export type LimitsSpec = z.output<typeof limitsSchema>;
export type ResponseRuleSpec = z.output<typeof responseRuleSchema>;
export type ExportSpec = z.output<typeof exportSchema>;
export type ExportSpecInput = z.input<typeof exportSchema>;
export type ResponseRuleSpecInput = z.input<typeof responseRuleSchema>;
export type SecretRef = z.output<typeof secretRefSchema>;
// What the builders write: the schema fills in every default, so the builders repeat none.
export type AuthSpecInput = z.input<typeof authSchema>;
export type PaginationSpecInput = z.input<typeof paginationSchema>;
export type RecordsSpecInput = z.input<typeof recordsSchema>;
export type PartitionsSpecInput = z.input<typeof partitionsSchema>;
export type IncrementalSpecInput = z.input<typeof incrementalSchema>;

/** One problem found in a spec: where it is and what is allowed there. */
export interface SpecProblem {
  /** Path in the spec, e.g. `spec.request.url`. */
  readonly path: string;
  readonly message: string;
}

/** The result of validating a spec: either the spec, or every problem found (not just the first). */
export type SpecValidation =
  | { readonly ok: true; readonly spec: FeedSpec }
  | { readonly ok: false; readonly problems: SpecProblem[] };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    'spec',
  );
}

/** The page token template, `{{ page.token }}`, with any spacing inside the braces. */
const PAGE_TOKEN_TEMPLATE = /\{\{\s*page\.token\s*\}\}/;

/** Whether a string, or any string in a JSON value (a request), uses `{{ page.token }}`. */
export function usesPageToken(value: unknown): boolean {
  return PAGE_TOKEN_TEMPLATE.test(typeof value === 'string' ? value : JSON.stringify(value) ?? '');
}

/** Object keys that reach an object's prototype: never a field path, a template name or a partition field. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The largest lookback of a datetime cursor: beyond it, start minus lookback is not a date. */
const MAX_LOOKBACK_SECONDS = 100 * 365.25 * 86400;

/**
 * Header and query parameter names that carry credentials. Such a value written into the spec
 * would sit in plain text in the template and the schedule's input: it belongs in Secrets
 * Manager, applied by the spec's `auth`.
 */
const CREDENTIAL_NAME = /^(authorization|proxy-authorization|cookie|x-amz-security-token)$|(^|[-_])(api[-_]?key|apikey|secret|client[-_]?secret|password|passwd|access[-_]?token|auth[-_]?token|session[-_]?token|id[-_]?token|refresh[-_]?token)($|[-_])/i;

function credentialProblems(requestPath: string, request: RequestSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const [kind, map] of [['headers', request.headers], ['query', request.query]] as const) {
    for (const name of Object.keys(map ?? {})) {
      if (CREDENTIAL_NAME.test(name)) {
        problems.push({
          path: `${requestPath}.${kind}.${name}`,
          message: `"${name}" carries a credential, which must not be written into the spec (it would be in plain text in the template); `
            + 'keep it in Secrets Manager and use auth instead: Auth.bearer, Auth.apiKeyHeader, Auth.apiKeyQuery, Auth.basic, Auth.oauth2ClientCredentials, Auth.oauth2RefreshToken or Auth.sessionToken with the secret',
        });
      }
    }
  }
  return problems;
}

/** An export's results come from one place; the job's pages are its result files, not pagination. */
function exportProblems(spec: FeedSpec): SpecProblem[] {
  const { results, pollSeconds, maxPollSeconds } = spec.export!;
  const problems: SpecProblem[] = [];
  if ((results.url === undefined) === (results.urlsPath === undefined)) {
    problems.push({ path: 'spec.export.results', message: 'must give "url" (one results URL) or "urlsPath" (the result files listed in the status answer), not both' });
  }
  if (results.locator && results.url === undefined) {
    problems.push({ path: 'spec.export.results.locator', message: 'pages one results URL: give "url" with it' });
  }
  if (spec.pagination.type !== 'none') {
    problems.push({ path: 'spec.pagination', message: 'must be none with "export": the job\'s result files are its pages (a locator header pages a result, see export.results.locator)' });
  }
  if (pollSeconds !== undefined && maxPollSeconds !== undefined && maxPollSeconds < pollSeconds) {
    problems.push({ path: 'spec.export.maxPollSeconds', message: `must be at least pollSeconds (${pollSeconds})` });
  }
  return problems;
}

/** A rule that names no condition would match every answer; a value compared needs a place to read it. */
function responseRuleProblems(path: string, rule: ResponseRuleSpec): SpecProblem[] {
  const { status, header, bodyPath, equals, contains } = rule.when;
  const problems: SpecProblem[] = [];
  if (status === undefined && header === undefined && bodyPath === undefined) {
    problems.push({ path: `${path}.when`, message: 'must name a status, a header or a bodyPath: a rule without one would apply to every answer' });
  }
  if (header !== undefined && bodyPath !== undefined) {
    problems.push({ path: `${path}.when`, message: 'must name a header or a bodyPath, not both: write two rules' });
  }
  if ((equals !== undefined || contains !== undefined) && header === undefined && bodyPath === undefined) {
    problems.push({ path: `${path}.when`, message: '"equals" and "contains" compare a header or a body field: name it with "header" or "bodyPath"' });
  }
  if (equals !== undefined && contains !== undefined) {
    problems.push({ path: `${path}.when`, message: 'must use "equals" or "contains", not both' });
  }
  if (bodyPath !== undefined && bodyPath.split('.').some((key) => UNSAFE_KEYS.has(key))) {
    problems.push({ path: `${path}.when.bodyPath`, message: 'must not name __proto__, constructor or prototype' });
  }
  return problems;
}

function incrementalProblems(incremental: IncrementalSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const { start, type } = incremental;
  if (type === 'datetime') {
    if (incremental.lookback !== undefined) {
      problems.push({ path: 'spec.incremental.lookback', message: 'is for a number cursor; a datetime cursor\'s window is lookbackSeconds' });
    }
    if ((incremental.lookbackSeconds ?? 0) > MAX_LOOKBACK_SECONDS) {
      problems.push({ path: 'spec.incremental.lookbackSeconds', message: `must be at most ${MAX_LOOKBACK_SECONDS} (100 years) for a datetime cursor; a larger window is not a date` });
    }
    const startProblem = isoInstantProblem(start, 'a datetime cursor\'s start');
    if (startProblem) problems.push({ path: 'spec.incremental.start', message: `${startProblem}; write e.g. "2024-01-01T00:00:00Z"` });
  } else {
    if (incremental.lookbackSeconds !== undefined) {
      problems.push({ path: 'spec.incremental.lookbackSeconds', message: 'is for a datetime cursor; a number cursor\'s window is lookback, in the cursor\'s own units' });
    }
    if (typeof start !== 'number') {
      problems.push({ path: 'spec.incremental.start', message: 'must be a number for a number cursor' });
    } else if (start < 0) {
      problems.push({ path: 'spec.incremental.start', message: `must be 0 or more (got ${start}): the first run asks for records after it` });
    }
  }
  return problems;
}

/**
 * What is wrong with a JSONPath the poller evaluates, or undefined. The poller evaluates no
 * script: a spec is data, never code, so filter (`[?(...)]`) and script (`[(...)]`) expressions
 * would fail every run; they fail here instead.
 */
export function jsonPathProblem(path: string): string | undefined {
  if (/\[\s*\?\s*\(|\[\s*\(/.test(path)) {
    return `"${path}" has a JSONPath filter or script expression ([?(...)] or [(...)]), which the poller never evaluates (a spec is data, not code); `
      + 'select the records with a plain path such as "data" or "$.data[*]", and filter them downstream';
  }
  if (/\[[^\]]*$/.test(path) || (path.match(/\[/g)?.length ?? 0) !== (path.match(/\]/g)?.length ?? 0)) {
    return `"${path}" has an unbalanced "[": write a path such as "data", "result.items" or "$.data[*]"`;
  }
  return undefined;
}

function jsonPathProblems(spec: FeedSpec): SpecProblem[] {
  const paths: Array<[string, string | undefined]> = [
    ['spec.records.path', spec.records.path],
    ['spec.incremental.cursorPath', spec.incremental?.cursorPath],
  ];
  const pagination = (at: string, p: PaginationSpec) => {
    if (p.type === 'none') return;
    if ((p.type === 'cursor' || p.type === 'nextUrl') && 'path' in p.from) paths.push([`${at}.from.path`, p.from.path]);
    for (const rule of ['hasMorePath', 'donePath', 'totalPath', 'totalPagesPath'] as const) paths.push([`${at}.stop.${rule}`, p.stop[rule]]);
  };
  pagination('spec.pagination', spec.pagination);
  if (spec.partitions?.type === 'parent') {
    paths.push(['spec.partitions.records.path', spec.partitions.records.path]);
    pagination('spec.partitions.pagination', spec.partitions.pagination);
    for (const [name, path] of Object.entries(spec.partitions.fields)) paths.push([`spec.partitions.fields.${name}`, path]);
  }
  return paths.flatMap(([at, path]) => {
    const message = path === undefined ? undefined : jsonPathProblem(path);
    return message ? [{ path: at, message }] : [];
  });
}

/** Checks that zod's structure cannot express: rules across fields. */
function crossFieldProblems(spec: FeedSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (spec.request.body !== undefined && spec.request.method !== 'POST') {
    problems.push({ path: 'spec.request.body', message: 'a JSON body needs method "POST"' });
  }
  const p = spec.pagination;
  if ((p.type === 'pageNumber' || p.type === 'offset' || p.type === 'cursor') && p.in === 'body' && spec.request.method !== 'POST') {
    problems.push({ path: 'spec.pagination.in', message: '"body" needs request method "POST"; use "query" for GET requests' });
  }
  const requestUsesPageToken = usesPageToken(spec.request);
  if (p.type === 'cursor' && p.param === undefined && !requestUsesPageToken) {
    problems.push({ path: 'spec.pagination.param', message: 'is required unless the request uses {{ page.token }} (in the URL, query, headers or body)' });
  }
  if (spec.records.format !== 'json' && spec.records.path !== '$') {
    problems.push({ path: 'spec.records.path', message: `is for JSON responses; a ${spec.records.format} body has one record a line/row, so leave the path out` });
  }
  problems.push(...credentialProblems('spec.request', spec.request));
  (spec.responseRules ?? []).forEach((rule, index) => problems.push(...responseRuleProblems(`spec.responseRules[${index}]`, rule)));
  if (spec.export) problems.push(...exportProblems(spec));
  if (spec.partitions?.type === 'parent') problems.push(...credentialProblems('spec.partitions.request', spec.partitions.request));
  if ((spec.auth.type === 'oauth2ClientCredentials' || spec.auth.type === 'oauth2RefreshToken') && spec.auth.tokenParams) {
    // A client assertion or a password grant's password is a credential too: a token parameter is no place for it.
    problems.push(...credentialProblems('spec.auth', { query: spec.auth.tokenParams } as RequestSpec).map((problem) => ({ ...problem, path: problem.path.replace('.query.', '.tokenParams.') })));
  }
  for (const [i, field] of (spec.records.fields ?? []).entries()) {
    if (field.split('.').some((key) => UNSAFE_KEYS.has(key))) {
      problems.push({ path: `spec.records.fields[${i}]`, message: `"${field}" goes through __proto__, constructor or prototype, which are never record fields; name the record's own fields` });
    }
  }
  if (spec.incremental) problems.push(...incrementalProblems(spec.incremental));
  problems.push(...jsonPathProblems(spec));
  problems.push(...templateProblems(spec));
  if (spec.schema) problems.push(...recordSchemaProblems(spec.schema));
  const transformProblem = spec.transform && transformExpressionProblem(spec.transform.expression);
  if (transformProblem) problems.push({ path: 'spec.transform.expression', message: transformProblem });
  else if (spec.transform && spec.schema) problems.push(...transformShapeProblems(spec.transform.expression, spec.schema));
  return problems;
}

/**
 * Columns the transform can never fill: where the expression builds its records (an object
 * constructor), a column whose path starts at a field the records never have would be null in
 * every row. Where the expression does not tell, `api-ingest validate --sample` runs it on real records.
 */
function transformShapeProblems(expression: string, schema: RecordSchemaSpec): SpecProblem[] {
  const fields = transformOutputFields(expression);
  if (!fields) return [];
  const made = [...fields];
  return Object.entries(schema.columns).flatMap(([name, column]) => {
    const path = column.path ?? name;
    const first = path.split('.')[0];
    if (column.allowEmpty || fields.has(first)) return [];
    const near = nearest(first, made);
    return [{
      path: `spec.schema.columns.${name}`,
      message: `reads "${path}", but the transform's records never have a field "${first}" (they have ${made.length > 0 ? made.map((f) => `"${f}"`).join(', ') : 'no fields'})`
        + `${near ? `; did you mean "${near}"?` : ''}: the column would be null in every row. Fix the column's path or the transform, or mark the column "allowEmpty": true`,
    }];
  });
}

/** The deepest nesting a spec may have (a request body included): more is a mistake, not a feed. */
export const MAX_SPEC_DEPTH = 32;

/** Where a JSON-like value nests deeper than `max` levels, walked without recursion; undefined when it does not. */
function tooDeepAt(value: unknown, max: number): string | undefined {
  const stack: Array<{ value: unknown; path: ReadonlyArray<PropertyKey>; depth: number }> = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= max) return formatPath(item.path);
    for (const [key, child] of Object.entries(item.value)) {
      stack.push({ value: child, path: [...item.path, Array.isArray(item.value) ? Number(key) : key], depth: item.depth + 1 });
    }
  }
  return undefined;
}

/**
 * The problem with a spec nested deeper than any feed needs, found without recursion, or
 * undefined. Checked before anything that walks the spec recursively: a spec nested 100,000
 * levels deep must get this message, not "Maximum call stack size exceeded".
 */
export function specDepthProblem(input: unknown): SpecProblem | undefined {
  const deep = tooDeepAt(input, MAX_SPEC_DEPTH);
  return deep === undefined ? undefined
    : { path: deep, message: `nests deeper than ${MAX_SPEC_DEPTH} levels; a feed spec (request body included) never needs that many` };
}

/** A zod issue in the user's terms: a missing field "is required", an unknown key suggests the nearest. */
function problemsOf(issue: z.core.$ZodIssue, input: unknown): SpecProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(feedSpecSchema, issue.path);
    return issue.keys.map((key) => {
      const near = nearest(key, known);
      return {
        path: formatPath([...issue.path, key]),
        message: `is not a field here${near ? `; did you mean "${near}"?` : ''}${known.length > 0 ? ` (fields here: ${known.join(', ')})` : ''}`,
      };
    });
  }
  const choices = issue.code === 'invalid_value' ? issue.values
    : issue.code === 'invalid_union' && 'options' in issue ? (issue as unknown as { options: unknown[] }).options : undefined;
  // Only zod's own wording is replaced; a message the schema wrote (`version`) stays.
  if (choices && issue.message.startsWith('Invalid')) {
    // A choice (a type, a method, a format): the value given, the choices, the nearest one.
    const given = valueAt(input, issue.path);
    const names = choices.map(String);
    if (given === undefined) return [{ path: formatPath(issue.path), message: `is required: one of ${names.join(', ')}` }];
    const near = typeof given === 'string' && given !== ''
      ? nearest(given, names) ?? names.find((name) => name.toLowerCase().startsWith(given.toLowerCase())) : undefined;
    return [{ path: formatPath(issue.path), message: `${JSON.stringify(given)} is not one of ${names.join(', ')}${near ? `; did you mean "${near}"?` : ''}` }];
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return [{ path: formatPath(issue.path), message: `is required (${issue.expected})` }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/** The value at a path of the user's input, own members only. */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The keys the schema allows in an object at `path` (every branch of a union), for suggestions. */
function keysAt(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let level: z.core.$ZodType[] = [schema];
  const unwrap = (types: z.core.$ZodType[]): z.core.$ZodType[] => types.flatMap((type) => {
    const def = type._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; options?: z.core.$ZodType[] };
    if (def.innerType) return unwrap([def.innerType]);
    if (def.type === 'union' && def.options) return unwrap(def.options);
    return [type];
  });
  for (const key of path) {
    level = unwrap(level).flatMap((type) => {
      const def = type._zod.def as unknown as {
        type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType;
      };
      if (def.type === 'object' && def.shape && typeof key === 'string' && key in def.shape) return [def.shape[key]];
      if (def.type === 'array' && def.element && typeof key === 'number') return [def.element];
      if (def.type === 'record' && def.valueType) return [def.valueType];
      return [];
    });
  }
  const keys = unwrap(level).flatMap((type) => {
    const def = type._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType> };
    return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
  });
  return [...new Set(keys)];
}

/** Validates a spec's JSON form and reports every problem with its path. */
export function validateFeedSpec(input: unknown): SpecValidation {
  const deep = specDepthProblem(input);
  if (deep) return { ok: false, problems: [deep] };
  const result = feedSpecSchema.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.flatMap((issue) => problemsOf(issue, input)),
    };
  }
  const problems = crossFieldProblems(result.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec: result.data };
}

/** Formats problems as one message, one problem a line. */
export function formatSpecProblems(problems: ReadonlyArray<SpecProblem>): string {
  return problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
}

/** Parses a spec or throws an error that lists every problem with its path. */
export function parseFeedSpec(input: unknown): FeedSpec {
  const result = validateFeedSpec(input);
  if (!result.ok) {
    throw new Error(`Invalid feed spec (${result.problems.length} problem(s)):\n${formatSpecProblems(result.problems)}`);
  }
  return result.spec;
}

/** The spec's JSON Schema (draft 2020-12), published in the package as `schema/feed-spec.v1.json`. */
export function feedSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(feedSpecSchema, { io: 'input' }) as Record<string, unknown>;
}
