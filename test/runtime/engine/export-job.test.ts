/**
 * Export jobs against loopback APIs that behave as their documents say: a Salesforce Bulk API 2.0
 * query job (create, poll `state` until `JobComplete`, CSV results paged by `Sforce-Locator`),
 * and a report API whose ready status lists pre-signed result URLs on another host (as Amazon
 * SP-API reports and Stripe report runs do). Time is a fake clock: the waits are asserted, not slept.
 */
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, readBody, runSpec } from '../../helpers/engine-harness';
import { FakeClock } from '../../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const JOB_PATH = '/services/data/v60.0/jobs/query';

describe('export jobs', () => {
  let api: LoopbackApi;
  let files: LoopbackApi;
  let created: Array<{ query: string }> = [];
  let pollsUntilReady = 0;
  let failNextJobs = 0;
  let fileFailures = 0;
  let jobs = 0;
  const accounts = Array.from({ length: 5 }, (_, i) => ({ Id: `001${i}`, Name: `Account ${i}`, SystemModstamp: `2026-12-0${i + 1}T00:00:00.000Z` }));
  const csv = (rows: typeof accounts) => `"Id","Name","SystemModstamp"\n${rows.map((r) => `"${r.Id}","${r.Name}","${r.SystemModstamp}"`).join('\n')}\n`;

  beforeAll(async () => {
    files = await startLoopbackApi({
      '/reports/*': (req, res, url) => {
        if (req.headers.authorization) return json(res, 400, { error: 'a pre-signed URL takes no Authorization header' });
        if (url.searchParams.get('X-Amz-Signature') !== 'sig') return json(res, 403, { error: 'bad signature' });
        const part = url.pathname.endsWith('part-1.ndjson') ? accounts.slice(0, 3) : accounts.slice(3);
        if (url.pathname.endsWith('part-2.ndjson') && fileFailures > 0) {
          fileFailures -= 1;
          return json(res, 503, { error: 'slow down' });
        }
        return res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(part.map((r) => JSON.stringify(r)).join('\n'));
      },
    });
    api = await startLoopbackApi({
      [JOB_PATH]: async (req, res) => {
        const body = JSON.parse(await readBody(req));
        created.push(body);
        jobs += 1;
        return json(res, 200, { id: `750R0000000zlh${jobs}IAA`, operation: 'query', state: 'UploadComplete' });
      },
      [`${JOB_PATH}/*`]: (req, res, url) => {
        if (req.headers.authorization !== 'Bearer sf-token') return json(res, 401, [{ errorCode: 'INVALID_SESSION_ID' }]);
        const [, id, results] = url.pathname.slice(JOB_PATH.length).split('/');
        if (id === 'expired') return json(res, 404, [{ errorCode: 'NOT_FOUND' }]);
        if (results === 'results') {
          const locator = url.searchParams.get('locator');
          res.setHeader('Sforce-Locator', locator ? 'null' : 'MTAwMDA');
          res.setHeader('content-type', 'text/csv');
          return res.end(csv(locator ? accounts.slice(2) : accounts.slice(0, 2)));
        }
        if (failNextJobs > 0) {
          failNextJobs -= 1;
          return json(res, 200, { id, state: 'Failed', errorMessage: 'INVALID_FIELD: No such column' });
        }
        if (pollsUntilReady > 0) {
          pollsUntilReady -= 1;
          return json(res, 200, { id, state: 'InProgress' });
        }
        return json(res, 200, {
          id,
          state: 'JobComplete',
          files: [{ url: `${files.url}/reports/${id}/part-1.ndjson?X-Amz-Signature=sig` }, { url: `${files.url}/reports/${id}/part-2.ndjson?X-Amz-Signature=sig` }],
        });
      },
    });
  });
  afterAll(async () => { await api.close(); await files.close(); });
  beforeEach(() => {
    created = []; pollsUntilReady = 0; failNextJobs = 0; fileFailures = 0; jobs = 0;
    api.requests.length = 0; files.requests.length = 0;
  });

  const salesforce = (overrides: Record<string, unknown> = {}) => baseSpec(`${api.url}${JOB_PATH}`, {
    request: {
      url: `${api.url}${JOB_PATH}`,
      method: 'POST',
      body: { operation: 'query', query: 'SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp > {{ cursor }}' },
    },
    auth: { type: 'bearer', secret: { arn: 'sf' } },
    records: { format: 'csv' },
    incremental: { cursorPath: 'SystemModstamp', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    export: {
      jobIdPath: 'id',
      status: { url: `${api.url}${JOB_PATH}/{{ job.id }}`, path: 'state', ready: ['JobComplete'], failed: ['Failed', 'Aborted'], errorPath: 'errorMessage' },
      results: { url: `${api.url}${JOB_PATH}/{{ job.id }}/results`, locator: { header: 'Sforce-Locator', param: 'locator' } },
      pollSeconds: 5,
    },
    ...overrides,
  });
  const secrets = { sf: 'sf-token' };

  test('Salesforce Bulk 2.0: create with the cursor, poll with backoff, CSV results over two locator parts; the cursor commits after both', async () => {
    pollsUntilReady = 3;
    const state = new MemoryStateStore();
    const clock = new FakeClock();
    const { summary, sink } = await runSpec(salesforce(), { secrets, state, clock });
    expect(summary).toMatchObject({ status: 'succeeded', pages: 2, recordsDelivered: 5 });
    expect(created).toEqual([{ operation: 'query', query: 'SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp > 2026-01-01T00:00:00Z' }]);
    expect(clock.sleeps).toEqual([5000, 10000, 20000]);
    expect(sink.records.map((r) => r.Id)).toEqual(['0010', '0011', '0012', '0013', '0014']);
    expect(api.requests.filter((r) => r.path.includes('/results')).map((r) => r.path.split('/results')[1])).toEqual(['', '?locator=MTAwMDA']);
    expect(await state.getCursor('test-feed', '-')).toBe('2026-12-05T00:00:00.000Z');
    expect(await state.getCheckpoint('test-feed', '-')).toBeUndefined();
  });

  test('a job still running at the time budget is kept: the next run polls it instead of creating another', async () => {
    pollsUntilReady = 100;
    const state = new MemoryStateStore();
    const clock = new FakeClock();
    const first = await runSpec(salesforce(), { secrets, state, clock, deadline: clock.now() + 30_000 });
    expect(first.summary.stoppedEarly).toMatch(/^export job 750R0000000zlh1IAA is still InProgress at the run's time budget/);
    expect(first.summary.recordsDelivered).toBe(0);
    expect((await state.getCheckpoint('test-feed', '-'))?.job).toMatchObject({ id: '750R0000000zlh1IAA', filesDone: 0 });
    expect(await state.getCursor('test-feed', '-')).toBeUndefined();

    pollsUntilReady = 1;
    const second = await runSpec(salesforce(), { secrets, state, clock: new FakeClock() });
    expect(second.summary).toMatchObject({ status: 'succeeded', recordsDelivered: 5 });
    expect(created).toHaveLength(1);
    expect(api.requests.filter((r) => r.method === 'GET' && r.path === `${JOB_PATH}/750R0000000zlh1IAA`).length).toBeGreaterThan(1);
    expect(await state.getCheckpoint('test-feed', '-')).toBeUndefined();
  });

  test('a failed job is reported and created again once; failing again fails the partition and clears the job', async () => {
    failNextJobs = 1;
    const state = new MemoryStateStore();
    const once = await runSpec(salesforce(), { secrets, state, clock: new FakeClock() });
    expect(once.summary).toMatchObject({ status: 'succeeded', recordsDelivered: 5 });
    expect(once.summary.warnings).toEqual(['export job 750R0000000zlh1IAA Failed (INVALID_FIELD: No such column): created again once']);
    expect(created).toHaveLength(2);

    failNextJobs = 2;
    created = [];
    const twice = await runSpec(salesforce(), { secrets, state, clock: new FakeClock() });
    expect(twice.summary.status).toBe('failed');
    expect(twice.summary.failures[0].error).toMatch(/^export job 750R0000000zlh4IAA Failed \(INVALID_FIELD: No such column\); it was already created again once/);
    expect(created).toHaveLength(2);
    expect(await state.getCheckpoint('test-feed', '-')).toBeUndefined();
  });

  test('result files on another host: fetched only if allowed, without the API\'s credentials; the cursor waits for every file', async () => {
    const report = (allowed: boolean) => salesforce({
      records: { format: 'ndjson' },
      export: {
        jobIdPath: 'id',
        status: { url: `${api.url}${JOB_PATH}/{{ job.id }}`, path: 'state', ready: ['JobComplete'] },
        results: { urlsPath: 'files[*].url' },
      },
      limits: { maxRetries: 1, ...(allowed ? { allowedHosts: [new URL(files.url).host] } : {}) },
    });
    const refused = await runSpec(report(false), { secrets, clock: new FakeClock() });
    expect(refused.summary.status).toBe('failed');
    expect(refused.summary.failures[0].error).toMatch(/requests to http:\/\/127\.0\.0\.1:\d+ are not allowed/);
    expect(files.requests).toHaveLength(0);

    // The second file fails past its retries: the first is delivered, the cursor stays, the job is kept with one file done.
    fileFailures = 10;
    const state = new MemoryStateStore();
    const partial = await runSpec(report(true), { secrets, state, clock: new FakeClock() });
    expect(partial.summary).toMatchObject({ status: 'failed', recordsDelivered: 3 });
    expect(files.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(await state.getCursor('test-feed', '-')).toBeUndefined();
    expect((await state.getCheckpoint('test-feed', '-'))?.job).toMatchObject({ filesDone: 1 });

    fileFailures = 0;
    files.requests.length = 0;
    const resumed = await runSpec(report(true), { secrets, state, clock: new FakeClock() });
    expect(resumed.summary).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
    expect(files.requests.map((r) => r.path.split('?')[0].split('/').pop())).toEqual(['part-2.ndjson']);
    expect(await state.getCursor('test-feed', '-')).toBe('2026-12-05T00:00:00.000Z');
  });
});
