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

  constructor(private readonly spec: IncrementalSpec, stored: Cursor | undefined) {
    if (stored !== undefined) {
      const order = this.order(stored);
      if (order !== undefined) this.highest = { value: stored, order };
    }
  }

  public observe(record: unknown): void {
    const raw = queryFirst(record, this.spec.cursorPath);
    if (raw === undefined || raw === null) return;
    const value = typeof raw === 'number' ? raw : String(raw);
    const order = this.order(value);
    if (order !== undefined && (this.highest === undefined || order > this.highest.order)) {
      this.highest = { value, order };
    }
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
