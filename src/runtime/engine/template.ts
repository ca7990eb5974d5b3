/**
 * `{{ ... }}` templates in URLs, query, headers and bodies.
 *
 *   {{ partition.city }}                 a field of the partition's parameter set
 *   {{ cursor }}                         the incremental cursor (lookback applied)
 *   {{ run.time }}                       the run's start time, ISO 8601
 *   {{ run.time | add: -P1D | format: yyyy-MM-dd }}   with an ISO 8601 offset and a format
 *
 * Formats: `iso` (default), `unix`, `unixms`, or a pattern of yyyy MM dd HH mm ss (UTC).
 * An unknown variable is an error, never an empty string: a request with a silently empty
 * parameter would fetch the wrong data.
 */
export interface TemplateContext {
  readonly partition?: Readonly<Record<string, string>> | null;
  readonly cursor?: string | number;
  readonly runTime: Date;
  /** The page token of cursor pagination ('' on the first page). */
  readonly pageToken?: string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const EXPRESSION = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Parses an ISO 8601 duration such as `P1D`, `-PT30M`, `PT1H30M` into milliseconds. */
export function parseIsoDuration(text: string): number {
  const match = /^([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!match || text.trim() === 'P' || text.trim().endsWith('T')) {
    throw new TemplateError(`"${text}" is not an ISO 8601 duration such as P1D, PT1H or -PT30M`);
  }
  const [, sign, d, h, m, s] = match;
  const ms = ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  return sign === '-' ? -ms : ms;
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

function evaluate(expression: string, context: TemplateContext): string {
  const [head, ...filters] = expression.split('|').map((part) => part.trim());
  let value: string | number | Date;
  if (head === 'run.time') {
    value = context.runTime;
  } else if (head === 'cursor') {
    if (context.cursor === undefined) {
      throw new TemplateError('{{ cursor }} is used but the spec has no "incremental" section');
    }
    value = context.cursor;
  } else if (head === 'page.token') {
    if (context.pageToken === undefined) {
      throw new TemplateError('{{ page.token }} is used but the spec\'s pagination is not "cursor"');
    }
    value = context.pageToken;
  } else if (head.startsWith('partition.')) {
    const name = head.slice('partition.'.length);
    const found = context.partition?.[name];
    if (found === undefined) {
      throw new TemplateError(`{{ ${head} }}: the partition has no parameter "${name}"`);
    }
    value = found;
  } else {
    throw new TemplateError(`{{ ${head} }}: unknown variable; use partition.<name>, cursor, page.token or run.time`);
  }
  let format = 'iso';
  for (const filter of filters) {
    const [name, arg = ''] = filter.split(':').map((p) => p.trim());
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
      format = filter.slice(filter.indexOf(':') + 1).trim();
    } else {
      throw new TemplateError(`{{ ${expression} }}: unknown filter "${name}"; use add: <ISO duration> or format: <pattern>`);
    }
  }
  return value instanceof Date ? formatDate(value, format) : String(value);
}

/** Renders every `{{ ... }}` in a string. */
export function renderString(template: string, context: TemplateContext): string {
  return template.replace(EXPRESSION, (_, expression: string) => evaluate(expression, context));
}

/** Renders every string leaf of a JSON value (a request body), keeping its structure. */
export function renderJson(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, context)]));
  }
  return value;
}

/** Renders a query or header map; an entry that renders to '' only because of an empty page token is left out. */
export function renderMap(map: Readonly<Record<string, string>> | undefined, context: TemplateContext): Record<string, string> {
  const entries = Object.entries(map ?? {}).map(([k, v]) => [k, renderString(v, context), /\{\{\s*page\.token\s*\}\}/.test(v)] as const);
  return Object.fromEntries(entries.filter(([, value, usesToken]) => !(usesToken && value === '')).map(([k, v]) => [k, v]));
}
