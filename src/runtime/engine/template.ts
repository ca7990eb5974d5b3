/**
 * Renders `{{ ... }}` templates in URLs, query, headers and bodies. The grammar (variables,
 * filters, durations) is the feed spec's (`feed-spec/template-syntax.ts`), which validation uses
 * to check every reference before a run.
 *
 * Formats: `iso` (default), `unix`, `unixms`, or a pattern of yyyy MM dd HH mm ss (UTC).
 * An unknown variable is an error, never an empty string: a request with a silently empty
 * parameter would fetch the wrong data. Only names the run declares resolve: `partition.<name>`
 * is the partition's own field, never an inherited one such as `constructor`.
 *
 * Values can come from the API (parent records, page tokens, cursors), so in a URL each is
 * percent-encoded for the part it lands in (`renderUrl`): in the path as one segment (`/`, `?`,
 * `#` and `..` cannot change the path or the query), in the host only as host-name characters.
 * The `raw` filter (`{{ partition.path | raw }}`) inserts a path or query value unencoded: an
 * explicit opt-in for values the spec's author controls. The origin check still applies.
 */
import { usesPageToken } from '../../feed-spec/feed-spec';
import { isoDurationMs, parseTemplateExpression, TEMPLATE_EXPRESSION } from '../../feed-spec/template-syntax';

export interface TemplateContext {
  readonly partition?: Readonly<Record<string, string>> | null;
  readonly cursor?: string | number;
  readonly runTime: Date;
  /**
   * The page token of cursor pagination ('' on the first page): a number when the API sent a
   * JSON number, so that a JSON body sends it back as one.
   */
  readonly pageToken?: string | number;
  /** The run's time window: from the cursor to the run's time, or a backfill's window. */
  readonly window?: { readonly start: Date; readonly end: Date };
  /** An export job's id (`{{ job.id }}` in its status and results URLs). */
  readonly jobId?: string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** An ISO 8601 duration such as `P1D`, `-PT30M`, `PT1H30M` in milliseconds. */
function parseIsoDuration(text: string): number {
  const ms = isoDurationMs(text);
  if (ms === undefined) {
    throw new TemplateError(`"${text}" is not an ISO 8601 duration such as P1D, PT1H or -PT30M`);
  }
  return ms;
}

export function formatDate(date: Date, format: string): string {
  if (format === 'iso') return date.toISOString();
  if (format === 'unix') return String(Math.floor(date.getTime() / 1000));
  if (format === 'unixms') return String(date.getTime());
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return format.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => {
    switch (token) {
      case 'yyyy': return pad(date.getUTCFullYear(), 4);
      case 'MM': return pad(date.getUTCMonth() + 1);
      case 'dd': return pad(date.getUTCDate());
      case 'HH': return pad(date.getUTCHours());
      case 'mm': return pad(date.getUTCMinutes());
      default: return pad(date.getUTCSeconds());
    }
  });
}

interface Evaluated {
  readonly text: string;
  /** The value with its JSON type: a number cursor or page token stays a number (no filter given). */
  readonly value: string | number;
  /** The `raw` filter was given: insert the value unencoded. */
  readonly raw: boolean;
}

function evaluate(expression: string, context: TemplateContext): Evaluated {
  const { variable: head, filters, raw } = parseTemplateExpression(expression);
  let value: string | number | Date;
  if (head === 'run.time') {
    value = context.runTime;
  } else if (head === 'cursor') {
    if (context.cursor === undefined) {
      throw new TemplateError('{{ cursor }} is used but the spec has no "incremental" section');
    }
    value = context.cursor;
  } else if (head === 'window.start' || head === 'window.end') {
    if (context.window === undefined) {
      throw new TemplateError(`{{ ${head} }} is used but the spec has no datetime cursor to start the window from`);
    }
    value = head === 'window.start' ? context.window.start : context.window.end;
  } else if (head === 'page.token') {
    if (context.pageToken === undefined) {
      throw new TemplateError('{{ page.token }} is used but the spec\'s pagination is not "cursor"');
    }
    value = context.pageToken;
  } else if (head === 'job.id') {
    if (context.jobId === undefined) throw new TemplateError('{{ job.id }} is used outside an export job\'s status or results URL');
    value = context.jobId;
  } else if (head.startsWith('partition.')) {
    const name = head.slice('partition.'.length);
    // Own fields only: `partition.constructor` must not find Object's constructor.
    const found = context.partition && Object.prototype.hasOwnProperty.call(context.partition, name) ? context.partition[name] : undefined;
    if (typeof found !== 'string') {
      throw new TemplateError(`{{ ${head} }}: the partition has no parameter "${name}"`);
    }
    value = found;
  } else {
    throw new TemplateError(`{{ ${head} }}: unknown variable; use partition.<name>, cursor, page.token, run.time, window.start or window.end`);
  }
  let format = 'iso';
  for (const { name, arg } of filters) {
    const asDate = () => {
      if (value instanceof Date) return value;
      const parsed = typeof value === 'number' ? new Date(value) : new Date(value);
      if (Number.isNaN(parsed.getTime())) {
        throw new TemplateError(`{{ ${expression} }}: "${String(value)}" is not a date-time`);
      }
      return parsed;
    };
    if (name === 'add') {
      value = new Date(asDate().getTime() + parseIsoDuration(arg));
    } else if (name === 'format') {
      value = asDate();
      format = arg;
    } else {
      throw new TemplateError(`{{ ${expression} }}: unknown filter "${name}"; use add: <ISO duration> or format: <pattern>`);
    }
  }
  const text = value instanceof Date ? formatDate(value, format) : String(value);
  return { text, value: typeof value === 'number' ? value : text, raw };
}

/** A string that is exactly one `{{ ... }}`. */
const WHOLE_TEMPLATE = /^\{\{\s*([^}]*?)\s*\}\}$/;

/** Renders every `{{ ... }}` in a string (query values, headers, body strings: encoded where they are sent). */
export function renderString(template: string, context: TemplateContext): string {
  return template.replace(TEMPLATE_EXPRESSION, (_, expression: string) => evaluate(expression, context).text);
}

type UrlPart = 'scheme' | 'host' | 'path' | 'query' | 'fragment';

/** The part of a URL that text following `literal` is in, given the part `literal` started in. */
function partAfter(part: UrlPart, literal: string): UrlPart {
  let current = part;
  let rest = literal;
  if (current === 'scheme') {
    const at = rest.indexOf('://');
    if (at < 0) return current;
    current = 'host';
    rest = rest.slice(at + 3);
  }
  for (const char of rest) {
    if (char === '#') return 'fragment';
    if (current === 'host' && char === '/') current = 'path';
    else if ((current === 'host' || current === 'path') && char === '?') current = 'query';
  }
  return current;
}

const HOST_CHARS = /^[A-Za-z0-9.-]+$/;

/**
 * Renders a URL template, encoding each value for the part of the URL it lands in: in the path
 * as one segment (`encodeURIComponent`, and `.`/`..` refused, since a URL parser resolves them
 * even percent-encoded), in the query and fragment as one component, in the host only if it is
 * made of host-name characters. `| raw` inserts a path or query value as it is.
 */
export function renderUrl(template: string, context: TemplateContext): string {
  let out = '';
  let part: UrlPart = 'scheme';
  let last = 0;
  for (const match of template.matchAll(TEMPLATE_EXPRESSION)) {
    const literal = template.slice(last, match.index);
    out += literal;
    part = partAfter(part, literal);
    last = match.index + match[0].length;
    const { text, raw } = evaluate(match[1], context);
    if (part === 'scheme' || part === 'host') {
      if (!HOST_CHARS.test(text)) {
        throw new TemplateError(`{{ ${match[1]} }} in the URL's host is "${text.slice(0, 64)}"; a host may take only letters, digits, "-" and "."`);
      }
      out += text;
    } else if (raw) {
      out += text;
    } else if (part === 'path' && (text === '.' || text === '..')) {
      throw new TemplateError(`{{ ${match[1]} }} is "${text}", which would change the URL's path; a value in the path must be one segment`);
    } else {
      out += encodeURIComponent(text);
    }
  }
  return out + template.slice(last);
}

/** Renders every string leaf of a JSON value (a request body), keeping its structure. */
export function renderJson(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') {
    // A string that is one template and nothing else takes the value's JSON type: a number
    // cursor or page token is sent as 2, not "2", which typed APIs (GraphQL's Int) refuse.
    const whole = WHOLE_TEMPLATE.exec(value);
    return whole ? evaluate(whole[1], context).value : renderString(value, context);
  }
  if (Array.isArray(value)) return value.map((v) => renderJson(v, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, context)]));
  }
  return value;
}

/** Renders a query or header map; an entry that renders to '' only because of an empty page token is left out. */
export function renderMap(map: Readonly<Record<string, string>> | undefined, context: TemplateContext): Record<string, string> {
  const entries = Object.entries(map ?? {}).map(([k, v]) => [k, renderString(v, context), usesPageToken(v)] as const);
  return Object.fromEntries(entries.filter(([, value, usesToken]) => !(usesToken && value === '')).map(([k, v]) => [k, v]));
}
