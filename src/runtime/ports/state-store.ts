/**
 * Port: a feed's run state: incremental cursors and checkpoints per partition, and the run lease.
 *
 * - A cursor is committed only after the sink accepted every record up to it.
 * - A checkpoint is where a partition stopped when the run's time budget ran out: the next
 *   page's request and the highest cursor so far. The next run resumes there, so a backfill
 *   larger than one run completes over several runs with nothing lost or repeated.
 * - The lease makes overlapping invocations of one feed exclusive; it also remembers the last
 *   completed scheduler execution, so a late duplicate delivery of a finished run does nothing.
 */
export type Cursor = string | number;

/** The request of the page to fetch next (pagination may have changed URL, query or body). */
export interface CheckpointRequest {
  readonly url: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface Checkpoint {
  readonly next: CheckpointRequest;
  /** Pages fetched so far in this pass over the partition (page-number and offset pagination continue from it). */
  readonly pagesDone: number;
  /** Records in those pages (a short read is told against the API's stated total). */
  readonly recordsDone?: number;
  /** The highest cursor delivered so far in this pass. */
  readonly cursor?: Cursor;
  /** The page token of cursor pagination, for requests that carry it in a template (a number where the API sent one). */
  readonly pageToken?: string | number;
  /** An export job under way: the next run polls it (or downloads its files) instead of creating another. */
  readonly job?: ExportJobState;
  readonly savedAt: string;
}

/** An export job that a run created and the next run may go on with. */
export interface ExportJobState {
  /** The job's id, as the API gave it (a template value: encoded wherever it is used). */
  readonly id: string;
  readonly createdAt: string;
  /** Result files already delivered, in the order the status answer lists them. */
  readonly filesDone: number;
  /** The job was created again after one failed or expired (once per job). */
  readonly recreated?: boolean;
  /** The wait before its next status poll, where a run left it waiting (the doubling goes on from there). */
  readonly pollDelayMs?: number;
}

export type LeaseResult =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly reason: 'held'; readonly heldBy: string; readonly expiresAt: string }
  | { readonly acquired: false; readonly reason: 'duplicate'; readonly executionId: string };

export interface StateStore {
  getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined>;
  putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void>;
  getCheckpoint(feed: string, partitionKey: string): Promise<Checkpoint | undefined>;
  putCheckpoint(feed: string, partitionKey: string, checkpoint: Checkpoint): Promise<void>;
  clearCheckpoint(feed: string, partitionKey: string): Promise<void>;
  /**
   * Takes the feed's run lease until `expiresAt` unless another holder has it, or `executionId`
   * is the last execution that completed.
   */
  acquireLease(feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult>;
  /** Gives the lease back; records `completedExecutionId` when the run completed. */
  releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void>;
}
