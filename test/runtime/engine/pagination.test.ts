import { parseFeedSpec, validateFeedSpec } from '../../../src/feed-spec/feed-spec';
import { Paginator, readsResponseBody } from '../../../src/runtime/engine/pagination';
import { baseSpec, readBody, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

const ITEMS = Array.from({ length: 23 }, (_, i) => ({ id: i + 1 }));
const ids = (records: any[]) => records.map((r) => r.id);

describe('pagination', () => {
  let api: LoopbackApi;
  const tokensSeen: string[] = [];
  let sameCursorCalls = 0;
  beforeAll(async () => {
    api = await startLoopbackApi({
      '/pages': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        const done = page * 10 >= ITEMS.length;
        json(res, 200, { data: ITEMS.slice((page - 1) * 10, page * 10), total: ITEMS.length, has_more: !done, done });
      },
      '/offset': (_req, res, url) => {
        const offset = Number(url.searchParams.get('offset'));
        const limit = Number(url.searchParams.get('limit'));
        json(res, 200, { results: ITEMS.slice(offset, offset + limit) });
      },
      '/cursor': (_req, res, url) => {
        const start = Number(url.searchParams.get('page_token') ?? 0);
        const next = start + 10 < ITEMS.length ? String(start + 10) : null;
        json(res, 200, { data: ITEMS.slice(start, start + 10), meta: { next } });
      },
      '/cursor-header': (_req, res, url) => {
        const start = Number(url.searchParams.get('after') ?? 0);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (start + 10 < ITEMS.length) headers['x-next-cursor'] = String(start + 10);
        res.writeHead(200, headers).end(JSON.stringify({ data: ITEMS.slice(start, start + 10) }));
      },
      '/graphql': async (req, res) => {
        const { variables } = JSON.parse(await readBody(req));
        const start = Number(variables.after ?? 0);
        const pageInfo = { endCursor: String(start + 10), hasNextPage: start + 10 < ITEMS.length };
        json(res, 200, { data: { items: { nodes: ITEMS.slice(start, start + 10), pageInfo } } });
      },
      '/next-url': (_req, res, url) => {
        const start = Number(url.searchParams.get('start') ?? 0);
        json(res, 200, { data: ITEMS.slice(start, start + 10), links: { next: start + 10 < ITEMS.length ? `/next-url?start=${start + 10}` : null } });
      },
      '/link': (_req, res, url) => {
        const page = Number(url.searchParams.get('page') ?? 1);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (page * 10 < ITEMS.length) {
          headers.link = `<${api.url}/link?page=${page + 1}&per_page=10>; rel="next", <${api.url}/link?page=3>; rel="last"`;
        }
        res.writeHead(200, headers).end(JSON.stringify(ITEMS.slice((page - 1) * 10, page * 10)));
      },
      // Different records every time, but always the same "next" cursor.
      '/same-cursor': (_req, res) => json(res, 200, { data: [{ id: ++sameCursorCalls }], meta: { next: 'always-the-same' } }),
      '/same-page': (_req, res) => json(res, 200, { data: ITEMS.slice(20) }),
      '/by-token/*': (req, res, url) => {
        // The token arrives in the path (/by-token/<n>) or in a header; the first page has none.
        const token = req.headers['x-page-token'] ?? (url.pathname.split('/')[2] || undefined);
        tokensSeen.push(`${url.pathname}|${req.headers['x-page-token'] ?? '-'}`);
        const start = Number(token ?? 0);
        json(res, 200, { data: ITEMS.slice(start, start + 10), next: start + 10 < ITEMS.length ? String(start + 10) : null });
      },
      '/endless': (_req, res, url) => {
        const n = Number(url.searchParams.get('page'));
        json(res, 200, { data: [{ id: n }] });
      },
    });
  });
  afterAll(() => api.close());

  test('page number, stopping at the empty page', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/pages`, { pagination: { type: 'pageNumber', param: 'page' } }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(summary.pages).toBe(4);
  });

  test('page number, stopping at a short page (one request fewer)', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/pages`, { pagination: { type: 'pageNumber', param: 'page', stop: { shortPage: 10 } } }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(summary.pages).toBe(3);
  });

  test('page number, stopping when has_more is false', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/pages`, { pagination: { type: 'pageNumber', param: 'page', stop: { hasMorePath: 'has_more' } } }));
    expect(summary.pages).toBe(3);
    expect(summary.recordsFetched).toBe(23);
  });

  test('page number, stopping when a done flag is true (Salesforce\'s done: true)', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/pages`, { pagination: { type: 'pageNumber', param: 'page', stop: { emptyPage: false, donePath: 'done' } } }));
    // Without the flag, the empty fourth page would be fetched (emptyPage is off).
    expect(summary.pages).toBe(3);
    expect(summary.recordsFetched).toBe(23);
  });

  test('page number, stopping when the total is reached', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/pages`, { pagination: { type: 'pageNumber', param: 'page', stop: { totalPath: 'total' } } }));
    expect(summary.pages).toBe(3);
  });

  test('offset / limit', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/offset`, {
      records: { path: 'results' },
      pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 7 },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
  });

  test('cursor from a response path, stopping when the cursor is missing', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/cursor`, {
      pagination: { type: 'cursor', from: { path: 'meta.next' }, param: 'page_token' },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(summary.pages).toBe(3);
  });

  test('cursor from a response header', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/cursor-header`, {
      pagination: { type: 'cursor', from: { header: 'X-Next-Cursor' }, param: 'after' },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
  });

  test('cursor inside a POST body (GraphQL), with a has-next flag', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/graphql`, {
      request: { url: `${api.url}/graphql`, method: 'POST', body: { query: '{ items }', variables: { first: 10 } } },
      records: { path: 'data.items.nodes' },
      pagination: { type: 'cursor', from: { path: 'data.items.pageInfo.endCursor' }, param: 'variables.after', in: 'body', stop: { hasMorePath: 'data.items.pageInfo.hasNextPage' } },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(summary.pages).toBe(3);
  });

  test('next URL from a response path (relative URLs resolved)', async () => {
    const { sink } = await runSpec(baseSpec(`${api.url}/next-url`, { pagination: { type: 'nextUrl', from: { path: 'links.next' } } }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
  });

  test('RFC 8288 Link header, rel="next"', async () => {
    const { sink, summary } = await runSpec(baseSpec(`${api.url}/link`, { records: { path: '$' }, pagination: { type: 'linkHeader' } }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(summary.pages).toBe(3);
  });

  test('{{ page.token }} in the URL path (empty on the first page)', async () => {
    tokensSeen.length = 0;
    const { sink } = await runSpec(baseSpec(`${api.url}/by-token/{{ page.token }}`, {
      pagination: { type: 'cursor', from: { path: 'next' } },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(tokensSeen).toEqual(['/by-token/|-', '/by-token/10|-', '/by-token/20|-']);
  });

  test('{{ page.token }} in a header, left out on the first page', async () => {
    tokensSeen.length = 0;
    const { sink } = await runSpec(baseSpec(`${api.url}/by-token/`, {
      request: { url: `${api.url}/by-token/`, headers: { 'X-Page-Token': '{{ page.token }}' } },
      pagination: { type: 'cursor', from: { path: 'next' } },
    }));
    expect(ids(sink.records)).toEqual(ids(ITEMS));
    expect(tokensSeen).toEqual(['/by-token/|-', '/by-token/|10', '/by-token/|20']);
  });

  test('{{ page.token }} needs cursor pagination; cursor pagination needs a param or the template', () => {
    expect(validateFeedSpec(baseSpec(`${api.url}/x/{{ page.token }}`, { pagination: { type: 'pageNumber', param: 'page' } })))
      .toMatchObject({ ok: false, problems: [{ path: 'spec.request.url', message: '{{ page.token }}: needs "cursor" pagination for the request, where the previous page gives the token' }] });
    expect(validateFeedSpec(baseSpec(`${api.url}/x`, { pagination: { type: 'cursor', from: { path: 'next' } } })))
      .toMatchObject({ ok: false, problems: [{ path: 'spec.pagination.param' }] });
  });

  test('loop guard: a repeated cursor ends pagination with a warning', async () => {
    const { summary, logs } = await runSpec(baseSpec(`${api.url}/same-cursor`, {
      pagination: { type: 'cursor', from: { path: 'meta.next' }, param: 'c' },
    }));
    expect(summary.status).toBe('succeeded');
    expect(summary.pages).toBe(2);
    expect(logs.find((l) => l.level === 'WARN')?.message).toMatch(/loop guard: the API repeated a cursor/);
  });

  test('loop guard: an identical page ends pagination and its records are not written twice', async () => {
    const { summary, sink, logs } = await runSpec(baseSpec(`${api.url}/same-page`, { pagination: { type: 'pageNumber', param: 'page' } }));
    expect(summary.pages).toBe(1);
    expect(ids(sink.records)).toEqual([21, 22, 23]);
    expect(logs.find((l) => l.level === 'WARN')?.message).toMatch(/loop guard: the API answered the previous page again/);
  });

  test('loop guard: a repeated page is told from a different one of the same length, small or large', () => {
    const paginator = new Paginator(parseFeedSpec(baseSpec('http://127.0.0.1/', { pagination: { type: 'pageNumber', param: 'page' } })).pagination);
    // Pages over 1 MiB are compared by their SHA-256, smaller ones byte for byte.
    for (const size of [100, 2 * 1024 * 1024]) {
      const page = Buffer.alloc(size, 'a');
      const sameLength = Buffer.alloc(size, 'a');
      sameLength[size - 1] = 0x62; // differs in its last byte only
      expect(paginator.isRepeatedPage(page)).toBe(false);
      expect(paginator.isRepeatedPage(sameLength)).toBe(false);
      expect(paginator.isRepeatedPage(Buffer.from(sameLength))).toBe(true);
      expect(paginator.isRepeatedPage(page)).toBe(false);
    }
    // The last large page is not mistaken for a small one, nor the other way round.
    expect(paginator.isRepeatedPage(Buffer.alloc(100, 'a'))).toBe(false);
    expect(paginator.isRepeatedPage(Buffer.alloc(100, 'a'))).toBe(true);
  });

  test('max pages bounds an endless API, with a warning', async () => {
    const { summary, logs } = await runSpec(baseSpec(`${api.url}/endless`, { pagination: { type: 'pageNumber', param: 'page', stop: { maxPages: 25 } } }));
    expect(summary.pages).toBe(25);
    expect(logs.find((l) => l.level === 'WARN')?.message).toMatch(/maxPages \(25\) reached/);
  });

  test('knows when it reads values from the body, so pages whose records are only delivered need not be parsed', () => {
    const reads = (pagination: object) => readsResponseBody(parseFeedSpec(baseSpec('https://api.example.com/x', { pagination } as never)).pagination);
    expect(reads({ type: 'none' })).toBe(false);
    expect(reads({ type: 'pageNumber', param: 'page' })).toBe(false);
    expect(reads({ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10 })).toBe(false);
    expect(reads({ type: 'linkHeader' })).toBe(false);
    expect(reads({ type: 'cursor', from: { header: 'X-Next' }, param: 'after' })).toBe(false);
    expect(reads({ type: 'cursor', from: { path: 'meta.next' }, param: 'after' })).toBe(true);
    expect(reads({ type: 'nextUrl', from: { path: 'links.next' } })).toBe(true);
    expect(reads({ type: 'pageNumber', param: 'page', stop: { hasMorePath: 'has_more' } })).toBe(true);
    expect(reads({ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10, stop: { totalPath: 'total' } })).toBe(true);
  });
});

describe('stop rules and next URLs that real SaaS APIs use', () => {
  let api: LoopbackApi;
  const seen: string[] = [];
  beforeAll(async () => {
    api = await startLoopbackApi({
      // A has-more flag in a header (no body field says it); a request past the last page is an error.
      '/more-header': (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        if (page > 3) { json(res, 400, { error: 'no such page' }); return; }
        res.writeHead(200, { 'content-type': 'application/json', 'x-has-more': page < 3 ? 'true' : 'False' })
          .end(JSON.stringify({ data: [{ id: page }] }));
      },
      // Next links that drop the page size and the field list the first request sent.
      '/links': (_req, res, url) => {
        seen.push(url.search);
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Number(url.searchParams.get('per_page') ?? '2');
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (page < 3) headers.link = `<${api.url}/links?page=${page + 1}>; rel="next"`;
        const data = ITEMS.slice((page - 1) * size, page * size);
        res.writeHead(200, headers).end(JSON.stringify({ data, next: page < 3 ? `${api.url}/links?page=${page + 1}&fields=id` : null }));
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => { seen.length = 0; });

  test('a has-more flag in a response header ends pagination (case and 0/false alike), without asking for a page past it', async () => {
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/more-header`, {
      pagination: { type: 'pageNumber', param: 'page', stop: { hasMoreHeader: 'X-Has-More' } },
    }));
    expect(summary).toMatchObject({ status: 'succeeded', pages: 3 });
    expect(ids(sink.records)).toEqual([1, 2, 3]);
  });

  test('keepQuery: the request\'s own parameters that a Link header drops are sent with every page; without it the API\'s default page size applies', async () => {
    const spec = (keepQuery?: boolean) => baseSpec(`${api.url}/links`, {
      request: { url: `${api.url}/links`, query: { per_page: '5', fields: 'id,name' } },
      pagination: { type: 'linkHeader', ...(keepQuery === undefined ? {} : { keepQuery }) },
    });
    const kept = await runSpec(spec(true));
    expect(seen).toEqual(['?per_page=5&fields=id%2Cname', '?page=2&per_page=5&fields=id%2Cname', '?page=3&per_page=5&fields=id%2Cname']);
    expect(ids(kept.sink.records)).toEqual(ITEMS.slice(0, 15).map((item) => item.id));
    seen.length = 0;
    const dropped = await runSpec(spec());
    expect(seen).toEqual(['?per_page=5&fields=id%2Cname', '?page=2', '?page=3']);
    expect(dropped.sink.records).toHaveLength(5 + 2 + 2);
  });

  test('keepQuery with a next URL from the body: a parameter the URL carries itself is not sent twice', async () => {
    await runSpec(baseSpec(`${api.url}/links`, {
      request: { url: `${api.url}/links`, query: { per_page: '5', fields: 'id,name' } },
      pagination: { type: 'nextUrl', from: { path: 'next' }, keepQuery: true },
    }));
    expect(seen).toEqual(['?per_page=5&fields=id%2Cname', '?page=2&fields=id&per_page=5', '?page=3&fields=id&per_page=5']);
  });
});
