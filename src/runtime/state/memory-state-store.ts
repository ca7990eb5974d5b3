/** Run state for one process (previews, tests): the same semantics as the DynamoDB store, in memory. */
import { giveLeaseBack, LeaseRecord, takeLease } from './lease-rules';
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

/** State for one process (previews, tests): the same semantics, in memory. */
export class MemoryStateStore implements StateStore {
  public readonly cursors = new Map<string, Cursor>();
  public readonly checkpoints = new Map<string, Checkpoint>();
  private readonly leases = new Map<string, LeaseRecord>();

  public async getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined> {
    return this.cursors.get(`${feed}|${partitionKey}`);
  }

  public async putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    this.cursors.set(`${feed}|${partitionKey}`, cursor);
  }

  public async getCheckpoint(feed: string, partitionKey: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.get(`${feed}|${partitionKey}`);
  }

  public async putCheckpoint(feed: string, partitionKey: string, checkpoint: Checkpoint): Promise<void> {
    this.checkpoints.set(`${feed}|${partitionKey}`, checkpoint);
  }

  public async clearCheckpoint(feed: string, partitionKey: string): Promise<void> {
    this.checkpoints.delete(`${feed}|${partitionKey}`);
  }

  public async acquireLease(feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult> {
    const { result, next } = takeLease(this.leases.get(feed), holder, expiresAt, executionId, Date.now());
    if (next) this.leases.set(feed, next);
    return result;
  }

  public async releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    const next = giveLeaseBack(this.leases.get(feed), holder, completedExecutionId);
    if (next) this.leases.set(feed, next);
  }
}
