import { parseFeedSpec } from '../../../src/feed-spec/feed-spec';
import { HttpClient } from '../../../src/runtime/engine/http-client';
import { allowedOrigins } from '../../../src/runtime/engine/origins';
import { Page, PageRequestError, pageStream, PageStreamEnd } from '../../../src/runtime/engine/page-stream';
import { SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { memoryLogger } from '../../helpers/memory-logger';

describe('pageStream', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/items': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        json(res, 200, { data: page <= 2 ? [{ id: page * 10 + 1 }, { id: page * 10 + 2 }] : [] });
      },
      '/broken': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        if (page === 1) json(res, 200, { data: [{ id: 1 }] });
        else json(res, 404, { error: 'gone' });
      },
    });
  });
  afterAll(() => api.close());

  /** Every page of a stream, and how it ended (the generator's return value). */
  async function streamPages(
    recordTextsOnly: boolean,
    options: { path?: string; shouldStop?: () => string | undefined } = {},
  ): Promise<{ pages: Page[]; end: PageStreamEnd }> {
    const spec = parseFeedSpec({
      version: 1,
      feed: 'items',
      request: { url: `${api.url}${options.path ?? '/items'}`, query: { key: 'not-secret' } },
      pagination: { type: 'pageNumber', param: 'page', stop: { emptyPage: true } },
      records: { path: 'data' },
    });
    const redactor = new SecretRedactor();
    const logger = memoryLogger();
    const http = new HttpClient({
      timeoutMs: 5_000,
      maxRetries: 0,
      maxResponseBytes: 1_000_000,
      allowedOrigins: allowedOrigins(spec),
      addressPolicy: { allowLoopback: true },
      logger,
      redactor,
    });
    const pages: Page[] = [];
    try {
      const stream = pageStream({
        request: spec.request,
        pagination: spec.pagination,
        records: spec.records,
        template: { runTime: new Date() },
        http,
        auth: { apply: async () => undefined, refresh: () => false },
        logger,
        redactor,
        recordTextsOnly,
        shouldStop: options.shouldStop,
      });
      for (;;) {
        const step = await stream.next();
        if (step.done) return { pages, end: step.value };
        pages.push(step.value);
      }
    } finally {
      http.close();
    }
  }

  test.each([true, false])('pages read through to their records, texts and next request (texts only: %s)', async (textsOnly) => {
    const { pages, end } = await streamPages(textsOnly);
    expect(end).toEqual({});
    expect(pages.map((p) => [p.count, p.texts, p.records])).toEqual([
      [2, ['{"id":11}', '{"id":12}'], [{ id: 11 }, { id: 12 }]],
      [2, ['{"id":21}', '{"id":22}'], [{ id: 21 }, { id: 22 }]],
      [0, [], []],
    ]);
    expect(pages.map((p) => p.next?.request.query.page)).toEqual(['2', '3', undefined]);
  });

  test('a page\'s getters live on a shared prototype, not on each page', async () => {
    // An object literal with getters closing over the page kept every page reachable from V8's
    // old generation until a major collection (docs/BENCHMARKS.md): pages and checked pages are
    // class instances instead. This fails if a literal with getters comes back.
    const { pages } = await streamPages(true);
    for (const page of pages) {
      expect(Object.getPrototypeOf(page)).toBe(Object.getPrototypeOf(pages[0]));
      for (const name of ['count', 'records', 'texts']) {
        expect(Object.getOwnPropertyDescriptor(page, name)).toBeUndefined();
      }
    }
    expect(Object.getPrototypeOf(pages[0])).not.toBe(Object.prototype);
  });

  test('asked to stop, it returns where the next pass resumes: the request not sent, the pages done', async () => {
    let asked = 0;
    const { pages, end } = await streamPages(true, { shouldStop: () => (++asked > 2 ? 'time budget reached' : undefined) });
    expect(pages).toHaveLength(2);
    expect(end.stoppedEarly?.reason).toBe('time budget reached');
    expect(end.stoppedEarly?.resumeAt.pagesDone).toBe(2);
    expect(end.stoppedEarly?.resumeAt.request.query).toEqual({ key: 'not-secret', page: '3' });
  });

  test('a page that fails throws the API\'s error with the request that failed, for the dead letter', async () => {
    const error = await streamPages(true, { path: '/broken' }).catch((err) => err);
    expect(error).toBeInstanceOf(PageRequestError);
    expect(error.request).toEqual({ method: 'GET', url: `${api.url}/broken?key=not-secret&page=2` });
    expect(error.cause.status).toBe(404);
    expect(error.message).toBe(error.cause.message);
  });
});
