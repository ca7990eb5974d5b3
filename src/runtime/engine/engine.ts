/**
 * The engine: runs one feed spec and streams its records, enveloped, into a sink. It knows
 * nothing about Firehose, files or Lambda: the entry point chooses the sink, state and secrets.
 *
 * Partitions run with bounded concurrency; one failing partition does not stop the others and
 * is reported. Cursors are committed only after the sink has accepted every record (flush), and
 * only for partitions that completed.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { createAuthenticator } from './auth';
import { EnvelopeWriter } from './envelope';
import { Clock, HttpClient, HttpError, SYSTEM_CLOCK } from './http-client';
import { CursorTracker, requestCursor } from './incremental';
import { allowedOrigins } from './origins';
import { pageStream, PageStreamEnd } from './page-stream';
import { Partition, partitionKey, resolvePartitions } from './partitions';
import { prefetchNext } from './prefetch';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import type { DeadLetterWriter } from '../ports/dead-letters';
import type { Logger } from '../ports/logger';
import type { RecordSink } from '../ports/record-sink';
import type { Redactor } from '../ports/redactor';
import type { SecretResolver } from '../ports/secrets';
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

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
  /** Where failed requests are reported. @default none (logged only) */
  readonly deadLetters?: DeadLetterWriter;
  /** The scheduler execution this run serves; a completed one is not run twice. @default none */
  readonly executionId?: string;
  /** Who holds the run lease (e.g. the Lambda request id). @default a random id */
  readonly holder?: string;
  /** How long the lease lasts when there is no deadline. @default 15 minutes */
  readonly leaseMs?: number;
  /** Called after each page (progress displays). @default none */
  readonly onPage?: (progress: { pages: number; records: number }) => void;
  /**
   * Let requests go to loopback addresses even when the spec does not allow private addresses
   * (`api-ingest --allow-loopback`, for local tries). The deployed poller never sets it.
   * @default false
   */
  readonly allowLoopback?: boolean;
  /** Time for waits, deadlines and request spacing (tests inject one). @default the system clock */
  readonly clock?: Clock;
}

export interface PartitionFailure {
  readonly partition: Partition;
  readonly error: string;
}

export type RunStatus = 'succeeded' | 'completedWithDeadLetters' | 'partial' | 'failed' | 'skipped';

export interface RunSummary {
  readonly feed: string;
  /**
   * - `succeeded`: every partition completed and every record is in the destination.
   * - `completedWithDeadLetters`: every partition completed, but some records are in the
   *   dead-letter queue (with their payload) instead of the destination; the cursor moved past
   *   them, and redrive is the way back. The CLI exits 3; the dead-letter alarm fires.
   * - `partial`: some partitions failed (their cursors did not move); the others completed.
   * - `failed`: every partition failed: such a run never reports success.
   * - `skipped`: another run holds the feed's lease, or this execution already completed.
   */
  readonly status: RunStatus;
  /** Why the run was skipped. */
  readonly skipped?: string;
  readonly partitions: number;
  readonly partitionsFailed: number;
  readonly failures: PartitionFailure[];
  readonly pages: number;
  readonly recordsFetched: number;
  readonly recordsDelivered: number;
  /** Records sent to the dead-letter queue instead of the destination. */
  readonly recordsDeadLettered: number;
  /** Failed requests reported to the dead-letter queue. */
  readonly requestsDeadLettered: number;
  readonly requests: number;
  readonly retries: number;
  readonly sinkCalls: number;
  /** Records Firehose reported as failed and that were sent again. */
  readonly failedPuts: number;
  readonly cursorsCommitted: number;
  /** Partitions that stopped at the time budget and continue from a checkpoint next run. */
  readonly checkpointsSaved: number;
  /** The highest committed datetime cursor's age in seconds, if any (how far behind the feed is). */
  readonly cursorLagSeconds?: number;
  /** Why fetching stopped before the end, if it did (time budget, preview limit). */
  readonly stoppedEarly?: string;
  readonly durationMs: number;
}

/**
 * In-run checkpoints: after about one PutRecordBatch worth of data, or this many pages, the
 * engine flushes the sink and records where the partition is. A run killed mid-way (Lambda
 * timeout, crash) then repeats at most one checkpoint interval of records on its next run.
 */
export const CHECKPOINT_BYTES = 4_000_000;
export const CHECKPOINT_PAGES = 50;

/** A sink failure aborts the run (unlike one partition's API failure). */
class SinkFailure extends Error {
  constructor(public readonly cause: Error) {
    super(cause.message);
    this.name = cause.name;
  }
}

/** The run's HTTP client: the spec's limits and origins, the address policy, the run's deadline. */
function httpClientFor(spec: FeedSpec, options: EngineOptions, clock: Clock): HttpClient {
  return new HttpClient({
    timeoutMs: spec.limits.requestTimeoutSeconds * 1000,
    maxRetries: spec.limits.maxRetries,
    maxResponseBytes: spec.limits.maxResponseBytes,
    requestsPerSecond: spec.limits.requestsPerSecond,
    allowedOrigins: allowedOrigins(spec),
    addressPolicy: {
      allowPrivate: spec.limits.allowPrivateAddresses,
      allowLoopback: spec.limits.allowPrivateAddresses || options.allowLoopback === true,
    },
    deadline: options.deadline,
    logger: options.logger,
    redactor: options.redactor,
    minBackoffMs: options.minBackoffMs,
    clock,
  });
}

/** The summary of a run that did nothing: another run holds the lease, or this execution already completed. */
function skippedRun(feed: string, lease: Exclude<LeaseResult, { acquired: true }>, durationMs: number): RunSummary {
  const skipped = lease.reason === 'duplicate'
    ? `execution ${lease.executionId} already completed (a duplicate delivery): nothing to do`
    : `another run (${lease.heldBy}) holds the feed's lease until ${lease.expiresAt}: this run exits so the same window is not ingested twice`;
  return {
    feed,
    status: 'skipped',
    skipped,
    partitions: 0,
    partitionsFailed: 0,
    failures: [],
    pages: 0,
    recordsFetched: 0,
    recordsDelivered: 0,
    recordsDeadLettered: 0,
    requestsDeadLettered: 0,
    requests: 0,
    retries: 0,
    sinkCalls: 0,
    failedPuts: 0,
    cursorsCommitted: 0,
    checkpointsSaved: 0,
    durationMs,
  };
}

export async function runFeed(spec: FeedSpec, options: EngineOptions): Promise<RunSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const { sink, state, logger, redactor } = options;
  const runTime = options.runTime ?? new Date();
  const preview = options.preview ?? {};
  let pages = 0;
  let recordsFetched = 0;
  let stoppedEarly: string | undefined;

  const http = httpClientFor(spec, options, clock);
  const shouldStop = (): string | undefined => {
    if (options.deadline !== undefined && clock.now() >= options.deadline) return 'time budget reached';
    if (preview.maxPages !== undefined && pages >= preview.maxPages) return `preview limit of ${preview.maxPages} page(s)`;
    if (preview.maxRecords !== undefined && recordsFetched >= preview.maxRecords) return `preview limit of ${preview.maxRecords} record(s)`;
    return undefined;
  };

  const holder = options.holder ?? randomUUID();
  const leaseUntil = new Date((options.deadline ?? clock.now() + (options.leaseMs ?? 15 * 60_000)) + 60_000);
  const lease = await state.acquireLease(spec.feed, holder, leaseUntil, options.executionId);
  if (!lease.acquired) {
    http.close();
    const summary = skippedRun(spec.feed, lease, clock.now() - started);
    logger.info('run skipped', { feed: spec.feed, reason: summary.skipped });
    return summary;
  }
  let completedExecution: string | undefined;

  try {
    const auth = createAuthenticator(spec.auth, options.secrets, http, redactor, () => clock.now());
    const streamOptions = { template: { runTime }, http, auth, logger, redactor, shouldStop };
    let partitions = await resolvePartitions(spec, streamOptions);
    if (preview.maxPartitions !== undefined) partitions = partitions.slice(0, preview.maxPartitions);

    const completedCursors: Array<{ key: string; cursor: Cursor }> = [];
    const checkpoints: Array<{ key: string; checkpoint: Checkpoint }> = [];
    // A run that delivers and commits state; a preview (any preview limit) does neither.
    const delivers = preview.maxPages === undefined && preview.maxRecords === undefined && preview.maxPartitions === undefined;
    let cursorsCommitted = 0;
    let checkpointsWritten = 0;
    const failures: PartitionFailure[] = [];
    let requestsDeadLettered = 0;
    const limit = pLimit(spec.partitions?.concurrency ?? 1);

    const runPartition = async (partition: Partition): Promise<void> => {
      const key = partitionKey(partition);
      const stored = spec.incremental ? await state.getCursor(spec.feed, key) : undefined;
      const checkpoint = await state.getCheckpoint(spec.feed, key);
      const tracker = spec.incremental ? new CursorTracker(spec.incremental, checkpoint?.cursor ?? stored) : undefined;
      if (checkpoint) {
        logger.info('resuming the partition from its checkpoint', { partition, pagesDone: checkpoint.pagesDone, savedAt: checkpoint.savedAt });
      }
      const template = {
        runTime,
        partition,
        cursor: spec.incremental ? requestCursor(spec.incremental, stored) : undefined,
      };
      const end: PageStreamEnd = {};
      let bytesSinceCheckpoint = 0;
      let pagesSinceCheckpoint = 0;
      try {
        const resume = checkpoint ? { request: checkpoint.next, pagesDone: checkpoint.pagesDone, pageToken: checkpoint.pageToken } : undefined;
        const pageIterator = pageStream({
          ...streamOptions,
          template,
          resume,
          request: spec.request,
          pagination: spec.pagination,
          records: spec.records,
          // Only a cursor field needs the records' values; the lines carry their texts.
          recordTextsOnly: !spec.incremental,
        }, end);
        // In a run, the next page is fetched while this one is wrapped and sent: the API's latency
        // overlaps the poller's own work instead of adding to it. The time budget is checked when
        // a fetch starts, so a page fetched ahead may be processed just after the budget ran out:
        // one page, well within the margin kept back. A preview fetches no page it will not show.
        const stream = delivers ? prefetchNext(pageIterator) : pageIterator;
        for await (const page of stream) {
          pages += 1;
          const envelopes = new EnvelopeWriter({ feed: spec.feed, fetchedAt: page.fetchedAt, sourceUrl: page.sourceUrl, partition });
          const count = page.count;
          // What each line is made from: the record's bytes in the response where the page was
          // only checked, else its text, else its value. Values are read only where needed: a
          // page that was only checked parses them then.
          const recordBytes = tracker ? undefined : page.recordBytes;
          const texts = recordBytes ? undefined : page.texts;
          const records = tracker || (!recordBytes && !texts) ? page.records : undefined;
          for (let index = 0; index < count; index++) {
            if (preview.maxRecords !== undefined && recordsFetched >= preview.maxRecords) break;
            recordsFetched += 1;
            const record = records?.[index];
            tracker?.observe(record);
            // A record with its bytes or text is written by the sink straight into its buffer.
            const line = recordBytes ? envelopes.encodableBytes(recordBytes.body, recordBytes.offsets[2 * index], recordBytes.offsets[2 * index + 1])
              : texts ? envelopes.encodable(texts[index]) : envelopes.line(record);
            bytesSinceCheckpoint += line.length;
            try {
              const wait = sink.write(line);
              if (wait) await wait;
            } catch (err) {
              throw new SinkFailure(err as Error);
            }
          }
          pagesSinceCheckpoint += 1;
          options.onPage?.({ pages, records: recordsFetched });
          if (delivers && page.next && (bytesSinceCheckpoint >= CHECKPOINT_BYTES || pagesSinceCheckpoint >= CHECKPOINT_PAGES)) {
            // Everything written so far must be accepted before the checkpoint may say so.
            try {
              await sink.flush();
            } catch (err) {
              throw new SinkFailure(err as Error);
            }
            await state.putCheckpoint(spec.feed, key, {
              next: page.next.request,
              pagesDone: page.next.pagesDone,
              pageToken: page.next.pageToken,
              cursor: tracker?.value,
              savedAt: new Date().toISOString(),
            });
            checkpointsWritten += 1;
            bytesSinceCheckpoint = 0;
            pagesSinceCheckpoint = 0;
          }
        }
      } catch (err) {
        if (err instanceof SinkFailure) throw err.cause;
        const message = redactor.redact((err as Error).message);
        failures.push({ partition, error: message });
        logger.error('partition failed; the other partitions go on, its cursor stays where it was', { partition, error: message });
        if (options.deadLetters && end.lastRequest) {
          const attempts = err instanceof HttpError ? err.attempts : undefined;
          const retryAfter = err instanceof HttpError ? err.retryAfter : undefined;
          await options.deadLetters.sendRequest({ partition, request: end.lastRequest, error: message, attempts, retryAfter });
          requestsDeadLettered += 1;
        }
        return;
      }
      if (end.stoppedEarly) {
        stoppedEarly = end.stoppedEarly;
        // Not complete: the cursor must not move past pages not fetched. Resume at the next page.
        if (end.resumeFrom && (end.pagesDone ?? 0) > 0 && delivers) {
          checkpoints.push({
            key,
            checkpoint: {
              next: end.resumeFrom, pagesDone: end.pagesDone!, pageToken: end.pageToken, cursor: tracker?.value, savedAt: new Date().toISOString(),
            },
          });
        }
        return;
      }
      if (!delivers) return;
      // The partition is complete: once its records are accepted, its cursor moves and its
      // checkpoint goes, so a crash later in the run does not fetch it again.
      await sink.flush();
      if (tracker?.value !== undefined && tracker.value !== stored) {
        await state.putCursor(spec.feed, key, tracker.value);
        completedCursors.push({ key, cursor: tracker.value });
        cursorsCommitted += 1;
      }
      if (checkpoint || checkpointsWritten > 0) {
        await state.clearCheckpoint(spec.feed, key);
      }
    };

    await Promise.all(partitions.map((partition) => limit(() => runPartition(partition))));
    const report = await sink.flush();
    // Partitions stopped by the time budget: with every record accepted, record where they resume.
    for (const { key, checkpoint } of checkpoints) {
      await state.putCheckpoint(spec.feed, key, checkpoint);
    }

    const status: RunStatus = partitions.length > 0 && failures.length === partitions.length ? 'failed'
      : failures.length > 0 ? 'partial'
        : report.linesDeadLettered > 0 ? 'completedWithDeadLetters' : 'succeeded';
    if (status !== 'failed') {
      completedExecution = options.executionId;
    }
    const newestCursor = completedCursors.map((c) => (spec.incremental?.type === 'datetime' ? Date.parse(String(c.cursor)) : NaN))
      .filter(Number.isFinite).sort((a, b) => b - a)[0];
    return {
      feed: spec.feed,
      status,
      partitions: partitions.length,
      partitionsFailed: failures.length,
      failures,
      pages,
      recordsFetched,
      recordsDelivered: report.linesDelivered,
      recordsDeadLettered: report.linesDeadLettered,
      requestsDeadLettered,
      requests: http.requestCount,
      retries: http.retryCount,
      sinkCalls: report.calls,
      failedPuts: report.failedPuts,
      cursorsCommitted,
      checkpointsSaved: checkpoints.length,
      cursorLagSeconds: newestCursor !== undefined ? Math.max(0, Math.round((clock.now() - newestCursor) / 1000)) : undefined,
      stoppedEarly,
      durationMs: clock.now() - started,
    };
  } finally {
    http.close();
    await state.releaseLease(spec.feed, holder, completedExecution);
  }
}
