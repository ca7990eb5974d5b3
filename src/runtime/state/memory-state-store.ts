/** Run state for one process (previews, tests): the same semantics as the DynamoDB store, in memory. */
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

/** State for one process (previews, tests): the same semantics, in memory. */
export class MemoryStateStore implements StateStore {
  public readonly cursors = new Map<string, Cursor>();
  public readonly checkpoints = new Map<string, Checkpoint>();
  private readonly leases = new Map<string, { holder?: string; expiresAt: number; lastCompleted?: string }>();

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
    const lease = this.leases.get(feed);
    if (executionId !== undefined && lease?.lastCompleted === executionId) {
      return { acquired: false, reason: 'duplicate', executionId };
    }
    if (lease?.holder && lease.holder !== holder && lease.expiresAt > Date.now()) {
      return { acquired: false, reason: 'held', heldBy: lease.holder, expiresAt: new Date(lease.expiresAt).toISOString() };
    }
    this.leases.set(feed, { ...lease, holder, expiresAt: expiresAt.getTime() });
    return { acquired: true };
  }

  public async releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    const lease = this.leases.get(feed);
    if (lease?.holder === holder) {
      this.leases.set(feed, { expiresAt: 0, lastCompleted: completedExecutionId ?? lease.lastCompleted });
    }
  }
}
