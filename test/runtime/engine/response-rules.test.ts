/**
 * Response rules against loopback APIs that answer as their documents say: GitHub's 404 for a
 * repository deleted since it was listed, Slack's HTTP 200 with `"ok": false`, a report endpoint
 * that answers 200 with a "still processing" status until the data is ready, and an API that
 * signals "no data" with a header on a 404.
 */
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingDeadLetters, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('response rules', () => {
  let api: LoopbackApi;
  let pendingAnswers = 0;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/repos/*': (_req, res, url) => {
        const repo = url.pathname.split('/')[2];
        if (repo === 'deleted') return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        return json(res, 200, [{ id: `${repo}-1`, updated_at: '2026-12-01T00:00:00Z' }]);
      },
      '/conversations.history': (_req, res) => json(res, 200, { ok: false, error: 'not_in_channel' }),
      '/reports/daily': (_req, res) => {
        if (pendingAnswers > 0) {
          pendingAnswers -= 1;
          return json(res, 200, { status: 'PROCESSING', retry_in: 1 });
        }
        return json(res, 200, { status: 'DONE', rows: [{ day: '2026-12-06', clicks: 7 }] });
      },
      '/metrics': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        if (page === 3) return res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'NoData' }).end('{"error":"no data"}');
        return json(res, 200, { data: [{ page, ts: `2026-12-0${page}T00:00:00Z` }] });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { api.requests.length = 0; pendingAnswers = 0; });

  test('skipPartition: a 404 for a deleted repository ends that partition without failure; its cursor stays; the others commit', async () => {
    const state = new MemoryStateStore();
    const deadLetters = new CollectingDeadLetters();
    const spec = baseSpec(`${api.url}/repos/{{ partition.repo }}/issues`, {
      request: { url: `${api.url}/repos/{{ partition.repo }}/issues`, query: { since: '{{ cursor }}' } },
      records: { path: '$' },
      partitions: { type: 'list', values: [{ repo: 'cdk' }, { repo: 'deleted' }, { repo: 'projen' }] },
      incremental: { cursorPath: 'updated_at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
      responseRules: [{ when: { status: [404, 410] }, action: 'skipPartition', reason: 'the repository was deleted' }],
    });
    const { summary, sink, logs } = await runSpec(spec, { state, deadLetters });
    expect(summary).toMatchObject({ status: 'succeeded', partitions: 3, partitionsFailed: 0, partitionsSkipped: 1, recordsDelivered: 2 });
    expect(sink.records.map((r) => r.id).sort()).toEqual(['cdk-1', 'projen-1']);
    expect(deadLetters.requests).toEqual([]);
    expect(await state.getCursor('test-feed', JSON.stringify({ repo: 'deleted' }))).toBeUndefined();
    expect(await state.getCursor('test-feed', JSON.stringify({ repo: 'cdk' }))).toBe('2026-12-01T00:00:00Z');
    expect(logs).toContainEqual(expect.objectContaining({
      message: 'partition skipped: its cursor and checkpoint stay as they were',
      fields: expect.objectContaining({ rule: 'response rule 1 (skipPartition): the repository was deleted' }),
    }));

    // Without the rule, the same 404 fails the partition: the run is partial, with a dead letter.
    const withoutRule = await runSpec({ ...spec, responseRules: undefined }, { deadLetters });
    expect(withoutRule.summary).toMatchObject({ status: 'partial', partitionsFailed: 1 });
    expect(withoutRule.summary.partitionsSkipped).toBeUndefined();
  });

  test('fail: Slack\'s HTTP 200 with "ok": false fails the partition at once, naming the rule, with a dead letter', async () => {
    const deadLetters = new CollectingDeadLetters();
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/conversations.history`, {
      records: { path: 'messages' },
      responseRules: [{ when: { bodyPath: 'ok', equals: false }, action: 'fail', reason: 'Slack said ok: false' }],
    }), { deadLetters });
    expect(summary).toMatchObject({ status: 'failed', requests: 1, retries: 0 });
    expect(summary.failures[0].error).toMatch(/answered HTTP 200, which response rule 1 \(fail\): Slack said ok: false: \{"ok":false,"error":"not_in_channel"\}/);
    expect(sink.records).toEqual([]);
    expect(deadLetters.requests).toHaveLength(1);
  });

  test('retry: a 200 that says the report is still processing is sent again with backoff until it is ready', async () => {
    pendingAnswers = 2;
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/reports/daily`, {
      records: { path: 'rows' },
      responseRules: [{ when: { status: 200, bodyPath: 'status', equals: 'PROCESSING' }, action: 'retry' }],
    }));
    expect(summary).toMatchObject({ status: 'succeeded', requests: 3, retries: 2 });
    expect(sink.records).toEqual([{ day: '2026-12-06', clicks: 7 }]);
  });

  test('retry: when the retries run out, the partition fails with the rule in its error', async () => {
    pendingAnswers = 100;
    const { summary } = await runSpec(baseSpec(`${api.url}/reports/daily`, {
      records: { path: 'rows' },
      limits: { maxRetries: 2 },
      responseRules: [{ when: { bodyPath: 'status', contains: 'PROCESS' }, action: 'retry' }],
    }));
    expect(summary).toMatchObject({ status: 'failed', requests: 3 });
    expect(summary.failures[0].error).toContain('which response rule 1 (retry)');
  });

  test('emptyPage: a 404 with X-Error-Code NoData ends pagination as an empty page; the partition completes and its cursor commits', async () => {
    const state = new MemoryStateStore();
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/metrics`, {
      request: { url: `${api.url}/metrics`, query: { from: '{{ cursor }}' } },
      pagination: { type: 'pageNumber', param: 'page' },
      incremental: { cursorPath: 'ts', type: 'datetime', start: '2026-12-01T00:00:00Z' },
      responseRules: [{ when: { status: 404, header: 'X-Error-Code', equals: 'NoData' }, action: 'emptyPage' }],
    }), { state });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 2, recordsDelivered: 2 });
    expect(sink.records.map((r) => r.page)).toEqual([1, 2]);
    expect(await state.getCursor('test-feed', '-')).toBe('2026-12-02T00:00:00Z');
  });

  test('a rule whose header value differs does not apply: the 404 fails as without rules', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/metrics`, {
      pagination: { type: 'pageNumber', param: 'page' },
      responseRules: [{ when: { status: 404, header: 'X-Error-Code', equals: 'Throttled' }, action: 'emptyPage' }],
    }));
    expect(summary.status).toBe('failed');
    expect(summary.failures[0].error).toMatch(/answered HTTP 404/);
  });
});
