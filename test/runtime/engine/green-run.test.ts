/**
 * "Green means right": a run reports `succeeded` only when what the API offered is delivered.
 * Short reads against a stated total, cursors that cannot advance, columns empty in every row and
 * a `null` records path on the last page, each against a loopback API that behaves so.
 */
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('a run that says succeeded has delivered what the API offered', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      // Says it has 5 records in 3 pages, but its second page is the last (a record was deleted mid-way).
      '/short': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        const data = page === 1 ? [{ id: 1, at: '2026-11-01T00:00:00Z' }, { id: 2, at: '2026-11-02T00:00:00Z' }] : page === 2 ? [{ id: 3, at: '2026-11-03T00:00:00Z' }] : [];
        json(res, 200, { data, meta: { total: 5, total_pages: 3 } });
      },
      // 3 pages, stated; no page past them exists (a 404 there would fail the run).
      '/paged': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        if (page > 3) { json(res, 404, { error: 'no such page' }); return; }
        json(res, 200, { data: [{ id: page }], meta: { total_pages: '3' } });
      },
      // Says 4 pages; its third is empty (the data ended early).
      '/pages-short': (_req, res, url) => { const page = Number(url.searchParams.get('page')); json(res, 200, { data: page < 3 ? [{ id: page }] : [], meta: { total_pages: 4 } }); },
      // Ends its data with "data": null.
      '/null-end': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        json(res, 200, { data: page === 1 ? [{ id: 1 }, { id: 2 }] : null });
      },
      '/no-cursor': (_req, res) => json(res, 200, { data: [{ id: 1, updated: 'yesterday' }, { id: 2 }] }),
      // Ignores the since parameter: always the same old records.
      '/ignores-since': (_req, res) => json(res, 200, { data: [{ id: 1, at: '2025-01-01T00:00:00Z' }, { id: 2, at: '2025-01-02T00:00:00Z' }] }),
      '/quotes': (_req, res) => json(res, 200, { data: [{ symbol: 'ACME', price: 1.5, venue: null }, { symbol: 'INIT', price: 'halted' }] }),
    });
  });
  afterAll(() => api.close());

  const incremental = { cursorPath: 'at', type: 'datetime' as const, start: '2026-01-01T00:00:00Z' };

  test('fewer records than the API stated (totalPath): partial with both numbers, and the cursor stays', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runSpec(baseSpec(`${api.url}/short?since={{ cursor }}`, {
      pagination: { type: 'pageNumber', param: 'page', stop: { totalPath: 'meta.total' } }, incremental,
    }), { state });
    expect(summary).toMatchObject({ status: 'partial', shortReads: 1, recordsDelivered: 3, cursorsCommitted: 0 });
    expect(summary.warnings).toEqual([expect.stringContaining('short read: 3 of the 5 records the API stated (meta.total)')]);
    expect(await state.getCursor('test-feed', '-')).toBeUndefined();
  });

  test('fewer pages than the API stated (totalPagesPath): partial', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/pages-short`, {
      pagination: { type: 'pageNumber', param: 'page', stop: { totalPagesPath: 'meta.total_pages' } },
    }));
    expect(summary).toMatchObject({ status: 'partial', shortReads: 1, recordsDelivered: 2 });
    expect(summary.warnings![0]).toContain('short read: 3 of the 4 pages the API stated (meta.total_pages)');
  });

  test('the totalPagesPath stop rule stops at the stated page count, without asking for a page past it', async () => {
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/paged`, {
      pagination: { type: 'pageNumber', param: 'page', stop: { totalPagesPath: 'meta.total_pages' } },
    }));
    expect(summary).toMatchObject({ status: 'succeeded', pages: 3, shortReads: 0 });
    expect(sink.records.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  test('a null records path on the last page fails the partition unless the spec says null is an empty page', async () => {
    const pagination = { type: 'pageNumber' as const, param: 'page' };
    const strict = await runSpec(baseSpec(`${api.url}/null-end`, { pagination }));
    expect(strict.summary.status).toBe('failed');
    expect(strict.summary.failures[0].error).toMatch(/records path "data" matched a null/);
    const lenient = await runSpec(baseSpec(`${api.url}/null-end`, { pagination, records: { path: 'data', nullIsEmpty: true } }));
    expect(lenient.summary).toMatchObject({ status: 'succeeded', recordsDelivered: 2, pages: 2 });
  });

  test('records without a readable cursor value: a cursor stall is reported, not silence', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/no-cursor?since={{ cursor }}`, { incremental: { ...incremental, cursorPath: 'updated' } }));
    expect(summary).toMatchObject({ status: 'succeeded', cursorStalls: 1, cursorsCommitted: 0 });
    expect(summary.warnings![0]).toMatch(/2 record\(s\) arrived but none has a readable datetime at "updated"/);
  });

  test('records all older than the cursor asked from (an API that ignores it): a cursor stall is reported', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/ignores-since?since={{ cursor }}`, { incremental }));
    expect(summary.cursorStalls).toBe(1);
    expect(summary.warnings![0]).toMatch(/every record is older than the cursor the run asked from \(newest 2025-01-02T00:00:00Z < 2026-01-01T00:00:00Z\)/);
  });

  test('new records after the cursor: no stall', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/short?since={{ cursor }}`, {
      pagination: { type: 'pageNumber', param: 'page' }, incremental,
    }));
    expect(summary).toMatchObject({ status: 'succeeded', cursorStalls: 0, warnings: [] });
  });

  test('column statistics: rows, filled and wrong-type counts; a column empty in every row is a warning unless allowed', async () => {
    const columns = { symbol: { type: 'string' as const }, price: { type: 'number' as const }, venue: { type: 'string' as const }, bid: { type: 'number' as const, path: 'quote.bid' } };
    const { summary } = await runSpec(baseSpec(`${api.url}/quotes`, { schema: { columns } }));
    expect(summary.columns).toEqual({
      rows: 2,
      byColumn: {
        symbol: { nonNull: 2, wrongType: 0 },
        price: { nonNull: 1, wrongType: 1 },
        venue: { nonNull: 0, wrongType: 0 },
        bid: { nonNull: 0, wrongType: 0 },
      },
      empty: ['venue', 'bid'],
    });
    expect(summary.warnings).toEqual([
      expect.stringMatching(/^column venue is empty in all 2 row\(s\) of the run/),
      expect.stringMatching(/^column bid is empty in all 2 row\(s\) of the run/),
    ]);
    const allowed = await runSpec(baseSpec(`${api.url}/quotes`, { schema: { columns: { ...columns, venue: { type: 'string', allowEmpty: true } } } }));
    expect(allowed.summary.columns!.empty).toEqual(['bid']);
  });
});
