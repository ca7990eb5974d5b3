/**
 * Run state in a local JSON file (local runs), so the next local run is incremental and resumes
 * from checkpoints, with the same semantics as the DynamoDB store.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemoryStateStore } from './memory-state-store';
import { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

interface StateFile {
  cursors: Record<string, Cursor>;
  checkpoints: Record<string, Checkpoint>;
}

export class FileStateStore implements StateStore {
  // Leases only guard one process's overlapping runs locally.
  private readonly leases = new MemoryStateStore();

  constructor(private readonly file: string) {}

  public async getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined> {
    return this.read().cursors[`${feed}|${partitionKey}`];
  }

  public async putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    this.update((s) => { s.cursors[`${feed}|${partitionKey}`] = cursor; });
  }

  public async getCheckpoint(feed: string, partitionKey: string): Promise<Checkpoint | undefined> {
    return this.read().checkpoints[`${feed}|${partitionKey}`];
  }

  public async putCheckpoint(feed: string, partitionKey: string, checkpoint: Checkpoint): Promise<void> {
    this.update((s) => { s.checkpoints[`${feed}|${partitionKey}`] = checkpoint; });
  }

  public async clearCheckpoint(feed: string, partitionKey: string): Promise<void> {
    this.update((s) => { delete s.checkpoints[`${feed}|${partitionKey}`]; });
  }

  public acquireLease(feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult> {
    return this.leases.acquireLease(feed, holder, expiresAt, executionId);
  }

  public releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    return this.leases.releaseLease(feed, holder, completedExecutionId);
  }

  private read(): StateFile {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return { cursors: {}, checkpoints: {} };
    }
  }

  /** Write-then-rename, so a crash never leaves a half-written state file. */
  private update(change: (state: StateFile) => void): void {
    const state = this.read();
    change(state);
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
