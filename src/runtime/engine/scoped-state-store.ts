/**
 * A feed's state kept under another name: a backfill window's cursors, checkpoints and lease
 * live apart from the live feed's, in the same store, so a backfill never reads or moves the
 * live cursor and a window resumes from its own checkpoints.
 */
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

export class ScopedStateStore implements StateStore {
  /** Every call, whatever feed it names, reads and writes the state of `name` in `inner`. */
  constructor(private readonly inner: StateStore, public readonly name: string) {}

  public getCursor(_feed: string, partitionKey: string): Promise<Cursor | undefined> {
    return this.inner.getCursor(this.name, partitionKey);
  }

  public putCursor(_feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    return this.inner.putCursor(this.name, partitionKey, cursor);
  }

  public getCheckpoint(_feed: string, partitionKey: string): Promise<Checkpoint | undefined> {
    return this.inner.getCheckpoint(this.name, partitionKey);
  }

  public putCheckpoint(_feed: string, partitionKey: string, checkpoint: Checkpoint): Promise<void> {
    return this.inner.putCheckpoint(this.name, partitionKey, checkpoint);
  }

  public clearCheckpoint(_feed: string, partitionKey: string): Promise<void> {
    return this.inner.clearCheckpoint(this.name, partitionKey);
  }

  public acquireLease(_feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult> {
    return this.inner.acquireLease(this.name, holder, expiresAt, executionId);
  }

  public releaseLease(_feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    return this.inner.releaseLease(this.name, holder, completedExecutionId);
  }
}
