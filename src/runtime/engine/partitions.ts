/**
 * The partitions of a run: none (one request), a static list of parameter sets, or the records
 * of a parent request (list the stations, then fetch each).
 */
import { canonicalJson } from './envelope';
import { queryFirst } from './json-path';
import { pageStream, PageStreamOptions } from './page-stream';
import type { FeedSpec } from '../../feed-spec/feed-spec';

export type Partition = Readonly<Record<string, string>> | null;

export function partitionKey(partition: Partition): string {
  return partition === null ? '-' : canonicalJson(partition);
}

export async function resolvePartitions(
  spec: FeedSpec,
  streamOptions: Omit<PageStreamOptions, 'request' | 'pagination' | 'records'>,
): Promise<Partition[]> {
  const partitions = spec.partitions;
  if (!partitions) {
    return [null];
  }
  if (partitions.type === 'list') {
    return partitions.values;
  }
  const found = new Map<string, Partition>();
  for await (const page of pageStream({
    ...streamOptions,
    request: partitions.request,
    pagination: partitions.pagination,
    records: partitions.records,
  })) {
    for (const record of page.records) {
      const partition: Record<string, string> = {};
      for (const [name, path] of Object.entries(partitions.fields)) {
        const value = queryFirst(record, path);
        if (value === undefined || value === null) {
          streamOptions.logger.warn('parent record skipped: it has no value for a partition field', { field: path });
          break;
        }
        partition[name] = String(value);
      }
      if (Object.keys(partition).length === Object.keys(partitions.fields).length) {
        found.set(partitionKey(partition), partition);
      }
    }
  }
  return [...found.values()];
}
