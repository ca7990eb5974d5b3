/**
 * The engine: runs one feed spec and streams its records, enveloped, into a sink. It knows
 * nothing about Firehose, files or Lambda: the entry point chooses the sink, state and secrets.
 *
 * Partitions run with bounded concurrency; one failing partition does not stop the others and
 * is reported. Cursors are committed only after the sink has accepted every record (flush), and
 * only for partitions that completed. A dry run (previews) fetches and hands records to the sink
 * but commits nothing.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { createAuthenticator } from './auth';
import { BoundedTransform } from './bounded-transform';
import { EnvelopeWriter, RowLineWriter } from './envelope';
import { mayHoldLargeIntegers, parseExact } from './exact-json';
import { exportJobPages } from './export-job';
import { Clock, ExchangeWrapper, HttpClient, HttpError, SYSTEM_CLOCK } from './http-client';
import { CursorCutoff, CursorTracker, requestCursor } from './incremental';
import { allowedOrigins } from './origins';
import { Page, PagePosition, PageRequestError, pageStream, PageStreamEnd, PageStreamOptions } from './page-stream';
import { Partition, partitionKey, resolvePartitions } from './partitions';
import { prefetchNext } from './prefetch';
import { compileResponseRules, ResponseRules } from './response-rules';
import { emptyRunSummary, runStatus, sumRunSummaries } from './run-summaries';
import type { TemplateContext } from './template';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import type { DeadLetterWriter } from '../ports/dead-letters';
import type { Logger } from '../ports/logger';
import type { RateLimiter } from '../ports/rate-limiter';
import type { RecordSink, SinkReport } from '../ports/record-sink';
import type { Redactor } from '../ports/redactor';
import type { RotatingSecretStore, SecretResolver } from '../ports/secrets';
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';
import { RowProjector } from '../schema/row-projection';

/** How far a run has got: what `stopWhen` and `onPage` are given. */
export interface RunProgress {
  /** Pages of the feed's request fetched so far (every partition). */
  readonly pages: number;
  /** Records handed to the sink so far. */
  readonly records: number;
}

export interface EngineOptions {
  readonly sink: RecordSink;
  readonly state: StateStore;
  readonly secrets: SecretResolver;
  /** Wraps the HTTP exchange: `api-ingest record` records it, `--replay` answers from a cassette. @default the network */
  readonly wrapExchange?: ExchangeWrapper;
  /** Where the OAuth2 refresh-token grant writes a rotated refresh token. @default none: that grant fails */
  readonly rotatingSecrets?: RotatingSecretStore;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** The run's time (`{{ run.time }}`), e.g. the schedule's scheduled time. @default now */
  readonly runTime?: Date;
  /** Epoch ms after which no new page is fetched and no retry waits. @default none */
  readonly deadline?: number;
  /**
   * Fetch and hand records to the sink, but commit nothing: no cursor, no checkpoint, no completed
   * execution, and no page fetched ahead that would not be shown. What a preview is.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Asked before each page: a reason to stop fetching (a preview's page limit), or undefined. @default none */
  readonly stopWhen?: (progress: RunProgress) => string | undefined;
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
  readonly onPage?: (progress: RunProgress) => void;
  /**
   * Let requests go to loopback addresses even when the spec does not allow private addresses
   * (`api-ingest --allow-loopback`, for local tries). The deployed poller never sets it.
   * @default false
   */
  readonly allowLoopback?: boolean;
  /** Time for waits, deadlines and request spacing (tests inject one). @default the system clock */
  readonly clock?: Clock;
  /**
   * Request slots shared with other workers of the feed (a distributed run's rate budget).
   * @default in-memory spacing by `limits.requestsPerSecond`
   */
  readonly rateLimiter?: RateLimiter;
  /**
   * Poll again every `intervalMs` under the same lease, while a next pass still starts before
   * `untilMs` (epoch ms): near-real-time polling inside one invocation. Each pass commits its
   * cursors and flushes the sink before the next. @default one pass
   */
  readonly repeat?: { readonly intervalMs: number; readonly untilMs: number };
  /**
   * Run only these of the feed's partitions (a run on demand). Each must be one the spec yields (its
   * static list, or its parent request's records): a caller chooses among them, never adds one.
   * @default every partition
   */
  readonly onlyPartitions?: ReadonlyArray<Readonly<Record<string, string>>>;
  /**
   * Fetch this time window instead of "since the cursor" (a backfill's window): `{{ window.start }}`
   * and `{{ cursor }}` are its start, `{{ window.end }}` its end. The state given must be the
   * window's own (see `windowStateName`): a partition that completes gets the window's end as its
   * cursor there, and is skipped by a later run of the same window.
   * @default the window from the cursor to the run's time
   */
  readonly window?: { readonly start: Date; readonly end: Date };
  /** Pages between in-run checkpoints. @default CHECKPOINT_PAGES */
  readonly checkpointPages?: number;
  /**
   * A Retry-After beyond the time budget holds the partition at the refused page (a checkpoint,
   * and the time asked for in the summary's `resumeAt`) instead of failing it: for a caller that
   * waits without compute and runs again then (a durable execution).
   * @default false
   */
  readonly holdOnRetryAfter?: boolean;
  /**
   * With `holdOnRetryAfter`: the longest wait made in process (a Retry-After, an export job's next
   * poll, the next request slot of `limits.requestsPerSecond`); a longer one holds the partition
   * the same way, for the caller to wait out without compute.
   * @default waits up to the deadline are made in process
   */
  readonly longestWaitMs?: number;
  /**
   * The caller holds the feed's lease across several runs (a durable execution's passes, under one
   * `holder`): each run takes or renews it as usual but leaves it held; the caller releases it.
   * @default false: released at the end of the run
   */
  readonly keepLease?: boolean;
}

export interface PartitionFailure {
  readonly partition: Partition;
  readonly error: string;
}

export type RunStatus = 'succeeded' | 'completedWithDeadLetters' | 'partial' | 'failed' | 'skipped';

/** At most this many warnings are kept in a summary. */
export const MAX_WARNINGS_KEPT = 20;

export interface RunSummary {
  readonly feed: string;
  /**
   * - `succeeded`: every partition completed and every record is in the destination.
   * - `completedWithDeadLetters`: every partition completed, but some records are in the
   *   dead-letter queue (with their payload) instead of the destination; the cursor moved past
   *   them, and redrive is the way back. The CLI exits 3; the dead-letter alarm fires.
   * - `partial`: some partitions failed, ended short of the total the API stated, or stopped before
   *   the API's last page (the time budget, a Retry-After the run does not wait for, an export job
   *   not ready): their cursors did not move, and a stopped one resumes from its checkpoint next run;
   *   the others completed.
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
  /** Bytes of the records delivered (the envelopes' JSON lines). */
  readonly bytesDelivered: number;
  /** Bytes the destination bills for them: Firehose rounds each record up to 5 KB (0 for local files). */
  readonly bytesBilled: number;
  readonly cursorsCommitted: number;
  /** Partitions that stopped at the time budget and continue from a checkpoint next run. */
  readonly checkpointsSaved: number;
  /** The highest committed datetime cursor's age in seconds, if any (how far behind the feed is). */
  readonly cursorLagSeconds?: number;
  /** Why fetching stopped before the end, if it did (the time budget, `stopWhen`). */
  readonly stoppedEarly?: string;
  /**
   * When it stopped early to wait: the earliest time a held partition may go on (an API's
   * Retry-After with `holdOnRetryAfter`, an export job's next poll), ISO 8601.
   */
  readonly resumeAt?: string;
  /** The partitions that stopped early and hold a checkpoint (for a caller that goes on with just them). */
  readonly partitionsHeld?: Partition[];
  /** With a schema: what did not fit it (see `SchemaDrift`). */
  readonly schemaDrift?: SchemaDrift;
  /** With a transform: what it made of the records (see `TransformTally`). */
  readonly transform?: TransformTally;
  readonly durationMs: number;
  /** With `repeat`: the passes the run made (near-real-time polling); in a durable execution, its passes. */
  readonly passes?: number;
  /** A durable run that reached the passes one execution may make: the execution that goes on with it. */
  readonly continuedIn?: string;
  /**
   * Partitions whose pages ended short of a total the API stated (records or pages): their
   * cursors stay, so the next run fetches the window again, and the run is `partial`.
   */
  readonly shortReads?: number;
  /** Partitions whose cursor could not advance although records arrived (see `CursorTracker.stall`). */
  readonly cursorStalls?: number;
  /**
   * With `incremental.stopAtCursor`: records the API sent that were older than the cursor the run
   * asked from, on the page where each partition stopped. Not delivered (counted in `recordsFetched`).
   */
  readonly recordsBeforeCursor?: number;
  /**
   * With a `skipPartition` response rule: partitions it ended (not failures; their cursors and
   * checkpoints stay as they were).
   */
  readonly partitionsSkipped?: number;
  /** With a schema: what the delivered rows hold, column by column (see `ColumnStats`). */
  readonly columns?: ColumnStats;
  /** What a reader of the run must know although it did not fail it: short reads, cursor stalls, empty columns. */
  readonly warnings?: string[];
}

/** With a schema: the rows a run delivered, column by column. */
export interface ColumnStats {
  /** Rows delivered (records the schema's contract did not reject). */
  readonly rows: number;
  /** Per column: rows with a value (not null), and values present in the record that did not convert to the column's type. */
  readonly byColumn: Readonly<Record<string, { readonly nonNull: number; readonly wrongType: number }>>;
  /** Columns null in every row of a run that delivered rows, except those the schema allows to be empty. */
  readonly empty: string[];
}

/** What of a run's records did not fit the spec's schema, and what became of it by the contract. */
export interface SchemaDrift {
  /** Fields no column names (kept in `extra_fields`, dropped, or their record rejected). */
  readonly unknownFields: number;
  /** Values not of their column's type (kept in `extra_fields`, dropped, or their record rejected). */
  readonly typeMismatches: number;
  /** Records with drift: under `freeze` they are dead-lettered instead of written. */
  readonly recordsWithDrift: number;
  /** Records dead-lettered by the `freeze` contract (counted in `recordsDeadLettered` too). */
  readonly recordsRejected: number;
  /** A few of the drift paths seen, for the log and the CLI (`meta.score: expected number, got string "n/a"`). */
  readonly examples: string[];
}

/** What a run's transform made of its records. */
export interface TransformTally {
  /** Records the transform ran on. */
  readonly recordsIn: number;
  /** Records it returned (an array result is several). */
  readonly recordsOut: number;
  /** Records it returned nothing for: filtered out on purpose. */
  readonly recordsFiltered: number;
  /** Records it failed on: dead-lettered with the error (counted in `recordsDeadLettered` too). */
  readonly errors: number;
}

const DRIFT_EXAMPLES = 10;

/** What the run could not write, grouped for the dead-letter queue: one message per kind and page. */
interface RejectedBatch {
  readonly kind: 'schema' | 'transform';
  readonly lines: string[];
  /** The first record's reason, and how many others had another. */
  readonly reason: string;
}

class Rejections {
  private readonly byKind = new Map<RejectedBatch['kind'], { lines: string[]; first: string; others: number }>();

  public add(kind: RejectedBatch['kind'], line: string, reason: string): void {
    const batch = this.byKind.get(kind);
    if (!batch) {
      this.byKind.set(kind, { lines: [line], first: reason, others: 0 });
      return;
    }
    batch.lines.push(line);
    if (reason !== batch.first) batch.others += 1;
  }

  public batches(): RejectedBatch[] {
    return [...this.byKind].map(([kind, batch]) => ({
      kind,
      lines: batch.lines,
      reason: batch.others > 0 ? `${batch.first} (and ${batch.others} more record(s) of this page for other reasons of this kind)` : batch.first,
    }));
  }
}

/**
 * In-run checkpoints: after about one PutRecordBatch worth of data, or this many pages, the
 * engine flushes the sink and records where the partition is. A run killed mid-way (Lambda
 * timeout, crash) then repeats at most one checkpoint interval of records on its next run.
 */
export const CHECKPOINT_BYTES = 4_000_000;
export const CHECKPOINT_PAGES = 50;

/** The run's HTTP client: the spec's limits and origins, the address policy, the run's deadline. */
function httpClientFor(spec: FeedSpec, options: EngineOptions, clock: Clock): HttpClient {
  return new HttpClient({
    timeoutMs: spec.limits.requestTimeoutSeconds * 1000,
    maxRetries: spec.limits.maxRetries,
    maxResponseBytes: spec.limits.maxResponseBytes,
    requestsPerSecond: spec.limits.requestsPerSecond,
    rateLimiter: options.rateLimiter,
    allowedOrigins: allowedOrigins(spec),
    addressPolicy: {
      allowPrivate: spec.limits.allowPrivateAddresses,
      allowLoopback: spec.limits.allowPrivateAddresses || options.allowLoopback === true,
    },
    deadline: options.deadline,
    longestWaitMs: options.holdOnRetryAfter ? options.longestWaitMs : undefined,
    logger: options.logger,
    redactor: options.redactor,
    minBackoffMs: options.minBackoffMs,
    clock,
    wrapExchange: options.wrapExchange,
  });
}

/** The summary of a run that did nothing: another run holds the lease, or this execution already completed. */
function skippedRun(feed: string, lease: Exclude<LeaseResult, { acquired: true }>, durationMs: number): RunSummary {
  const skipped = lease.reason === 'duplicate'
    ? `execution ${lease.executionId} already completed (a duplicate delivery): nothing to do`
    : `another run (${lease.heldBy}) holds the feed's lease until ${lease.expiresAt}: this run exits so the same window is not ingested twice`;
  const { feed: _feed, status, ...counts } = emptyRunSummary(feed, 'skipped', durationMs);
  // Why it was skipped, right after the status, as a log line reads it.
  return { feed, status, skipped, ...counts };
}

/** A sink failure aborts the run (unlike one partition's API failure). */
class SinkFailure extends Error {
  constructor(public readonly cause: Error) {
    super(cause.message);
    this.name = cause.name;
  }
}

async function toSink<T>(step: Promise<T> | T): Promise<T> {
  try {
    return await step;
  } catch (err) {
    throw new SinkFailure(err as Error);
  }
}

/** Where one partition starts: its stored cursor, its checkpoint, and what tracks its new cursor. */
interface PartitionStart {
  readonly partition: Partition;
  readonly key: string;
  readonly storedCursor?: Cursor;
  readonly checkpoint?: Checkpoint;
  readonly tracker?: CursorTracker;
  /** With `incremental.stopAtCursor`: where the partition's pages end. */
  readonly cutoff?: CursorCutoff;
}

/** A checkpoint that resumes at `position`, with the cursor the partition has reached so far. */
function checkpointAt(position: PagePosition, tracker: CursorTracker | undefined): Checkpoint {
  return {
    next: position.request,
    pagesDone: position.pagesDone,
    recordsDone: position.recordsDone,
    pageToken: position.pageToken,
    ...(position.job ? { job: position.job } : {}),
    cursor: tracker?.value,
    savedAt: new Date().toISOString(),
  };
}

/** A run on demand asked for a partition the feed does not have. */
export class UnknownPartitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownPartition';
  }
}

/** Cumulative counts of the sink and the HTTP client at some point of an invocation. */
interface PassBaseline {
  readonly report: SinkReport;
  readonly requests: number;
  readonly retries: number;
}

const NO_BASELINE: PassBaseline = { report: { linesDelivered: 0, linesDeadLettered: 0, calls: 0, failedPuts: 0 }, requests: 0, retries: 0 };

function minusReport(total: SinkReport, before: SinkReport): SinkReport {
  return {
    linesDelivered: total.linesDelivered - before.linesDelivered,
    linesDeadLettered: total.linesDeadLettered - before.linesDeadLettered,
    calls: total.calls - before.calls,
    failedPuts: total.failedPuts - before.failedPuts,
    bytesBilled: (total.bytesBilled ?? 0) - (before.bytesBilled ?? 0),
    bytesDelivered: (total.bytesDelivered ?? 0) - (before.bytesDelivered ?? 0),
  };
}

/** One run of a feed once its lease is held: the partitions' work and the run's tally. */
class FeedRun {
  /** The cumulative counts once this run has finished (the next pass's baseline). */
  public after: PassBaseline = NO_BASELINE;
  private readonly delivers: boolean;
  /** What every page stream of the run shares: the HTTP client, auth, logging and the stop check. */
  private readonly streamOptions: Omit<PageStreamOptions, 'request' | 'pagination' | 'records'>;
  private pages = 0;
  private recordsFetched = 0;
  private recordsBeforeCursor = 0;
  private partitionsSkipped = 0;
  private readonly responseRules: ResponseRules | undefined;
  private stoppedEarly?: string;
  private resumeAt?: string;
  private readonly partitionsHeld: Partition[] = [];
  private readonly failures: PartitionFailure[] = [];
  private requestsDeadLettered = 0;
  private readonly committedCursors: Cursor[] = [];
  private checkpointsWritten = 0;
  /** Checkpoints of partitions the time budget stopped: written once every record is accepted. */
  private readonly pendingCheckpoints: Array<{ key: string; checkpoint: Checkpoint }> = [];
  /** With a schema: records become rows of its columns. */
  private readonly projector?: RowProjector;
  private readonly drift = { unknownFields: 0, typeMismatches: 0, recordsWithDrift: 0, recordsRejected: 0, examples: [] as string[] };
  /** With a transform: the records it runs on, each within the transform's bounds. */
  private readonly transform?: BoundedTransform;
  private readonly transformTally = { recordsOut: 0, recordsFiltered: 0, errors: 0 };
  /** Records dead-lettered by the run itself (transform errors, the freeze contract), not by the sink. */
  private recordsRejected = 0;
  private shortReads = 0;
  private cursorStalls = 0;
  private readonly warnings: string[] = [];
  /** With a schema: rows delivered, and per column rows with a value and values of the wrong type. */
  private readonly columnTally?: { rows: number; byColumn: Record<string, { nonNull: number; wrongType: number }> };

  /** In a window: the window's end, which a partition's cursor becomes once it completes the window. */
  private readonly windowEnd?: string;

  constructor(
    private readonly spec: FeedSpec,
    private readonly options: EngineOptions,
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly runTime: Date,
    /** The sink's and the HTTP client's counts before this run (an earlier pass's): this run's summary counts its own only. */
    private readonly before: PassBaseline = NO_BASELINE,
  ) {
    this.delivers = options.dryRun !== true;
    this.windowEnd = options.window?.end.toISOString();
    this.projector = spec.schema ? new RowProjector(spec.schema) : undefined;
    if (spec.schema) {
      const byColumn = Object.fromEntries(Object.keys(spec.schema.columns).map((name) => [name, { nonNull: 0, wrongType: 0 }]));
      this.columnTally = { rows: 0, byColumn };
    }
    this.responseRules = compileResponseRules(spec.responseRules);
    this.transform = spec.transform ? new BoundedTransform(spec.transform, spec.feed, { clock, deadline: options.deadline }) : undefined;
    const auth = createAuthenticator(spec.auth, {
      secrets: options.secrets,
      rotatingSecrets: options.rotatingSecrets,
      http,
      redactor: options.redactor,
      logger: options.logger,
      now: () => clock.now(),
    });
    this.streamOptions = {
      template: { runTime },
      http,
      auth,
      logger: options.logger,
      redactor: options.redactor,
      shouldStop: () => this.shouldStop(),
    };
  }

  /** The partitions this run fetches: the spec's list, or the records of its parent request (or the ones asked for among them). */
  public async partitions(): Promise<Partition[]> {
    const all = await resolvePartitions(this.spec, this.streamOptions);
    const only = this.options.onlyPartitions;
    if (!only) return all;
    const known = new Map(all.map((partition) => [partitionKey(partition), partition]));
    const unknown = only.filter((partition) => !known.has(partitionKey(partition)));
    if (unknown.length > 0) {
      throw new UnknownPartitionError(`${unknown.length} of the partitions asked for are not partitions of feed ${this.spec.feed} `
        + `(${unknown.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}): ask for partitions its spec lists or its parent request returns`);
    }
    return only.map((partition) => known.get(partitionKey(partition))!);
  }

  /** One partition: its pages into the sink, then its cursor committed, or its failure reported. */
  public async runPartition(partition: Partition): Promise<void> {
    const start = await this.startOf(partition);
    if (this.windowEnd !== undefined && start.storedCursor === this.windowEnd) {
      this.options.logger.info('the partition has already completed this window: skipped', { partition, windowEnd: this.windowEnd });
      return;
    }
    let end: PageStreamEnd;
    try {
      end = await this.deliverPages(start);
    } catch (err) {
      if (err instanceof SinkFailure) throw err.cause;
      await this.reportFailure(partition, err as Error);
      return;
    }
    if (end.skipped) {
      // Declared by the spec (a 404 for a deleted parent): not a failure; its cursor and checkpoint stay as they were.
      this.partitionsSkipped += 1;
      this.options.logger.info('partition skipped: its cursor and checkpoint stay as they were', { partition, rule: end.skipped });
    } else if (end.stoppedEarly) {
      this.holdCheckpoint(start, end.stoppedEarly.reason, end.stoppedEarly.resumeAt, end.stoppedEarly.notBefore);
    } else if (end.shortRead) {
      await this.reportShortRead(start, end.shortRead);
    } else if (this.delivers) {
      await this.commit(start);
    }
  }

  /** A warning for the summary and the log (the summary keeps the first few). */
  private warn(message: string, fields: Record<string, unknown>): void {
    this.options.logger.warn(message, fields);
    if (this.warnings.length < MAX_WARNINGS_KEPT) this.warnings.push(`${fields.partition ? `partition ${JSON.stringify(fields.partition)}: ` : ''}${message}`);
  }

  /**
   * Pagination ended short of the API's stated total: what arrived is delivered, but the cursor
   * stays (and a checkpoint goes), so the next run fetches the window again; duplicates keep their
   * `record_id`. The run is `partial`.
   */
  private async reportShortRead(start: PartitionStart, detail: string): Promise<void> {
    this.shortReads += 1;
    this.warn(`${detail}; the cursor stays, so the next run fetches this window again`, { partition: start.partition });
    if (!this.delivers) return;
    await this.options.sink.flush();
    if (start.checkpoint || this.checkpointsWritten > 0) await this.options.state.clearCheckpoint(this.spec.feed, start.key);
  }

  /** Ends what the run started beside its requests (the transform's worker thread). */
  public async close(): Promise<void> {
    await this.transform?.close();
  }

  /** Once every partition is done: the last records accepted, held checkpoints written, the summary. */
  public async finish(partitions: number, started: number): Promise<RunSummary> {
    const total = await this.options.sink.flush();
    this.after = { report: total, requests: this.http.requestCount, retries: this.http.retryCount };
    const report = minusReport(total, this.before.report);
    for (const { key, checkpoint } of this.pendingCheckpoints) {
      await this.options.state.putCheckpoint(this.spec.feed, key, checkpoint);
    }
    const failed = this.failures.length;
    const status = runStatus({
      partitions,
      partitionsFailed: failed,
      shortReads: this.shortReads,
      recordsDeadLettered: report.linesDeadLettered + this.recordsRejected,
      // A preview stops at its page limit by design: it commits nothing, so nothing is left behind.
      stoppedEarly: this.options.dryRun === true ? undefined : this.stoppedEarly,
    });
    const columns = this.columnStats();
    for (const name of columns?.empty ?? []) {
      this.warn(`column ${name} is empty in all ${columns!.rows} row(s) of the run: check its path in the schema (or the transform), `
        + 'or mark it "allowEmpty": true', { column: name });
    }
    return {
      feed: this.spec.feed,
      status,
      partitions,
      partitionsFailed: failed,
      failures: this.failures,
      pages: this.pages,
      recordsFetched: this.recordsFetched,
      recordsDelivered: report.linesDelivered,
      recordsDeadLettered: report.linesDeadLettered + this.recordsRejected,
      requestsDeadLettered: this.requestsDeadLettered,
      requests: this.http.requestCount - this.before.requests,
      retries: this.http.retryCount - this.before.retries,
      sinkCalls: report.calls,
      failedPuts: report.failedPuts,
      bytesDelivered: report.bytesDelivered ?? 0,
      bytesBilled: report.bytesBilled ?? 0,
      cursorsCommitted: this.committedCursors.length,
      checkpointsSaved: this.pendingCheckpoints.length,
      cursorLagSeconds: this.cursorLagSeconds(),
      stoppedEarly: this.stoppedEarly,
      resumeAt: this.resumeAt,
      partitionsHeld: this.partitionsHeld.length > 0 ? [...this.partitionsHeld] : undefined,
      schemaDrift: this.projector ? { ...this.drift } : undefined,
      transform: this.transform ? { recordsIn: this.recordsFetched, ...this.transformTally } : undefined,
      durationMs: this.clock.now() - started,
      shortReads: this.shortReads,
      cursorStalls: this.spec.incremental ? this.cursorStalls : undefined,
      recordsBeforeCursor: this.spec.incremental?.stopAtCursor ? this.recordsBeforeCursor : undefined,
      partitionsSkipped: this.spec.responseRules?.some((rule) => rule.action === 'skipPartition') ? this.partitionsSkipped : undefined,
      columns,
      warnings: this.warnings,
    };
  }

  private columnStats(): ColumnStats | undefined {
    if (!this.columnTally || !this.spec.schema) return undefined;
    const { rows, byColumn } = this.columnTally;
    const empty = rows === 0 ? [] : Object.entries(byColumn)
      .filter(([name, tally]) => tally.nonNull === 0 && this.spec.schema!.columns[name].allowEmpty !== true).map(([name]) => name);
    return { rows, byColumn: structuredClone(byColumn), empty };
  }

  /** A delivered row, counted column by column. */
  private countRow(row: { columns: Record<string, unknown>; wrongType: ReadonlyArray<string> }): void {
    const tally = this.columnTally!;
    tally.rows += 1;
    for (const name in tally.byColumn) {
      if (row.columns[name] !== null && row.columns[name] !== undefined) tally.byColumn[name].nonNull += 1;
    }
    for (const name of row.wrongType) tally.byColumn[name].wrongType += 1;
  }

  private shouldStop(): string | undefined {
    if (this.options.deadline !== undefined && this.clock.now() >= this.options.deadline) return 'time budget reached';
    return this.options.stopWhen?.({ pages: this.pages, records: this.recordsFetched });
  }

  private async startOf(partition: Partition): Promise<PartitionStart> {
    const { spec, options: { state, logger } } = this;
    const key = partitionKey(partition);
    const storedCursor = spec.incremental ? await state.getCursor(spec.feed, key) : undefined;
    const checkpoint = await state.getCheckpoint(spec.feed, key);
    if (checkpoint) {
      logger.info('resuming the partition from its checkpoint', { partition, pagesDone: checkpoint.pagesDone, savedAt: checkpoint.savedAt });
    }
    // In a window, the stored cursor only says the window is done: the window's start is where it begins.
    const from = checkpoint?.cursor ?? (this.windowEnd ? undefined : storedCursor);
    const tracker = spec.incremental ? new CursorTracker(spec.incremental, from) : undefined;
    // From the stored cursor, not a checkpoint's: newest first, a checkpoint holds the newest record seen.
    const window = this.options.window;
    const cutoff = spec.incremental?.stopAtCursor
      ? new CursorCutoff(spec.incremental, window ? window.start.toISOString() : requestCursor(spec.incremental, storedCursor))
      : undefined;
    return { partition, key, storedCursor, checkpoint, tracker, cutoff };
  }

  /** The partition's pages, each into the sink, with a checkpoint every so often; how the pages ended. */
  private async deliverPages(start: PartitionStart): Promise<PageStreamEnd> {
    const { spec } = this;
    const { partition, storedCursor, checkpoint, tracker, cutoff } = start;
    const pages = spec.export ? this.exportPages(start) : pageStream({
      ...this.streamOptions,
      template: this.templateFor(partition, storedCursor),
      resume: checkpoint ? {
        request: checkpoint.next,
        pagesDone: checkpoint.pagesDone,
        pageToken: checkpoint.pageToken,
        recordsDone: typeof checkpoint.recordsDone === 'number' ? checkpoint.recordsDone : undefined,
      } : undefined,
      request: spec.request,
      pagination: spec.pagination,
      records: spec.records,
      // Only a cursor field needs the records' values; the lines carry their texts.
      recordTextsOnly: !spec.incremental,
      lastPage: cutoff ? (records) => cutoff.lastPage(records) : undefined,
      rules: this.responseRules,
      // The feed's own pages only: a parent request that holds would leave partitions out unseen.
      holdOnRetryAfter: this.options.holdOnRetryAfter,
    });
    // In a run, the next page is fetched while this one is wrapped and sent: the API's latency
    // overlaps the poller's own work instead of adding to it. The time budget is checked when
    // a fetch starts, so a page fetched ahead may be processed just after the budget ran out:
    // one page, well within the margin kept back. A dry run fetches no page it will not show.
    const stream = this.delivers ? prefetchNext(pages) : pages;
    const checkpointPages = this.options.checkpointPages ?? CHECKPOINT_PAGES;
    let sinceCheckpoint = { bytes: 0, pages: 0 };
    let filesKept = checkpoint?.job?.filesDone ?? 0;
    try {
      for (;;) {
        const step = await stream.next();
        if (step.done) return step.value;
        sinceCheckpoint.bytes += await this.writePage(step.value, partition, tracker, cutoff);
        sinceCheckpoint.pages += 1;
        this.options.onPage?.({ pages: this.pages, records: this.recordsFetched });

        const next = step.value.next;
        // An export's result file delivered whole is kept at once: a resume starts at the next file.
        const fileDone = next?.job !== undefined && next.job.filesDone > filesKept;
        if (this.delivers && next && (fileDone || sinceCheckpoint.bytes >= CHECKPOINT_BYTES || sinceCheckpoint.pages >= checkpointPages)) {
          await this.saveCheckpoint(start, next);
          sinceCheckpoint = { bytes: 0, pages: 0 };
          filesKept = next.job?.filesDone ?? 0;
        }
      }
    } finally {
      // Stopped by an error: let the stream (and a page fetched ahead) clean up.
      await stream.return(undefined as never);
    }
  }

  /** An export job's result files as the partition's pages (see export-job.ts); the job kept in state as it goes. */
  private exportPages(start: PartitionStart): AsyncGenerator<Page, PageStreamEnd> {
    const { spec, options: { state } } = this;
    return exportJobPages({
      ...this.streamOptions,
      template: this.templateFor(start.partition, start.storedCursor),
      request: spec.request,
      pagination: spec.pagination,
      records: spec.records,
      export: spec.export!,
      job: start.checkpoint?.job,
      clock: this.clock,
      deadline: this.options.deadline,
      longestWaitMs: this.options.holdOnRetryAfter ? this.options.longestWaitMs : undefined,
      onJob: async (job) => {
        if (!this.delivers) return;
        if (job) await this.saveCheckpoint(start, { request: { url: spec.request.url, query: {} }, pagesDone: 0, job });
        else await state.clearCheckpoint(spec.feed, start.key);
      },
      onJobFailed: (message) => this.warn(message, { partition: start.partition }),
    });
  }

  /**
   * What the partition's request templates see: its fields, its cursor, and the run's window: a
   * backfill's, or from the cursor (lookback applied) to the run's time.
   */
  private templateFor(partition: Partition, storedCursor: Cursor | undefined): TemplateContext {
    const { incremental } = this.spec;
    const { window } = this.options;
    if (window) return { runTime: this.runTime, partition, cursor: window.start.toISOString(), window };
    const cursor = incremental ? requestCursor(incremental, storedCursor) : undefined;
    const liveWindow = incremental?.type === 'datetime' ? { start: new Date(String(cursor)), end: this.runTime } : undefined;
    return { runTime: this.runTime, partition, cursor, window: liveWindow };
  }

  /** One page's records, enveloped (or as rows of the schema), into the sink; the bytes written. */
  private async writePage(page: Page, partition: Partition, tracker: CursorTracker | undefined, cutoff?: CursorCutoff): Promise<number> {
    this.pages += 1;
    const { sink } = this.options;
    const envelopes = new EnvelopeWriter({ feed: this.spec.feed, fetchedAt: page.fetchedAt, sourceUrl: page.sourceUrl, partition });
    if (this.projector || this.transform) return this.writeValues(page, partition, tracker, envelopes, cutoff);
    // What each line is made from: the record's bytes in the response where the page was only
    // checked, else its text, else its value. Values are read only where needed: a page that was
    // only checked parses them then.
    const recordBytes = tracker ? undefined : page.recordBytes;
    const texts = recordBytes ? undefined : page.texts;
    const records = tracker || (!recordBytes && !texts) ? page.records : undefined;
    let bytes = 0;
    for (let index = 0; index < page.count; index++) {
      this.recordsFetched += 1;
      const record = records?.[index];
      if (cutoff?.isOlder(record)) {
        this.recordsBeforeCursor += 1;
        continue;
      }
      tracker?.observe(record);
      // A record with its bytes or text is written by the sink straight into its buffer.
      const line = recordBytes ? envelopes.encodableBytes(recordBytes.body, recordBytes.offsets[2 * index], recordBytes.offsets[2 * index + 1])
        : texts ? envelopes.encodable(texts[index]) : envelopes.line(record);
      bytes += line.length;
      const wait = sink.write(line);
      if (wait) await toSink(wait);
    }
    return bytes;
  }

  /**
   * One page's records through the transform and/or as rows of the schema: the path of a spec
   * with either, which needs the records' values. What cannot be written is never dropped: a
   * record the transform fails on, or that the `freeze` contract rejects, goes to the dead-letter
   * queue as its envelope line, with why; one the transform filters out is counted.
   */
  private async writeValues(
    page: Page, partition: Partition, tracker: CursorTracker | undefined, envelopes: EnvelopeWriter, cutoff?: CursorCutoff,
  ): Promise<number> {
    const { projector, transform } = this;
    const context = { feed: this.spec.feed, fetchedAt: page.fetchedAt, sourceUrl: page.sourceUrl, partition };
    const rows = projector ? new RowLineWriter(envelopes, context) : undefined;
    const { records, texts, recordBytes } = page;
    const rejected = new Rejections();
    // The page's records through the transform at once: one message to its worker thread, not one per record.
    const transformed = transform ? await transform.applyAll(records, partition) : undefined;
    let bytes = 0;
    for (let index = 0; index < page.count; index++) {
      this.recordsFetched += 1;
      const record = records[index];
      if (cutoff?.isOlder(record)) {
        this.recordsBeforeCursor += 1;
        continue;
      }
      tracker?.observe(record);
      // The record's JSON text as the API sent it (its id, its dead letter), decoded only when used.
      const textOf = (): string => texts?.[index]
        ?? (recordBytes ? recordBytes.body.toString('utf8', recordBytes.offsets[2 * index], recordBytes.offsets[2 * index + 1]) : JSON.stringify(record));
      let outputs: Array<{ value: unknown; json: string }>;
      if (transformed) {
        const result = transformed[index];
        if (!result.ok) {
          this.transformTally.errors += 1;
          rejected.add('transform', envelopes.line(record, textOf()), result.error);
          continue;
        }
        this.transformTally.recordsOut += result.texts.length;
        if (result.texts.length === 0) this.transformTally.recordsFiltered += 1;
        // The worker sends each record's JSON text: an envelope needs only that; a row reads its values.
        outputs = result.texts.map((json) => ({ value: projector ? JSON.parse(json) : undefined, json }));
      } else {
        const json = textOf();
        // A record with an integer beyond 2^53 is read again from its text, so that it stays exact.
        outputs = [{ value: projector && mayHoldLargeIntegers(json) ? parseExact(json) : record, json }];
      }
      for (const { value, json } of outputs) {
        let line: string;
        if (projector && rows) {
          const row = projector.project(value);
          this.countDrift(row.drift);
          if (row.rejected) {
            this.drift.recordsRejected += 1;
            rejected.add('schema', envelopes.line(value, json), row.rejected);
            continue;
          }
          this.countRow(row);
          line = rows.line(json, row.columns);
        } else {
          line = envelopes.line(value, json);
        }
        bytes += line.length;
        const wait = this.options.sink.write(line);
        if (wait) await toSink(wait);
      }
    }
    for (const batch of rejected.batches()) await this.deadLetterRecords(batch, partition);
    return bytes;
  }

  private countDrift(drift: { unknownFields: string[]; typeMismatches: string[] }): void {
    const found = drift.unknownFields.length + drift.typeMismatches.length;
    if (found === 0) return;
    this.drift.unknownFields += drift.unknownFields.length;
    this.drift.typeMismatches += drift.typeMismatches.length;
    this.drift.recordsWithDrift += 1;
    for (const example of [...drift.unknownFields.map((field) => `${field}: not in the schema`), ...drift.typeMismatches]) {
      if (this.drift.examples.length >= DRIFT_EXAMPLES) break;
      if (!this.drift.examples.includes(example)) this.drift.examples.push(example);
    }
  }

  /** Records the transform failed on or the schema rejected: dead-lettered as their envelope lines (in a dry run, only counted). */
  private async deadLetterRecords(batch: RejectedBatch, partition: Partition): Promise<void> {
    const { deadLetters, logger } = this.options;
    this.recordsRejected += batch.lines.length;
    const what = batch.kind === 'schema' ? 'schema contract' : 'transform';
    logger.warn(`records the ${what} rejected`, { partition, records: batch.lines.length, reason: batch.reason });
    if (!this.delivers) return;
    if (!deadLetters) {
      // Nowhere to keep them: fail the partition rather than lose them (its cursor stays).
      throw new Error(`${batch.lines.length} record(s) could not be written and there is no dead-letter queue to keep them: ${batch.reason}`);
    }
    await deadLetters.sendRecords({ lines: batch.lines.join(''), lineCount: batch.lines.length, error: batch.reason, attempts: 0 });
  }

  /** Where the partition is, recorded once everything written so far has been accepted. */
  private async saveCheckpoint(start: PartitionStart, next: PagePosition): Promise<void> {
    await toSink(this.options.sink.flush());
    await this.options.state.putCheckpoint(this.spec.feed, start.key, checkpointAt(next, start.tracker));
    this.checkpointsWritten += 1;
  }

  /** A partition the time budget stopped: not complete, so its cursor stays; it resumes at the next page. */
  private holdCheckpoint(start: PartitionStart, reason: string, resumeAt: PagePosition, notBefore?: string): void {
    this.stoppedEarly = reason;
    this.partitionsHeld.push(start.partition);
    if (notBefore !== undefined && (this.resumeAt === undefined || Date.parse(notBefore) < Date.parse(this.resumeAt))) this.resumeAt = notBefore;
    if (!this.delivers || (resumeAt.pagesDone === 0 && !resumeAt.job)) return;
    this.pendingCheckpoints.push({ key: start.key, checkpoint: checkpointAt(resumeAt, start.tracker) });
  }

  /**
   * The partition is complete: once its records are accepted, its cursor moves and its checkpoint
   * goes, so a crash later in the run does not fetch it again.
   */
  private async commit(start: PartitionStart): Promise<void> {
    const { spec, options: { sink, state } } = this;
    await sink.flush();
    // In a window, the cursor marks the window done for this partition (the live cursor is elsewhere).
    // A backfill's window starts where it says, not at the cursor: a stall is a live run's.
    const stall = start.tracker && this.windowEnd === undefined
      ? start.tracker.stall(requestCursor(spec.incremental!, start.storedCursor)) : undefined;
    if (stall) {
      this.cursorStalls += 1;
      this.warn(stall, { partition: start.partition });
    }
    const cursor = this.windowEnd ?? start.tracker?.value;
    if (cursor !== undefined && cursor !== start.storedCursor) {
      await state.putCursor(spec.feed, start.key, cursor);
      this.committedCursors.push(cursor);
    }
    if (start.checkpoint || this.checkpointsWritten > 0) {
      await state.clearCheckpoint(spec.feed, start.key);
    }
  }

  /** A partition's API failure: reported and dead-lettered with its request; the other partitions go on. */
  private async reportFailure(partition: Partition, err: Error): Promise<void> {
    const { logger, redactor, deadLetters } = this.options;
    const cause = err instanceof PageRequestError ? err.cause : err;
    const message = redactor.redact(cause.message);
    this.failures.push({ partition, error: message });
    logger.error('partition failed; the other partitions go on, its cursor stays where it was', { partition, error: message });
    if (deadLetters && err instanceof PageRequestError) {
      const attempts = cause instanceof HttpError ? cause.attempts : undefined;
      const retryAfter = cause instanceof HttpError ? cause.retryAfter : undefined;
      await deadLetters.sendRequest({ partition, request: err.request, error: message, attempts, retryAfter });
      this.requestsDeadLettered += 1;
    }
  }

  /** The newest committed datetime cursor's age in seconds: how far behind the feed is. */
  private cursorLagSeconds(): number | undefined {
    if (this.spec.incremental?.type !== 'datetime' || this.windowEnd !== undefined) return undefined;
    const newest = this.committedCursors.map((c) => Date.parse(String(c))).filter(Number.isFinite).sort((a, b) => b - a)[0];
    return newest !== undefined ? Math.max(0, Math.round((this.clock.now() - newest) / 1000)) : undefined;
  }
}

export async function runFeed(spec: FeedSpec, options: EngineOptions): Promise<RunSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const http = httpClientFor(spec, options, clock);
  const holder = options.holder ?? randomUUID();
  const leaseUntil = new Date((options.deadline ?? clock.now() + (options.leaseMs ?? 15 * 60_000)) + 60_000);
  const lease = await options.state.acquireLease(spec.feed, holder, leaseUntil, options.executionId);
  if (!lease.acquired) {
    http.close();
    const summary = skippedRun(spec.feed, lease, clock.now() - started);
    options.logger.info('run skipped', { feed: spec.feed, reason: summary.skipped });
    return summary;
  }
  let completedExecution: string | undefined;
  try {
    const summary = await runPasses(spec, options, http, clock, started);
    if (summary.status !== 'failed' && options.dryRun !== true) completedExecution = options.executionId;
    return summary;
  } finally {
    http.close();
    if (!options.keepLease) await options.state.releaseLease(spec.feed, holder, completedExecution);
  }
}

/** The run's passes under its lease: one, or with `repeat` one every interval until the next would start too late. */
async function runPasses(spec: FeedSpec, options: EngineOptions, http: HttpClient, clock: Clock, started: number): Promise<RunSummary> {
  const firstRunTime = options.runTime ?? new Date(clock.now());
  const passes: RunSummary[] = [];
  let baseline = NO_BASELINE;
  for (let pass = 0; ; pass += 1) {
    const passStarted = clock.now();
    // {{ run.time }} moves on with each pass, as if the schedule had fired then.
    const runTime = new Date(firstRunTime.getTime() + pass * (options.repeat?.intervalMs ?? 0));
    const run = new FeedRun(spec, options, http, clock, runTime, baseline);
    passes.push(await runEach(run, spec, await run.partitions(), passStarted));
    baseline = run.after;
    const last = passes[passes.length - 1];
    const next = passStarted + (options.repeat?.intervalMs ?? Number.POSITIVE_INFINITY);
    if (!options.repeat || last.status === 'failed' || last.stoppedEarly || next >= options.repeat.untilMs) break;
    if (options.deadline !== undefined && next >= options.deadline) break;
    if (next > clock.now()) await clock.sleep(next - clock.now());
  }
  if (passes.length === 1) return passes[0];
  // The feed's lag is the last pass's: how far behind it is now.
  const sum = sumRunSummaries(spec.feed, passes, clock.now() - started);
  return { ...sum, cursorLagSeconds: passes[passes.length - 1].cursorLagSeconds, passes: passes.length };
}

/**
 * The partitions a run of the feed would fetch (the spec's list, or the parent request's
 * records): a distributed run's plan. Takes no lease and fetches no page of the feed itself.
 */
export async function planPartitions(spec: FeedSpec, options: EngineOptions): Promise<Partition[]> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const http = httpClientFor(spec, options, clock);
  try {
    const run = new FeedRun(spec, options, http, clock, options.runTime ?? new Date());
    try {
      return await run.partitions();
    } finally {
      await run.close();
    }
  } finally {
    http.close();
  }
}

/**
 * Some partitions of a run, as one worker of a distributed run: cursors, checkpoints and dead
 * letters work as in `runFeed`, but no lease is taken (the run holds the feed's lease from its
 * plan to its aggregate step) and no execution is marked completed (the aggregate step does).
 */
export async function runPartitions(spec: FeedSpec, partitions: readonly Partition[], options: EngineOptions): Promise<RunSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const http = httpClientFor(spec, options, clock);
  try {
    return await runEach(new FeedRun(spec, options, http, clock, options.runTime ?? new Date()), spec, partitions, started);
  } finally {
    http.close();
  }
}

async function runEach(run: FeedRun, spec: FeedSpec, partitions: readonly Partition[], started: number): Promise<RunSummary> {
  try {
    const limit = pLimit(spec.partitions?.concurrency ?? 1);
    await Promise.all(partitions.map((partition) => limit(() => run.runPartition(partition))));
    return await run.finish(partitions.length, started);
  } finally {
    await run.close();
  }
}
