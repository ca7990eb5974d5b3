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
export function setBodyPath(body: unknown, path: string, value: unknown): unknown {
  const [key, ...rest] = path.split('.');
  const base = body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : {};
  return { ...base, [key]: rest.length === 0 ? value : setBodyPath(base[key], rest.join('.'), value) };
}

function withParam(request: PageRequest, where: 'query' | 'body', param: string, value: string | number): PageRequest {
  return where === 'body'
    ? { ...request, body: setBodyPath(request.body, param, value) }
    : { ...request, query: { ...request.query, [param]: String(value) } };
}

function readValue(page: FetchedPage, from: { path: string } | { header: string }): string | undefined {
  const raw = 'path' in from ? queryFirst(page.document, from.path) : firstHeader(page.response.headers[from.header.toLowerCase()]);
  return raw === undefined || raw === null || raw === '' ? undefined : String(raw);
}

/** Whether pagination reads values from a response's body: a cursor, a next URL, a has-more flag or a total. */
export function readsResponseBody(spec: PaginationSpec): boolean {
  if (spec.type === 'none') return false;
  if (spec.stop.hasMorePath !== undefined || spec.stop.donePath !== undefined || spec.stop.totalPath !== undefined) return true;
  return (spec.type === 'cursor' || spec.type === 'nextUrl') && 'path' in spec.from;
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
  private _token = '';

  /** The current page token of cursor pagination ('' on the first page). */
  public get token(): string {
    return this._token;
  }

  /** Restores the page token when resuming from a checkpoint. */
  public set token(value: string) {
    this._token = value;
  }

  /** @param pagesDone pages already fetched in this pass (when resuming from a checkpoint) */
  constructor(private readonly spec: PaginationSpec, pagesDone = 0) {
    this.pages = pagesDone;
  }

  /** Pages fetched so far in this pass. */
  public get pagesDone(): number {
    return this.pages;
  }

  /** The first page's request. */
  public first(base: PageRequest): PageRequest {
    switch (this.spec.type) {
      case 'pageNumber':
        return withParam(base, this.spec.in, this.spec.param, this.spec.start);
      case 'offset': {
        const withOffset = withParam(base, this.spec.in, this.spec.offsetParam, 0);
        return withParam(withOffset, this.spec.in, this.spec.limitParam, this.spec.limit);
      }
      default:
        return base;
    }
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
    const spec = this.spec;
    if (spec.type === 'none') {
      return { stop: 'the spec has no pagination' };
    }
    const stop = spec.stop;
    if (stop.emptyPage && page.recordCount === 0) {
      return { stop: 'empty page' };
    }
    if (stop.shortPage !== undefined && page.recordCount < stop.shortPage) {
      return { stop: `short page (${page.recordCount} < ${stop.shortPage} records)` };
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
      const total = Number(queryFirst(page.document, stop.totalPath));
      if (Number.isFinite(total) && this.recordsSeen >= total) {
        return { stop: `total reached (${this.recordsSeen} of ${total} records)` };
      }
    }
    if (this.pages >= stop.maxPages) {
      return { stop: `maxPages (${stop.maxPages}) reached; the rest is left for the next run`, warning: true };
    }

    let next: PageRequest;
    let token: string;
    switch (spec.type) {
      case 'pageNumber': {
        const number = spec.start + this.pages;
        next = withParam(current, spec.in, spec.param, number);
        token = String(number);
        break;
      }
      case 'offset': {
        const offset = this.pages * spec.limit;
        next = withParam(current, spec.in, spec.offsetParam, offset);
        token = String(offset);
        break;
      }
      case 'cursor': {
        const cursor = readValue(page, spec.from);
        if (cursor === undefined) {
          return { stop: 'no next cursor in the response' };
        }
        next = spec.param !== undefined ? withParam(current, spec.in, spec.param, cursor) : current;
        token = cursor;
        this._token = cursor;
        break;
      }
      case 'nextUrl': {
        const url = readValue(page, spec.from);
        if (url === undefined) {
          return { stop: 'no next URL in the response' };
        }
        // The next URL is complete: it replaces the URL and the query.
        next = { url: new URL(url, page.response.url).href, query: {}, body: current.body };
        token = next.url;
        break;
      }
      case 'linkHeader': {
        const header = firstHeader(page.response.headers.link);
        const link = header ? LinkHeader.parse(header).rel(spec.rel)[0] : undefined;
        if (!link) {
          return { stop: `no rel="${spec.rel}" Link header` };
        }
        next = { url: new URL(link.uri, page.response.url).href, query: {}, body: current.body };
        token = next.url;
        break;
      }
    }
    if (this.seenTokens.has(token)) {
      return { stop: `loop guard: the API repeated a cursor/URL it already gave (${token.slice(0, 120)})`, warning: true };
    }
    this.seenTokens.add(token);
    return { next };
  }
}
