/**
 * The JSON form of a feed spec: the one contract between the construct (which writes it at
 * synth), the poller Lambda and the local command (which read it at run time).
 *
 * One zod schema gives the TypeScript types, the validation used at synth and at run time, and
 * the published JSON Schema. This module is internal: it is not part of the jsii API.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini keeps the Lambda bundle small (the classic API is not tree-shakable: ~750 KB); it
// loads no locale by default, so load English alone for readable default messages.
z.config(en());

/** The spec version this library writes and reads. Bump it on any incompatible change. */
export const FEED_SPEC_VERSION = 1;

const httpUrl = z.string().check(
  z.refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, { message: 'must be an absolute http:// or https:// URL, for example "https://api.example.com/v1/items"' }),
);

const stringMap = z.record(z.string(), z.string());

export const requestSchema = z.strictObject({
  url: httpUrl,
  method: z._default(z.enum(['GET', 'POST']), 'GET'),
  query: z.optional(stringMap),
  headers: z.optional(stringMap),
});

export const recordsSchema = z.strictObject({
  path: z.string().check(
    z.trim(),
    z.minLength(1, { message: 'must name where the records are in the response, for example "data" or "$.data[*]"; use "$" for a whole-object response' }),
  ),
});

export const feedSpecSchema = z.strictObject({
  version: z.literal(FEED_SPEC_VERSION, {
    message: `must be ${FEED_SPEC_VERSION}: this version of cdk-api-ingestion reads spec version ${FEED_SPEC_VERSION} only`,
  }),
  feed: z.string().check(
    z.regex(/^[a-z0-9][a-z0-9-_]{0,63}$/, {
      message: 'must be 1-64 characters of lowercase letters, digits, "-" or "_", starting with a letter or digit',
    }),
  ),
  request: requestSchema,
  records: recordsSchema,
});

/** A feed spec as written by a user or the construct (defaults not yet applied). */
export type FeedSpecInput = z.input<typeof feedSpecSchema>;
/** A validated feed spec with defaults applied. */
export type FeedSpec = z.output<typeof feedSpecSchema>;

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

/** Validates a spec's JSON form and reports every problem with its path. */
export function validateFeedSpec(input: unknown): SpecValidation {
  const result = feedSpecSchema.safeParse(input);
  if (result.success) {
    return { ok: true, spec: result.data };
  }
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
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
