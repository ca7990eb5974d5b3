/**
 * The spec's response rules: what an answer of the feed's request means beyond its status code.
 * The first rule whose conditions all hold decides: `retry` and `fail` are applied by the HTTP
 * client (with its backoff, or at once), `skipPartition` and `emptyPage` by the page stream.
 *
 * A rule reads the answer's status, a header or a field of its JSON body. The body is parsed only
 * when a rule's status matches and, for a value compared, only when the body holds that value's
 * text at all: a rule on 200 answers does not parse every large page a second time.
 */
import { firstHeader } from './http-client';
import type { HttpResponse } from './http-client';
import { queryFirst } from './json-path';
import type { ResponseRuleSpec } from '../../feed-spec/feed-spec';

export type ResponseAction = ResponseRuleSpec['action'];

/** The rule an answer matched: its action and the words to report it with. */
export interface MatchedRule {
  readonly action: ResponseAction;
  /** `response rule 2 (skipPartition): the parent was deleted` */
  readonly description: string;
}

export type ResponseRules = (response: HttpResponse) => MatchedRule | undefined;

/** The rules as one function; undefined when the spec has none. */
export function compileResponseRules(rules: ReadonlyArray<ResponseRuleSpec> | undefined): ResponseRules | undefined {
  if (!rules?.length) return undefined;
  return (response) => {
    let body: { value: unknown } | undefined;
    const parsedBody = () => {
      body ??= { value: parseJson(response.body) };
      return body.value;
    };
    for (const [index, rule] of rules.entries()) {
      if (matches(rule, response, parsedBody)) {
        return { action: rule.action, description: `response rule ${index + 1} (${rule.action})${rule.reason ? `: ${rule.reason}` : ''}` };
      }
    }
    return undefined;
  };
}

function matches(rule: ResponseRuleSpec, response: HttpResponse, parsedBody: () => unknown): boolean {
  const { status, header, bodyPath, equals, contains } = rule.when;
  if (status !== undefined && ![status].flat().includes(response.status)) return false;
  const expected = equals !== undefined ? String(equals) : contains;
  let value: unknown;
  if (header !== undefined) {
    value = firstHeader(response.headers[header.toLowerCase()]);
  } else if (bodyPath !== undefined) {
    // A value that is not in the body's text cannot be in its fields (for text JSON writes as is).
    if (expected !== undefined && writesAsIs(expected) && !response.body.includes(expected)) return false;
    value = queryFirst(parsedBody(), bodyPath);
  } else {
    return true;
  }
  if (value === undefined || value === null) return false;
  if (expected === undefined) return true;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return equals !== undefined ? text === expected : text.includes(expected);
}

/** Text that JSON writes unchanged inside a string (no quote, backslash, control or non-ASCII character). */
function writesAsIs(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text) && !/["\\]/.test(text);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
