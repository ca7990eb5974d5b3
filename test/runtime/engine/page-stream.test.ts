import { parseFeedSpec } from '../../../src/feed-spec/feed-spec';
import { HttpClient } from '../../../src/runtime/engine/http-client';
import { allowedOrigins } from '../../../src/runtime/engine/origins';
import { Page, pageStream } from '../../../src/runtime/engine/page-stream';
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
    });
  });
  afterAll(() => api.close());

  async function streamPages(recordTextsOnly: boolean): Promise<Page[]> {
    const spec = parseFeedSpec({
      version: 1,
      feed: 'items',
      request: { url: `${api.url}/items` },
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
      for await (const page of pageStream({
        request: spec.request,
        pagination: spec.pagination,
        records: spec.records,
        template: { runTime: new Date() },
        http,
        auth: { apply: async () => undefined, refresh: () => false },
        logger,
        redactor,
        recordTextsOnly,
      })) {
        pages.push(page);
      }
    } finally {
      http.close();
    }
    return pages;
  }

  test.each([true, false])('pages read through to their records, texts and next request (texts only: %s)', async (textsOnly) => {
    const pages = await streamPages(textsOnly);
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
    const pages = await streamPages(true);
    for (const page of pages) {
      expect(Object.getPrototypeOf(page)).toBe(Object.getPrototypeOf(pages[0]));
      for (const name of ['count', 'records', 'texts']) {
        expect(Object.getOwnPropertyDescriptor(page, name)).toBeUndefined();
      }
    }
    expect(Object.getPrototypeOf(pages[0])).not.toBe(Object.prototype);
  });
});
