/**
 * Incremental cursors: where a run starts (the stored cursor, or the spec's start, minus the
 * lookback window for late-arriving data) and the highest cursor seen in the records.
 */
import { queryFirst } from './json-path';
import type { IncrementalSpec } from '../../feed-spec/feed-spec';
import type { Cursor } from '../ports/state-store';

/** The cursor a run requests from: stored (or start), moved back by the lookback window. */
export function requestCursor(spec: IncrementalSpec, stored: Cursor | undefined): Cursor {
  const base = stored ?? spec.start;
  if (spec.type === 'number') {
    return Number(base) - (spec.lookback ?? 0);
  }
  const lookbackSeconds = spec.lookbackSeconds ?? 0;
  if (lookbackSeconds === 0) {
    return String(base);
  }
  return new Date(Date.parse(String(base)) - lookbackSeconds * 1000).toISOString();
}

/** Tracks the highest cursor value among the records of one partition's run. */
export class CursorTracker {
  private highest: { value: Cursor; order: number } | undefined;
  /** Records observed, those without a readable cursor value, and the highest value among them (not the stored one). */
  private observed = 0;
  private withoutCursor = 0;
  private highestSeen: { value: Cursor; order: number } | undefined;

  constructor(private readonly spec: IncrementalSpec, stored: Cursor | undefined) {
    if (stored !== undefined) {
      const order = this.order(stored);
      if (order !== undefined) this.highest = { value: stored, order };
    }
  }

  public observe(record: unknown): void {
    this.observed += 1;
    const raw = queryFirst(record, this.spec.cursorPath);
    const value = raw === undefined || raw === null ? undefined : typeof raw === 'number' ? raw : String(raw);
    const order = value === undefined ? undefined : this.order(value);
    if (order === undefined) {
      this.withoutCursor += 1;
      return;
    }
    if (this.highestSeen === undefined || order > this.highestSeen.order) this.highestSeen = { value: value!, order };
    if (this.highest === undefined || order > this.highest.order) {
      this.highest = { value: value!, order };
    }
  }

  /**
   * Why the cursor cannot move although records arrived, or undefined: no record had a readable
   * cursor value (every run would fetch the same records again), or every record was older than
   * the cursor the run asked from (an API that ignores the filter, or a cursor that went backwards).
   */
  public stall(requestedFrom: Cursor): string | undefined {
    if (this.observed === 0) return undefined;
    if (this.withoutCursor === this.observed) {
      return `${this.observed} record(s) arrived but none has a readable ${this.spec.type} at "${this.spec.cursorPath}": the cursor cannot advance, `
        + 'and every run fetches the same records again; check incremental.cursorPath';
    }
    const from = this.order(requestedFrom);
    if (this.highestSeen && from !== undefined && this.highestSeen.order < from) {
      return `every record is older than the cursor the run asked from (newest ${String(this.highestSeen.value)} < ${String(requestedFrom)}): `
        + 'the cursor went backwards for these records; does the API apply the cursor parameter?';
    }
    return undefined;
  }

  /** The cursor to commit after the run, as the API wrote it (undefined: nothing seen). */
  public get value(): Cursor | undefined {
    return this.highest?.value;
  }

  private order(value: Cursor): number | undefined {
    const n = this.spec.type === 'number' ? Number(value) : Date.parse(String(value));
    return Number.isFinite(n) ? n : undefined;
  }
}

/**
 * `incremental.stopAtCursor`: for an API that lists newest first and cannot filter (or ignores
 * the filter), the records older than the cursor the run asked from are not delivered, and the
 * page that holds the first of them is the last one asked for: everything after it is older still.
 */
export class CursorCutoff {
  private readonly from: number;

  constructor(private readonly spec: IncrementalSpec, from: Cursor) {
    this.from = spec.type === 'number' ? Number(from) : Date.parse(String(from));
  }

  /** True for a record older than the cutoff: not to be delivered. A record without a readable value is delivered. */
  public isOlder(record: unknown): boolean {
    const raw = queryFirst(record, this.spec.cursorPath);
    if (raw === undefined || raw === null) return false;
    const order = this.spec.type === 'number' ? Number(raw) : Date.parse(String(raw));
    return Number.isFinite(order) && order < this.from;
  }

  /** Why a page is the last: it holds records older than the cutoff (see `PageStreamOptions.lastPage`). */
  public lastPage(records: unknown[]): string | undefined {
    return records.some((record) => this.isOlder(record)) ? 'the page reached records older than the cursor (stopAtCursor)' : undefined;
  }
}
