/**
 * The grammar of `{{ … }}` templates, shared by the poller (which renders them) and by validation
 * at synth and in `api-ingest validate` (which checks every reference against what the spec
 * declares), so that a misspelt name fails before a run, not in one.
 *
 *   {{ partition.city }}                               a field of the partition's parameter set
 *   {{ cursor }}                                       the incremental cursor (lookback applied)
 *   {{ page.token }}                                   the page token of cursor pagination
 *   {{ run.time }}                                     the run's time, ISO 8601
 *   {{ window.start }} {{ window.end }}                the run's time window (a datetime cursor's feed):
 *                                                      from the cursor to run.time, or a backfill's window
 *   {{ run.time | add: -P1D | format: yyyy-MM-dd }}    with an ISO 8601 offset and a format
 *   {{ partition.path | raw }}                         inserted unencoded (URL path or query)
 */

/** Every `{{ … }}` in a string; group 1 is the expression inside the braces. */
export const TEMPLATE_EXPRESSION = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The variables a template may name, besides `partition.<field>`. */
export const TEMPLATE_VARIABLES = ['run.time', 'cursor', 'page.token', 'window.start', 'window.end'] as const;

/** The two ends of a run's time window. */
export const WINDOW_VARIABLES = ['window.start', 'window.end'] as const;

/** Formats of `format:` besides a pattern of yyyy MM dd HH mm ss. */
export const NAMED_DATE_FORMATS = ['iso', 'unix', 'unixms'] as const;

export interface TemplateFilter {
  /** `add`, `format` or `raw` (or an unknown name, for the checks to report). */
  readonly name: string;
  /** What follows the first `:`, trimmed ('' when there is none). */
  readonly arg: string;
}

/** One `{{ … }}` expression, parsed: the variable and its filters in order. */
export interface TemplateExpression {
  readonly variable: string;
  readonly filters: ReadonlyArray<TemplateFilter>;
  /** The `raw` filter was given: insert the value unencoded. */
  readonly raw: boolean;
}

export function parseTemplateExpression(expression: string): TemplateExpression {
  const [variable, ...parts] = expression.split('|').map((part) => part.trim());
  const filters = parts.map((part) => {
    const colon = part.indexOf(':');
    return colon < 0 ? { name: part, arg: '' } : { name: part.slice(0, colon).trim(), arg: part.slice(colon + 1).trim() };
  });
  return { variable, filters: filters.filter((f) => f.name !== 'raw'), raw: filters.some((f) => f.name === 'raw') };
}

const ISO_DURATION = /^([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** An ISO 8601 duration such as `P1D`, `-PT30M` or `PT1H30M` in milliseconds, or undefined if it is not one. */
export function isoDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  const match = ISO_DURATION.exec(trimmed);
  if (!match || trimmed.replace(/^[+-]/, '') === 'P' || trimmed.endsWith('T')) return undefined;
  const [, sign, d, h, m, s] = match;
  const ms = ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  return sign === '-' ? -ms : ms;
}

/** What a template may name in one request: the spec's declarations for it. */
export interface TemplateScope {
  /** The partition fields every partition has (`partition.<name>`); undefined without partitions. */
  readonly partitionFields?: ReadonlyArray<string>;
  /** The incremental cursor's type; undefined without `incremental`. */
  readonly cursor?: 'datetime' | 'number';
  /** The request's pagination is `cursor`, so `{{ page.token }}` has a value. */
  readonly pageToken: boolean;
  /** An export job's status or results URL, where `{{ job.id }}` has a value. @default false */
  readonly jobId?: boolean;
  /** What this request is called in messages (the feed's request, the parent request). */
  readonly requestName: string;
}

/** The problems of one `{{ … }}` expression against what its request declares. */
export function templateExpressionProblems(expression: string, scope: TemplateScope): string[] {
  const { variable, filters } = parseTemplateExpression(expression);
  const shown = `{{ ${expression} }}`;
  const problems: string[] = [];
  let isDate = false;
  if (variable === 'run.time') {
    isDate = true;
  } else if (variable === 'cursor') {
    if (!scope.cursor) {
      problems.push(`${shown}: ${scope.requestName} has no cursor; add an "incremental" section (the cursor's field, type and start), or remove {{ cursor }}`);
    }
    isDate = scope.cursor === 'datetime';
  } else if ((WINDOW_VARIABLES as readonly string[]).includes(variable)) {
    if (scope.cursor !== 'datetime') {
      problems.push(`${shown}: a time window needs a datetime cursor (an "incremental" section of type datetime): a run's window goes from `
        + 'its cursor to its run.time, and a backfill\'s from one window to the next; or use run.time with add: and format:');
    }
    isDate = true;
  } else if (variable === 'page.token') {
    if (!scope.pageToken) problems.push(`${shown}: needs "cursor" pagination for ${scope.requestName}, where the previous page gives the token`);
  } else if (variable === 'job.id') {
    if (!scope.jobId) problems.push(`${shown}: only an export job's status and results URLs have a job id (export.status.url, export.results.url)`);
  } else if (variable.startsWith('partition.')) {
    const name = variable.slice('partition.'.length);
    const fields = scope.partitionFields;
    if (!fields) {
      problems.push(`${shown}: ${scope.requestName} has no partitions; add a "partitions" section, or remove the reference`);
    } else if (!fields.includes(name)) {
      const near = nearest(name, fields);
      problems.push(`${shown}: no partition field "${name}"${near ? `; did you mean partition.${near}?` : ''} (the partitions have: ${fields.join(', ') || 'none in common'})`);
    }
  } else {
    const known = [...TEMPLATE_VARIABLES, ...(scope.partitionFields ?? []).map((f) => `partition.${f}`)];
    const near = nearest(variable, known);
    problems.push(`${shown}: unknown variable "${variable}"${near ? `; did you mean ${near}?` : ''}; use partition.<field>, cursor, page.token, run.time, window.start or window.end`);
  }
  for (const filter of filters) {
    if (filter.name === 'add' || filter.name === 'format') {
      if (!isDate && problems.length === 0) {
        problems.push(`${shown}: "${filter.name}" works on dates (run.time, window.start, window.end, or a datetime cursor), not on ${variable}`);
      }
      if (filter.name === 'add' && isoDurationMs(filter.arg) === undefined) {
        problems.push(`${shown}: "${filter.arg}" is not an ISO 8601 duration such as P1D, PT1H or -PT30M`);
      }
      if (filter.name === 'format' && filter.arg === '') {
        problems.push(`${shown}: format needs a pattern (e.g. format: yyyy-MM-dd) or one of ${NAMED_DATE_FORMATS.join(', ')}`);
      }
    } else {
      const near = nearest(filter.name, ['add', 'format', 'raw']);
      problems.push(`${shown}: unknown filter "${filter.name}"${near ? `; did you mean ${near}?` : ''}; use add: <ISO duration>, format: <pattern> or raw`);
    }
  }
  return problems;
}

/** Every `{{ … }}` expression in a string, and whether a `{{` is left unclosed. */
export function templateExpressionsIn(text: string): { expressions: string[]; unclosed: boolean } {
  const expressions = [...text.matchAll(TEMPLATE_EXPRESSION)].map((match) => match[1]);
  const unclosed = text.replace(TEMPLATE_EXPRESSION, '').includes('{{');
  return { expressions, unclosed };
}

/**
 * The candidate closest to `word` by edit distance, when it is close enough to be a likely typo
 * (at most a third of the word's length, and at least one edit), else undefined.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
