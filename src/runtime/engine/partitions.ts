/**
 * The partitions of a run: none (one request), a static list of parameter sets, or the records
 * of a parent request (list the stations, then fetch each).
 */
import { canonicalJson } from './envelope';
import { queryFirst } from './json-path';
import { PageRequestError, pageStream, PageStreamOptions } from './page-stream';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import type { Logger } from '../ports/logger';

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
  try {
    for await (const page of pageStream({
      ...streamOptions,
      request: partitions.request,
      pagination: partitions.pagination,
      records: partitions.records,
    })) {
      for (const record of page.records) {
        const partition = partitionOf(record, partitions.fields, streamOptions.logger);
        if (partition) found.set(partitionKey(partition), partition);
      }
    }
  } catch (err) {
    // The parent request failing fails the run, with the API's error as it was.
    throw err instanceof PageRequestError ? err.cause : err;
  }
  return [...found.values()];
}

/** A parent record's partition: each field read at its path; none when one is missing. */
function partitionOf(record: unknown, fields: Readonly<Record<string, string>>, logger: Logger): Partition | undefined {
  const partition: Record<string, string> = {};
  for (const [name, path] of Object.entries(fields)) {
    const value = queryFirst(record, path);
    if (value === undefined || value === null) {
      logger.warn('parent record skipped: it has no value for a partition field', { field: path });
      return undefined;
    }
    partition[name] = String(value);
  }
  return partition;
}
