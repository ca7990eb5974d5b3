/**
 * Where a feed's incremental cursors are kept, per partition. The engine commits a cursor only
 * after the sink has accepted every record up to it.
 */
export type Cursor = string | number;

export interface StateStore {
  getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined>;
  putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void>;
}

/** State for one run only (previews, tests). */
export class MemoryStateStore implements StateStore {
  public readonly cursors = new Map<string, Cursor>();

  public async getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined> {
    return this.cursors.get(`${feed}|${partitionKey}`);
  }

  public async putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    this.cursors.set(`${feed}|${partitionKey}`, cursor);
  }
}
