/**
 * Run state in a local JSON file (local runs), so the next local run is incremental and resumes
 * from checkpoints, with the same semantics as the DynamoDB store.
 *
 * Several processes may share the file (two `api-ingest backfill` runs on one `--out` folder):
 * every change is a read-modify-write under a lock file created exclusively (`wx`), and the run
 * lease lives in the file too, so two processes never run the same feed or backfill window at
 * once, and neither loses the other's cursors. A lease records the process that holds it: one
 * whose process has ended on this machine (Ctrl-C, a kill) is free at once, not at its expiry. So
 * is the lock of a process killed inside the few milliseconds it holds it (the lock file names its
 * process); one that names none, or a process elsewhere, is taken over after `STALE_LOCK_MS`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { giveLeaseBack, LeaseRecord, takeLease } from './lease-rules';
import { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

/** A lease as the file keeps it: with the process that holds it. */
interface FileLease extends LeaseRecord {
  readonly pid?: number;
  readonly host?: string;
}

interface StateFile {
  cursors: Record<string, Cursor>;
  checkpoints: Record<string, Checkpoint>;
  leases?: Record<string, FileLease>;
}

/** Whether process `pid` of this machine still runs (EPERM: it runs, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process named (of this machine) has ended; a process elsewhere, or none named, is not known to. */
function processEnded(owner: { readonly pid?: number; readonly host?: string } | undefined): boolean {
  return owner?.pid !== undefined && owner.host === hostname() && owner.pid !== process.pid && !isRunning(owner.pid);
}

/** A lease whose holding process has ended on this machine is free, whatever its expiry. */
function live(lease: FileLease | undefined): FileLease | undefined {
  return lease && processEnded(lease) ? { ...lease, expiresAt: 0 } : lease;
}

/** A lock older than this was left by a killed process (a change holds it for milliseconds). */
export const STALE_LOCK_MS = 10_000;
const LOCK_RETRY_MS = 5;

/** Waits without giving the event loop away: the lock is held for a synchronous read-modify-write only. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How long a change waits for the lock at most (another process holds it for milliseconds per change). */
export const MAX_LOCK_WAIT_MS = 60_000;

/** The state file cannot be used: it is not what this store writes (truncated, edited, or another file). */
export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateFileError';
  }
}

export interface FileStateStoreOptions {
  /**
   * Epoch ms after which a change no longer waits for the lock (the run's time budget): a lock
   * another process keeps holding fails the change with a clear error instead of blocking.
   * A change never waits more than MAX_LOCK_WAIT_MS either.
   * @default MAX_LOCK_WAIT_MS at each change
   */
  readonly deadline?: number;
}

/**
 * The file kept beside the state file: its previous version, from before the last change, so a
 * damaged state file can be restored by hand.
 */
export function previousStateFile(file: string): string {
  return `${file}.previous`;
}

export class FileStateStore implements StateStore {
  constructor(private readonly file: string, private readonly options: FileStateStoreOptions = {}) {}

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

  public async acquireLease(feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult> {
    let taken: LeaseResult = { acquired: true };
    this.update((s) => {
      const { result, next } = takeLease(live(s.leases?.[feed]), holder, expiresAt, executionId, Date.now());
      taken = result;
      if (next) s.leases = { ...s.leases, [feed]: { ...next, pid: process.pid, host: hostname() } };
    });
    return taken;
  }

  public async releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    this.update((s) => {
      const next = giveLeaseBack(s.leases?.[feed], holder, completedExecutionId);
      if (next) s.leases = { ...s.leases, [feed]: next };
    });
  }

  /**
   * The state, or an empty one when there is no file yet. A file that is not the state this store
   * writes (truncated by a full disk or a copy, edited by hand) stops the run: reading it as empty
   * would reset every cursor and fetch everything again, silently.
   */
  private read(): StateFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { cursors: {}, checkpoints: {} };
      throw err;
    }
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch (err) {
      throw this.damaged(`is not valid JSON (${(err as Error).message}; ${text.length} bytes: truncated?)`);
    }
    const isMap = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value);
    const file = state as Partial<StateFile>;
    if (!isMap(state) || !isMap(file.cursors) || !isMap(file.checkpoints) || (file.leases !== undefined && !isMap(file.leases))) {
      throw this.damaged('is not a state file of api-ingest (an object with "cursors" and "checkpoints")');
    }
    return state as StateFile;
  }

  private damaged(what: string): StateFileError {
    return new StateFileError(`the state file ${this.file} ${what}. The run stops rather than start every partition again from the spec's start: `
      + `restore it from ${previousStateFile(this.file)} (its version before the last change), or delete it to start over`);
  }

  /**
   * Read, change and write under the lock: to a new temporary file (created exclusively, so a file
   * or symlink planted at its name is never written through), then renamed over the state file, so
   * a crash never leaves a half-written one. The version it replaces is kept as `.previous`.
   */
  private update(change: (state: StateFile) => void): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const lock = `${this.file}.lock`;
    this.lock(lock);
    try {
      const state = this.read();
      change(state);
      const temporary = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const fd = openSync(temporary, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(state, null, 2));
      } finally {
        closeSync(fd);
      }
      this.keepPrevious();
      renameSync(temporary, this.file);
    } finally {
      unlinkSync(lock);
    }
  }

  /**
   * A hard link to the current version as `.previous` (a link, not a copy: nothing is written
   * through a symlink there). Best effort: a file system without hard links keeps no previous
   * version, and the state itself is still written.
   */
  private keepPrevious(): void {
    const previous = previousStateFile(this.file);
    try {
      unlinkSync(previous);
    } catch {
      // none yet
    }
    try {
      linkSync(this.file, previous);
    } catch {
      // no state file yet, or no hard links here
    }
  }

  private lock(lock: string): void {
    const giveUpAt = Math.min(this.options.deadline ?? Number.POSITIVE_INFINITY, Date.now() + MAX_LOCK_WAIT_MS);
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      try {
        if (this.abandoned(lock)) unlinkSync(lock);
      } catch {
        // Released (or taken over) meanwhile: try again.
      }
      if (Date.now() >= giveUpAt) {
        let owner = 'another process';
        try {
          owner = `process ${JSON.parse(readFileSync(lock, 'utf8')).pid ?? '?'}`;
        } catch { /* being written */ }
        throw new StateFileError(`the state file ${this.file} is locked by ${owner}, which kept it past this run's time budget: `
          + 'stop the other api-ingest process on this folder, or delete the lock file if none runs');
      }
      pause(LOCK_RETRY_MS);
    }
  }

  /** Whether a lock was left behind: by a process of this machine that has ended, or long ago. */
  private abandoned(lock: string): boolean {
    const age = Date.now() - statSync(lock).mtimeMs;
    let owner: { pid?: number; host?: string } | undefined;
    try {
      owner = JSON.parse(readFileSync(lock, 'utf8'));
    } catch {
      // Being written (or written by no one): only its age tells.
    }
    return age > STALE_LOCK_MS || processEnded(owner);
  }
}
