/**
 * Which builder prop wrote a spec field, so that a problem found in a builder-made spec names
 * what the user set (`Incremental.number({ lookback })`) beside the spec path they never wrote.
 */
import type { FeedSpecInput } from '../feed-spec/feed-spec';

const PAGINATION_PROPS: Record<string, string> = {
  'param': 'param',
  'start': 'start',
  'in': 'location',
  'offsetParam': 'offsetParam',
  'limitParam': 'limitParam',
  'limit': 'limit',
  'rel': 'rel',
  'from.path': 'responsePath',
  'from.header': 'responseHeader',
  'stop.emptyPage': 'stopOnEmptyPage',
  'stop.shortPage': 'shortPageSize',
  'stop.maxPages': 'maxPages',
  'stop.hasMorePath': 'hasMorePath',
  'stop.donePath': 'donePath',
  'stop.totalPath': 'totalPath',
};
const LIMIT_PROPS: Record<string, string> = {
  requestTimeoutSeconds: 'requestTimeout',
  maxResponseBytes: 'maxResponseSize',
  maxRetries: 'maxRetries',
  requestsPerSecond: 'requestsPerSecond',
  allowedHosts: 'allowedHosts',
  allowPrivateAddresses: 'allowPrivateAddresses',
};
const INCREMENTAL_PROPS: Record<string, string> = { cursorPath: 'recordPath', start: 'start', lookback: 'lookback', lookbackSeconds: 'lookback' };

/** `spec.pagination.stop.maxPages` → `Pagination.pageNumber({ maxPages })`, or undefined when no builder prop maps to it. */
export function builderPropOf(path: string, spec: FeedSpecInput): string | undefined {
  const [, section, rest = ''] = /^spec\.([A-Za-z]+)\.?(.*)$/.exec(path) ?? [];
  const field = rest.replace(/\[\d+\].*$/, '');
  switch (section) {
    case 'request': {
      const prop = field.split('.')[0];
      return prop ? `ApiSource.http({ ${prop} })` : undefined;
    }
    case 'records':
      return field === 'path' ? 'Records.at(path)' : field.startsWith('fields') ? 'Records.*({ fields })' : undefined;
    case 'pagination': {
      const prop = PAGINATION_PROPS[field];
      return prop ? `Pagination.${spec.pagination?.type ?? '*'}({ ${prop} })` : undefined;
    }
    case 'partitions': {
      const kind = spec.partitions?.type === 'parent' ? 'fromParent' : 'list';
      if (field === 'values' || field.startsWith('values')) return 'Partitions.list(values)';
      const prop = field.split('.')[0];
      return prop ? `Partitions.${kind}({ ${prop === 'request' ? field.split('.')[1] ?? 'url' : prop} })` : undefined;
    }
    case 'incremental': {
      const prop = INCREMENTAL_PROPS[field];
      return prop ? `Incremental.${spec.incremental?.type ?? '*'}({ ${prop} })` : undefined;
    }
    case 'limits': {
      const prop = LIMIT_PROPS[field];
      return prop ? `ApiSource.http({ limits: { ${prop} } })` : undefined;
    }
    case 'auth':
      return 'ApiSource.http({ auth })';
    case 'transform':
      return 'Transform.jsonata(expression)';
    case 'schema': {
      const column = /^columns\.([^.]+)/.exec(rest)?.[1];
      return column ? `RecordSchema.of({ ${column}: Column.* })` : 'RecordSchema.of(columns, { contract })';
    }
    default:
      return undefined;
  }
}
