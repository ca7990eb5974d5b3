/**
 * Fetches the pages of one request (templated, authenticated, paginated) and yields each page's
 * records. Shared by the feed's request and the parent request that lists partitions.
 */
import type { Authenticator } from './auth';
import { parsePage, ParsedPage, RecordBytes } from './extract-records';
import { HttpClient, HttpError, HttpResponse } from './http-client';
import { FetchedPage, PageRequest, Paginator, readsResponseBody } from './pagination';
import { renderJson, renderMap, renderUrl, TemplateContext } from './template';
import { PaginationSpec, RecordsSpec, RequestSpec, usesPageToken } from '../../feed-spec/feed-spec';
import type { Logger } from '../ports/logger';
import type { Redactor } from '../ports/redactor';

export interface PageStreamOptions {
  readonly request: RequestSpec;
  readonly pagination: PaginationSpec;
  readonly records: RecordsSpec;
  readonly template: TemplateContext;
  readonly http: HttpClient;
  readonly auth: Authenticator;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** Asked before each page: a reason to stop fetching (time budget, preview limit), or undefined. */
  readonly shouldStop?: () => string | undefined;
  /**
   * The consumer reads each record's text only, never its parsed value (no cursor field to track):
   * where pagination reads nothing from the body either, JSON pages are checked instead of parsed
   * (see `parsePage`). @default false
   */
  readonly recordTextsOnly?: boolean;
  /** Continue from a checkpoint instead of the first page. */
  readonly resume?: { readonly request: PageRequest; readonly pagesDone: number; readonly pageToken?: string };
}

export interface Page {
  /** The next page's request, when there is one: a checkpoint resumes there. */
  readonly next?: { readonly request: PageRequest; readonly pagesDone: number; readonly pageToken?: string };
  /** Records in the page. */
  readonly count: number;
  /** The records' values, parsed when first read where the page was only checked (see `parsePage`). */
  readonly records: unknown[];
  /** Each record's JSON text as the API sent it, when the response format has it (see `ParsedPage`). */
  readonly texts?: string[];
  /** The records as byte ranges of the response, where the page was only checked (see `ParsedPage`). */
  readonly recordBytes?: RecordBytes;
  /** The page's URL without credentials (for envelopes, logs and dead letters). */
  readonly sourceUrl: string;
  readonly fetchedAt: Date;
}

/** How a page stream ended, for the caller's checkpoint and dead letters. */
export interface PageStreamEnd {
  /** Why it stopped before the last page, if it did (the cursor must not move past it). */
  stoppedEarly?: string;
  /** The request of the next page, when it stopped early: where the next run resumes. */
  resumeFrom?: PageRequest;
  /** Pages fetched in this pass, including those of earlier runs when resumed. */
  pagesDone?: number;
  /** The page token for the next page (cursor pagination with {{ page.token }}). */
  pageToken?: string;
  /** The last request sent (without credentials), for dead letters. */
  lastRequest?: { method: string; url: string };
}

// The two classes below read a parsed page through prototype getters, so that a page that was
// only checked parses its values when they are read (see parsePage). They are classes, not object
// literals with getters, for the reason given at CheckedJsonPage in extract-records.ts: such a
// literal kept every page reachable from the old generation until a major collection.

/** A page as pagination sees it. */
class PaginatedPage implements FetchedPage {
  constructor(public readonly response: HttpResponse, private readonly parsed: ParsedPage) {}

  public get document(): unknown {
    return this.parsed.document;
  }

  public get recordCount(): number {
    return this.parsed.count;
  }
}

/** A page as the stream's consumer sees it. */
class StreamedPage implements Page {
  constructor(
    private readonly parsed: ParsedPage,
    public readonly sourceUrl: string,
    public readonly fetchedAt: Date,
    public readonly next: Page['next'],
  ) {}

  public get count(): number {
    return this.parsed.count;
  }

  public get records(): unknown[] {
    return this.parsed.records;
  }

  public get texts(): string[] | undefined {
    return this.parsed.texts;
  }

  public get recordBytes(): RecordBytes | undefined {
    return this.parsed.recordBytes;
  }
}

function urlWithQuery(url: string, query: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  for (const [name, value] of Object.entries(query)) {
    u.searchParams.set(name, value);
  }
  return u.href;
}

export async function* pageStream(options: PageStreamOptions, end: PageStreamEnd = {}): AsyncGenerator<Page> {
  const { request, template, http, auth, logger, redactor } = options;
  // A request that carries the page token itself ({{ page.token }} in the path, a header or the
  // body) is rendered again for every page; otherwise once.
  const requestUsesPageToken = usesPageToken(request);
  const paginator = new Paginator(options.pagination, options.resume?.pagesDone ?? 0);
  const parseOptions = { textsOnly: options.recordTextsOnly === true && !readsResponseBody(options.pagination) };
  if (options.resume?.pageToken !== undefined) paginator.token = options.resume.pageToken;
  const pageTemplate = () => (options.pagination.type === 'cursor' ? { ...template, pageToken: paginator.token } : template);
  const render = (): PageRequest => {
    const t = pageTemplate();
    return {
      url: renderUrl(request.url, t),
      query: renderMap(request.query, t),
      body: request.body !== undefined ? renderJson(request.body, t) : undefined,
    };
  };
  let headers = renderMap(request.headers, pageTemplate());
  let current = options.resume?.request ?? paginator.first(render());

  for (;;) {
    const stop = options.shouldStop?.();
    if (stop) {
      end.stoppedEarly = stop;
      end.resumeFrom = current;
      end.pagesDone = paginator.pagesDone;
      end.pageToken = paginator.token || undefined;
      return;
    }
    const sourceUrl = urlWithQuery(current.url, current.query);
    end.lastRequest = { method: request.method, url: redactor.redact(sourceUrl) };
    const send = async () => {
      const target = { headers: { ...headers }, query: { ...current.query } };
      await auth.apply(target);
      const body = current.body !== undefined ? JSON.stringify(current.body) : undefined;
      return http.request({
        url: urlWithQuery(current.url, target.query),
        method: request.method,
        headers: body !== undefined ? { 'content-type': 'application/json', ...target.headers } : target.headers,
        body,
      });
    };
    let response;
    try {
      response = await send();
    } catch (err) {
      if (err instanceof HttpError && err.status === 401 && auth.refresh()) {
        logger.warn('401 Unauthorized: refreshing credentials and retrying once', { url: redactor.redact(sourceUrl) });
        response = await send();
      } else {
        throw err;
      }
    }
    const fetchedAt = new Date();
    if (paginator.isRepeatedPage(response.body)) {
      logger.warn('loop guard: the API answered the previous page again; pagination ends here', { url: redactor.redact(sourceUrl) });
      return;
    }
    const parsed = parsePage(response.body, options.records, parseOptions);
    const outcome = paginator.next(current, new PaginatedPage(response, parsed));
    const next = 'next' in outcome ? { request: outcome.next, pagesDone: paginator.pagesDone, pageToken: paginator.token || undefined } : undefined;
    yield new StreamedPage(parsed, redactor.redact(sourceUrl), fetchedAt, next);
    if ('stop' in outcome) {
      if (outcome.warning) {
        logger.warn(`pagination ends: ${outcome.stop}`, { url: redactor.redact(sourceUrl) });
      }
      return;
    }
    current = outcome.next;
    if (requestUsesPageToken) {
      // The next page: the request rendered with the new token, plus any cursor parameter.
      const spec = options.pagination;
      const rendered = render();
      current = spec.type === 'cursor' && spec.param !== undefined
        ? {
          ...rendered,
          query: spec.in === 'query' ? { ...rendered.query, [spec.param]: paginator.token } : rendered.query,
          body: spec.in === 'body' ? outcome.next.body : rendered.body,
        }
        : rendered;
      headers = renderMap(request.headers, pageTemplate());
    }
  }
}
