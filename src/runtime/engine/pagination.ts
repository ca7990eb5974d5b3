/**
 * Pagination: given the request of one page and what it answered, the request of the next page,
 * or why there is none. Every strategy shares the stop rules (empty page, short page, has-more
 * flag, total reached, max pages) and a loop guard, on by default: a repeated cursor, URL or
 * offset, or a page identical to the previous one, ends pagination with a warning instead of
 * looping.
 */
import { createHash } from 'node:crypto';
import LinkHeader from 'http-link-header';
import { firstHeader, HttpResponse } from './http-client';
import { queryFirst } from './json-path';
import type { PaginationSpec } from '../../feed-spec/feed-spec';

/** The parts of a request that pagination changes. */
export interface PageRequest {
  readonly url: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface FetchedPage {
  readonly response: HttpResponse;
  readonly document?: unknown;
  readonly recordCount: number;
}

export type PaginationOutcome =
  | { readonly next: PageRequest }
  | { readonly stop: string; readonly warning?: boolean };

/** Sets a dotted path in a JSON body, copying along the way (the spec's body is never mutated). */
function setBodyPath(body: unknown, path: string, value: unknown): unknown {
  const [key, ...rest] = path.split('.');
  const base = body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : {};
  return { ...base, [key]: rest.length === 0 ? value : setBodyPath(base[key], rest.join('.'), value) };
}

function withParam(request: PageRequest, where: 'query' | 'body', param: string, value: string | number): PageRequest {
  return where === 'body'
    ? { ...request, body: setBodyPath(request.body, param, value) }
    : { ...request, query: { ...request.query, [param]: String(value) } };
}

/** A value pagination reads: text, or a number where the API sent a JSON number (sent back as one in a JSON body). */
type PageValue = string | number;

function readValue(page: FetchedPage, from: { path: string } | { header: string }): PageValue | undefined {
  const raw = 'path' in from ? queryFirst(page.document, from.path) : firstHeader(page.response.headers[from.header.toLowerCase()]);
  if (raw === undefined || raw === null || raw === '') return undefined;
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : String(raw);
}

/** Whether pagination reads values from a response's body: a cursor, a next URL, a has-more flag or a total. */
export function readsResponseBody(spec: PaginationSpec): boolean {
  if (spec.type === 'none') return false;
  const { hasMorePath, donePath, totalPath, totalPagesPath } = spec.stop;
  if (hasMorePath !== undefined || donePath !== undefined || totalPath !== undefined || totalPagesPath !== undefined) return true;
  return (spec.type === 'cursor' || spec.type === 'nextUrl') && 'path' in spec.from;
}

type StopRules = Exclude<PaginationSpec, { type: 'none' }>['stop'];

/** A step of one strategy: the next page's request and the token that identifies it (for the loop guard). */
type StrategyStep =
  | { readonly next: PageRequest; readonly token: string; readonly pageToken?: PageValue }
  | { readonly stop: string };

/** One pagination strategy: how the first request looks, and the next one after a page. */
interface PageStrategy {
  first(base: PageRequest): PageRequest;
  /** @param pagesDone pages fetched so far, this one included */
  next(current: PageRequest, page: FetchedPage, pagesDone: number): StrategyStep;
}

type SpecOf<T extends PaginationSpec['type']> = Extract<PaginationSpec, { type: T }>;

/** No pagination: one page. */
class SinglePage implements PageStrategy {
  public first(base: PageRequest): PageRequest { return base; }
  public next(): StrategyStep { return { stop: 'the spec has no pagination' }; }
}

/** `?page=1`, `?page=2`, … (or in the body). */
class PageNumberStrategy implements PageStrategy {
  constructor(private readonly spec: SpecOf<'pageNumber'>) {}
  public first(base: PageRequest): PageRequest {
    return withParam(base, this.spec.in, this.spec.param, this.spec.start);
  }
  public next(current: PageRequest, _page: FetchedPage, pagesDone: number): StrategyStep {
    const number = this.spec.start + pagesDone;
    return { next: withParam(current, this.spec.in, this.spec.param, number), token: String(number) };
  }
}

/** `?offset=0&limit=100`, `?offset=100&limit=100`, … */
class OffsetStrategy implements PageStrategy {
  constructor(private readonly spec: SpecOf<'offset'>) {}
  public first(base: PageRequest): PageRequest {
    return withParam(withParam(base, this.spec.in, this.spec.offsetParam, 0), this.spec.in, this.spec.limitParam, this.spec.limit);
  }
  public next(current: PageRequest, _page: FetchedPage, pagesDone: number): StrategyStep {
    const offset = pagesDone * this.spec.limit;
    return { next: withParam(current, this.spec.in, this.spec.offsetParam, offset), token: String(offset) };
  }
}

/** A cursor from the body or a header, sent as a parameter or through `{{ page.token }}`. */
class CursorStrategy implements PageStrategy {
  constructor(private readonly spec: SpecOf<'cursor'>) {}
  public first(base: PageRequest): PageRequest { return base; }
  public next(current: PageRequest, page: FetchedPage): StrategyStep {
    const cursor = readValue(page, this.spec.from);
    if (cursor === undefined) return { stop: 'no next cursor in the response' };
    const next = this.spec.param !== undefined ? withParam(current, this.spec.in, this.spec.param, cursor) : current;
    return { next, token: String(cursor), pageToken: cursor };
  }
}

/**
 * The query of a next-page URL: none of its own beyond the URL's, or with `keepQuery` the first
 * request's parameters that the URL leaves out (an API whose next links drop the page size).
 */
function keptQuery(url: string, base: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!base) return {};
  const has = new URL(url).searchParams;
  return Object.fromEntries(Object.entries(base).filter(([name]) => !has.has(name)));
}

/** A complete next-page URL from the body or a header: it replaces the URL and the query. */
class NextUrlStrategy implements PageStrategy {
  private base?: Readonly<Record<string, string>>;
  constructor(private readonly spec: SpecOf<'nextUrl'>) {}
  public first(base: PageRequest): PageRequest {
    if (this.spec.keepQuery) this.base = base.query;
    return base;
  }
  public next(current: PageRequest, page: FetchedPage): StrategyStep {
    const url = readValue(page, this.spec.from);
    if (url === undefined) return { stop: 'no next URL in the response' };
    const href = new URL(String(url), page.response.url).href;
    const next = { url: href, query: keptQuery(href, this.base), body: current.body };
    return { next, token: next.url };
  }
}

/** RFC 8288 `Link: <…>; rel="next"`. */
class LinkHeaderStrategy implements PageStrategy {
  private base?: Readonly<Record<string, string>>;
  constructor(private readonly spec: SpecOf<'linkHeader'>) {}
  public first(base: PageRequest): PageRequest {
    if (this.spec.keepQuery) this.base = base.query;
    return base;
  }
  public next(current: PageRequest, page: FetchedPage): StrategyStep {
    const header = firstHeader(page.response.headers.link);
    const link = header ? LinkHeader.parse(header).rel(this.spec.rel)[0] : undefined;
    if (!link) return { stop: `no rel="${this.spec.rel}" Link header` };
    const href = new URL(link.uri, page.response.url).href;
    const next = { url: href, query: keptQuery(href, this.base), body: current.body };
    return { next, token: next.url };
  }
}

function strategyFor(spec: PaginationSpec): PageStrategy {
  switch (spec.type) {
    case 'none': return new SinglePage();
    case 'pageNumber': return new PageNumberStrategy(spec);
    case 'offset': return new OffsetStrategy(spec);
    case 'cursor': return new CursorStrategy(spec);
    case 'nextUrl': return new NextUrlStrategy(spec);
    case 'linkHeader': return new LinkHeaderStrategy(spec);
  }
}

/** Pages up to this size are kept whole until the next one arrives, larger ones only hashed. */
const KEEP_PAGE_BYTES = 1024 * 1024;

export class Paginator {
  private pages = 0;
  private recordsSeen = 0;
  // The previous page, to tell a repeated one: a small page as it is (comparing bytes costs less
  // than hashing them, and most pages differ in length anyway), a large one as its SHA-256.
  private previousPage: Buffer | undefined;
  private previousPageHash: string | undefined;
  private readonly seenTokens = new Set<string>();
  private _token: PageValue = '';

  /** The current page token of cursor pagination ('' on the first page), a number where the API sent one. */
  public get token(): PageValue {
    return this._token;
  }

  /** Restores the page token when resuming from a checkpoint. */
  public set token(value: PageValue) {
    this._token = value;
  }

  private readonly strategy: PageStrategy;
  /** The spec's stop rules; a spec without pagination has none (its one page is the last). */
  private readonly stopRules?: StopRules;

  /** The last totals the API stated (`totalPath`, `totalPagesPath`), to tell a short read. */
  private statedRecords: number | undefined;
  private statedPages: number | undefined;
  /** Whether every record of the pass was counted (a pass resumed from an older checkpoint was not). */
  private readonly recordsCounted: boolean;

  /**
   * @param pagesDone pages already fetched in this pass (when resuming from a checkpoint)
   * @param recordsDone records in those pages, where the checkpoint kept them
   */
  constructor(spec: PaginationSpec, pagesDone = 0, recordsDone?: number) {
    this.pages = pagesDone;
    this.recordsSeen = recordsDone ?? 0;
    this.recordsCounted = pagesDone === 0 || recordsDone !== undefined;
    this.strategy = strategyFor(spec);
    this.stopRules = spec.type === 'none' ? undefined : spec.stop;
  }

  /** Pages fetched so far in this pass. */
  public get pagesDone(): number {
    return this.pages;
  }

  /** Records in the pages fetched so far in this pass. */
  public get recordsDone(): number {
    return this.recordsSeen;
  }

  /**
   * Once pagination has ended by itself: how it fell short of a total the API stated (records or
   * pages), or undefined. Records may go missing between pages (deleted, or a page skipped by a
   * shifting offset); a run that delivered fewer than the API said it has is not a success.
   */
  public shortRead(): string | undefined {
    if (this.statedRecords !== undefined && this.recordsCounted && this.recordsSeen < this.statedRecords) {
      return `short read: ${this.recordsSeen} of the ${this.statedRecords} records the API stated (${this.stopRules!.totalPath})`;
    }
    if (this.statedPages !== undefined && this.pages < this.statedPages) {
      return `short read: ${this.pages} of the ${this.statedPages} pages the API stated (${this.stopRules!.totalPagesPath})`;
    }
    return undefined;
  }

  /** The first page's request. */
  public first(base: PageRequest): PageRequest {
    return this.strategy.first(base);
  }

  /**
   * Whether a fetched page repeats the previous one byte for byte (an API that answers the last
   * page again and again). Checked before the page's records are used.
   */
  public isRepeatedPage(body: Buffer): boolean {
    if (body.length <= KEEP_PAGE_BYTES) {
      const repeated = this.previousPage?.equals(body) ?? false;
      this.previousPage = body;
      this.previousPageHash = undefined;
      return repeated;
    }
    const hash = createHash('sha256').update(body).digest('hex');
    const repeated = hash === this.previousPageHash;
    this.previousPage = undefined;
    this.previousPageHash = hash;
    return repeated;
  }

  /** The next page's request, or why pagination ends. */
  public next(current: PageRequest, page: FetchedPage): PaginationOutcome {
    this.pages += 1;
    this.recordsSeen += page.recordCount;
    const stopped = this.stopRules ? this.stopRuleMet(this.stopRules, page) : undefined;
    if (stopped) return stopped;
    const step = this.strategy.next(current, page, this.pages);
    if ('stop' in step) return step;
    const { next, token } = step;
    if (step.pageToken !== undefined) this._token = step.pageToken;
    if (this.seenTokens.has(token)) {
      return { stop: `loop guard: the API repeated a cursor/URL it already gave (${token.slice(0, 120)})`, warning: true };
    }
    this.seenTokens.add(token);
    return { next };
  }

  /** The first of the spec's stop rules that this page meets, if any. */
  private stopRuleMet(stop: StopRules, page: FetchedPage): PaginationOutcome | undefined {
    if (stop.emptyPage && page.recordCount === 0) {
      return { stop: 'empty page' };
    }
    if (stop.shortPage !== undefined && page.recordCount < stop.shortPage) {
      return { stop: `short page (${page.recordCount} < ${stop.shortPage} records)` };
    }
    if (stop.hasMoreHeader !== undefined) {
      const hasMore = firstHeader(page.response.headers[stop.hasMoreHeader.toLowerCase()])?.trim().toLowerCase();
      if (hasMore === 'false' || hasMore === '0') {
        return { stop: `header ${stop.hasMoreHeader} is ${hasMore}` };
      }
    }
    if (stop.hasMorePath !== undefined) {
      const hasMore = queryFirst(page.document, stop.hasMorePath);
      if (hasMore === false || hasMore === 'false') {
        return { stop: `${stop.hasMorePath} is false` };
      }
    }
    if (stop.donePath !== undefined) {
      const done = queryFirst(page.document, stop.donePath);
      if (done === true || done === 'true') {
        return { stop: `${stop.donePath} is true` };
      }
    }
    if (stop.totalPath !== undefined) {
      const total = statedNumber(page.document, stop.totalPath);
      if (total !== undefined) this.statedRecords = total;
      if (total !== undefined && this.recordsSeen >= total) {
        return { stop: `total reached (${this.recordsSeen} of ${total} records)` };
      }
    }
    if (stop.totalPagesPath !== undefined) {
      const total = statedNumber(page.document, stop.totalPagesPath);
      if (total !== undefined) this.statedPages = total;
      if (total !== undefined && this.pages >= total) {
        return { stop: `total pages reached (${this.pages} of ${total} pages)` };
      }
    }
    if (this.pages >= stop.maxPages) {
      return { stop: `maxPages (${stop.maxPages}) reached; the rest is left for the next run`, warning: true };
    }
    return undefined;
  }
}

/** A count the API states at `path` (a number, or a number as text), or undefined. */
function statedNumber(document: unknown, path: string): number | undefined {
  const value = queryFirst(document, path);
  if (value === undefined || value === null || value === '') return undefined;
  const total = Number(value);
  return Number.isFinite(total) && total >= 0 ? total : undefined;
}
