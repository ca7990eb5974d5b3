/**
 * Checks every `{{ … }}` of a spec against what the spec declares for that request, and that an
 * incremental feed sends its cursor: mistakes that would otherwise pass `validate` and synth and
 * fail in a run, or, worse, run and fetch the wrong data.
 */
import type { FeedSpec, RequestSpec, SpecProblem } from './feed-spec';
import { parseTemplateExpression, templateExpressionProblems, templateExpressionsIn, TemplateScope } from './template-syntax';

/** Every string of a request that is rendered as a template, with its spec path. */
function templateStrings(path: string, request: RequestSpec): Array<{ path: string; text: string }> {
  const found = [{ path: `${path}.url`, text: request.url }];
  for (const kind of ['query', 'headers'] as const) {
    for (const [name, value] of Object.entries(request[kind] ?? {})) found.push({ path: `${path}.${kind}.${name}`, text: value });
  }
  const walk = (value: unknown, at: string) => {
    if (typeof value === 'string') found.push({ path: at, text: value });
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${at}[${i}]`));
    else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([key, item]) => walk(item, `${at}.${key}`));
  };
  walk(request.body, `${path}.body`);
  return found;
}

function requestProblems(path: string, request: RequestSpec, scope: TemplateScope): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const { path: at, text } of templateStrings(path, request)) {
    const { expressions, unclosed } = templateExpressionsIn(text);
    if (unclosed) problems.push({ path: at, message: 'has a "{{" without its "}}": write {{ name }}, or remove the braces' });
    for (const expression of expressions) {
      problems.push(...templateExpressionProblems(expression, scope).map((message) => ({ path: at, message })));
    }
  }
  return problems;
}

/** The fields every partition has: `partition.<name>` resolves in every request. */
function partitionFields(spec: FeedSpec): string[] | undefined {
  const partitions = spec.partitions;
  if (!partitions) return undefined;
  if (partitions.type === 'parent') return Object.keys(partitions.fields);
  const [first, ...rest] = partitions.values.map((values) => Object.keys(values));
  return (first ?? []).filter((name) => rest.every((names) => names.includes(name)));
}

/** Whether any template string of the request names one of `variables`. */
export function requestUses(request: RequestSpec, variables: readonly string[]): boolean {
  return templateStrings('', request).some(({ text }) => templateExpressionsIn(text).expressions
    .some((expression) => variables.includes(parseTemplateExpression(expression).variable)));
}

export function templateProblems(spec: FeedSpec): SpecProblem[] {
  const problems = requestProblems('spec.request', spec.request, {
    partitionFields: partitionFields(spec),
    cursor: spec.incremental?.type,
    pageToken: spec.pagination.type === 'cursor',
    requestName: 'the request',
  });
  if (spec.partitions?.type === 'parent') {
    // The parent request lists the partitions: it has no partition and no cursor of its own.
    problems.push(...requestProblems('spec.partitions.request', spec.partitions.request, {
      pageToken: spec.partitions.pagination.type === 'cursor',
      requestName: 'the parent request',
    }));
  }
  if (spec.export) {
    const scope = { partitionFields: partitionFields(spec), cursor: spec.incremental?.type, pageToken: false, jobId: true, requestName: 'the export job' };
    const urls = [['spec.export.status.url', spec.export.status.url], ['spec.export.results.url', spec.export.results.url]] as const;
    for (const [at, url] of urls) {
      if (url !== undefined) problems.push(...requestProblems(at.slice(0, -'.url'.length), { url, method: 'GET' }, scope));
    }
  }
  // {{ window.start }} is the cursor too, in a run that is not a backfill. With stopAtCursor the
  // pages end at the cursor without the API's help.
  if (spec.incremental && !spec.incremental.stopAtCursor && !requestUses(spec.request, ['cursor', 'window.start'])) {
    problems.push({
      path: 'spec.incremental',
      message: 'the request never sends {{ cursor }} (or {{ window.start }}), so every run would fetch everything again and "start" would be ignored; '
        + 'put it where the API takes its filter, e.g. "query": { "updated_since": "{{ cursor }}" }, '
        + 'or, for an API that lists newest first and has no filter, set "stopAtCursor": true',
    });
  }
  return problems;
}
