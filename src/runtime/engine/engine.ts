/**
 * The engine: runs one feed spec and streams its records, enveloped, into a sink. It knows
 * nothing about Firehose, files or Lambda: the entry point chooses the sink, state and secrets.
 *
 * Partitions run with bounded concurrency; one failing partition does not stop the others and
 * is reported. Cursors are committed only after the sink has accepted every record (flush), and
 * only for partitions that completed.
 */
import pLimit from 'p-limit';
import { createAuthenticator } from './auth';
import { envelope } from './envelope';
import { HttpClient } from './http-client';
import { CursorTracker, requestCursor } from './incremental';
import type { Logger } from './logger';
import { pageStream, PageStreamEnd } from './page-stream';
import { Partition, partitionKey, resolvePartitions } from './partitions';
import type { Redactor } from './redactor';
import type { FeedSpec } from '../../spec/feed-spec';
import type { SecretResolver } from '../secrets/secret-resolver';
import type { RecordSink } from '../sinks/record-sink';
import type { Cursor, StateStore } from '../state/state-store';

export interface PreviewLimits {
  readonly maxPages?: number;
  readonly maxRecords?: number;
  readonly maxPartitions?: number;
}

export interface EngineOptions {
  readonly sink: RecordSink;
  readonly state: StateStore;
  readonly secrets: SecretResolver;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** The run's time (`{{ run.time }}`), e.g. the schedule's scheduled time. @default now */
  readonly runTime?: Date;
  /** Epoch ms after which no new page is fetched and no retry waits. @default none */
  readonly deadline?: number;
  /** Limits for previews. @default none */
  readonly preview?: PreviewLimits;
  /** Backoff floor for HTTP retries (tests shorten it). @default 250 ms */
  readonly minBackoffMs?: number;
}

export interface PartitionFailure {
  readonly partition: Partition;
  readonly error: string;
}

export interface RunSummary {
  readonly feed: string;
  /** `failed` when every partition failed: such a run must never report success. */
  readonly status: 'succeeded' | 'partial' | 'failed';
  readonly partitions: number;
  readonly partitionsFailed: number;
  readonly failures: PartitionFailure[];
  readonly pages: number;
  readonly recordsFetched: number;
  readonly recordsDelivered: number;
  readonly requests: number;
  readonly retries: number;
  readonly sinkCalls: number;
  readonly cursorsCommitted: number;
  /** Why fetching stopped before the end, if it did (time budget, preview limit). */
  readonly stoppedEarly?: string;
  readonly durationMs: number;
}

/** A sink failure aborts the run (unlike one partition's API failure). */
class SinkFailure extends Error {
  constructor(public readonly cause: Error) {
    super(cause.message);
    this.name = cause.name;
  }
}

/** Hosts the spec names (URLs without templated host names), plus limits.allowedHosts. */
export function allowedHosts(spec: FeedSpec): Set<string> {
  const hosts = new Set((spec.limits.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const urls = [spec.request.url];
  if (spec.partitions?.type === 'parent') urls.push(spec.partitions.request.url);
  if (spec.auth.type === 'oauth2ClientCredentials') urls.push(spec.auth.tokenUrl);
  for (const url of urls) {
    // A templated host name ({{ partition.region }}.api.example.com) cannot be known before the
    // run: such hosts must be listed in limits.allowedHosts.
    const authority = /^https?:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
    if (!authority.includes('{{')) {
      hosts.add(new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
    }
  }
  return hosts;
}

export async function runFeed(spec: FeedSpec, options: EngineOptions): Promise<RunSummary> {
  const started = Date.now();
  const { sink, state, logger, redactor } = options;
  const runTime = options.runTime ?? new Date();
  const preview = options.preview ?? {};
  let pages = 0;
  let recordsFetched = 0;
  let stoppedEarly: string | undefined;

  const http = new HttpClient({
    timeoutMs: spec.limits.requestTimeoutSeconds * 1000,
    maxRetries: spec.limits.maxRetries,
    maxResponseBytes: spec.limits.maxResponseBytes,
    requestsPerSecond: spec.limits.requestsPerSecond,
    allowedHosts: allowedHosts(spec),
    deadline: options.deadline,
    logger,
    redactor,
    minBackoffMs: options.minBackoffMs,
  });
  const shouldStop = (): string | undefined => {
    if (options.deadline !== undefined && Date.now() >= options.deadline) return 'time budget reached';
    if (preview.maxPages !== undefined && pages >= preview.maxPages) return `preview limit of ${preview.maxPages} page(s)`;
    if (preview.maxRecords !== undefined && recordsFetched >= preview.maxRecords) return `preview limit of ${preview.maxRecords} record(s)`;
    return undefined;
  };

  try {
    const auth = createAuthenticator(spec.auth, options.secrets, http, redactor);
    const common = { template: { runTime }, http, auth, logger, redactor, shouldStop };
    let partitions = await resolvePartitions(spec, common);
    if (preview.maxPartitions !== undefined) partitions = partitions.slice(0, preview.maxPartitions);

    const completedCursors: Array<{ key: string; cursor: Cursor }> = [];
    const failures: PartitionFailure[] = [];
    const limit = pLimit(spec.partitions?.concurrency ?? 1);

    const runPartition = async (partition: Partition): Promise<void> => {
      const key = partitionKey(partition);
      const stored = spec.incremental ? await state.getCursor(spec.feed, key) : undefined;
      const tracker = spec.incremental ? new CursorTracker(spec.incremental, stored) : undefined;
      const template = {
        runTime,
        partition,
        cursor: spec.incremental ? requestCursor(spec.incremental, stored) : undefined,
      };
      const end: PageStreamEnd = {};
      try {
        const stream = pageStream({ ...common, template, request: spec.request, pagination: spec.pagination, records: spec.records }, end);
        for await (const page of stream) {
          pages += 1;
          const context = { feed: spec.feed, fetchedAt: page.fetchedAt, sourceUrl: page.sourceUrl, partition };
          for (const record of page.records) {
            if (preview.maxRecords !== undefined && recordsFetched >= preview.maxRecords) break;
            recordsFetched += 1;
            tracker?.observe(record);
            try {
              await sink.write(`${JSON.stringify(envelope(context, record))}\n`);
            } catch (err) {
              throw new SinkFailure(err as Error);
            }
          }
        }
      } catch (err) {
        if (err instanceof SinkFailure) throw err.cause;
        const message = redactor.redact((err as Error).message);
        failures.push({ partition, error: message });
        logger.error('partition failed; the other partitions go on, its cursor stays where it was', { partition, error: message });
        return;
      }
      if (end.stoppedEarly) {
        stoppedEarly = end.stoppedEarly;
        return; // not complete: the cursor must not move past pages not fetched
      }
      if (tracker?.value !== undefined && tracker.value !== stored) {
        completedCursors.push({ key, cursor: tracker.value });
      }
    };

    await Promise.all(partitions.map((partition) => limit(() => runPartition(partition))));
    const report = await sink.flush();
    // Only now, with every record accepted by the sink, may cursors move.
    for (const { key, cursor } of completedCursors) {
      await state.putCursor(spec.feed, key, cursor);
    }

    const status = partitions.length > 0 && failures.length === partitions.length ? 'failed'
      : failures.length > 0 ? 'partial' : 'succeeded';
    return {
      feed: spec.feed,
      status,
      partitions: partitions.length,
      partitionsFailed: failures.length,
      failures,
      pages,
      recordsFetched,
      recordsDelivered: report.linesDelivered,
      requests: http.requestCount,
      retries: http.retryCount,
      sinkCalls: report.calls,
      cursorsCommitted: completedCursors.length,
      stoppedEarly,
      durationMs: Date.now() - started,
    };
  } finally {
    http.close();
  }
}
