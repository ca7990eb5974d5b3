/**
 * Fetches the pages of one request (templated, authenticated, paginated) and yields each page's
 * records. Shared by the feed's request and the parent request that lists partitions.
 */
import { Authenticator, sendRefreshingOn401 } from './auth';
import { parsePage, ParsedPage, RecordBytes } from './extract-records';
import { HttpError } from './http-client';
import type { HttpClient, HttpResponse } from './http-client';
import { FetchedPage, PageRequest, PaginationOutcome, Paginator, readsResponseBody } from './pagination';
import type { ResponseRules } from './response-rules';
import { renderJson, renderMap, renderUrl, TemplateContext } from './template';
import { AuthRequestError } from './token-auth';
import { PaginationSpec, RecordsSpec, RequestSpec, usesPageToken } from '../../feed-spec/feed-spec';
import type { Logger } from '../ports/logger';
import type { Redactor } from '../ports/redactor';
import type { ExportJobState } from '../ports/state-store';

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
  readonly resume?: PagePosition;
  /**
   * Asked of each page's records before the next is requested: a reason why this page is the last
   * (records older than the cursor, newest first), or undefined. @default none
   */
  readonly lastPage?: (records: unknown[]) => string | undefined;
  /** The spec's response rules, for this stream's requests (the feed's, not the parent's). @default none */
  readonly rules?: ResponseRules;
  /**
   * A Retry-After beyond the run's time budget holds the partition at the refused page (its
   * position and the time asked for, in `stoppedEarly`) instead of failing it: for a caller that
   * waits without compute and resumes there (a durable execution).
   * @default false: the partition fails with the time the API asked for
   */
  readonly holdOnRetryAfter?: boolean;
}

/** Where a page stream stands: the request of a page, with the pages before it and its page token. */
export interface PagePosition {
  readonly request: PageRequest;
  /** Pages fetched before this one, including those of earlier runs when resumed. */
  readonly pagesDone: number;
  /** The page token for this page (cursor pagination with {{ page.token }}). */
  readonly pageToken?: string | number;
  /** Records in the pages before this one (to tell a short read after a resume). */
  readonly recordsDone?: number;
  /** An export job under way: its id and the result files delivered (see export-job.ts). */
  readonly job?: ExportJobState;
}

export interface Page {
  /** The next page, when there is one: a checkpoint resumes there. */
  readonly next?: PagePosition;
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

/** How a page stream ended: the generator's return value. */
export interface PageStreamEnd {
  /**
   * Set when it stopped before the last page (`shouldStop` gave a reason): the cursor must not
   * move past the pages not fetched, and the next run resumes at `resumeAt`.
   */
  readonly stoppedEarly?: {
    readonly reason: string;
    readonly resumeAt: PagePosition;
    /** Not before this time (ISO 8601): the API asked for it (Retry-After), or an export job's next poll is due then. */
    readonly notBefore?: string;
  };
  /** Pagination ended by itself short of a total the API stated (see `Paginator.shortRead`). */
  readonly shortRead?: string;
  /** A response rule ended the partition (`skipPartition`): which rule, for the log. */
  readonly skipped?: string;
}

/** A request as dead letters and logs show it: without credentials. */
export interface RequestDescription {
  readonly method: string;
  readonly url: string;
}

/**
 * Thrown by a page stream when fetching or reading a page failed: the original error as `cause`,
 * with the request that failed, for the caller's dead letter.
 */
export class PageRequestError extends Error {
  constructor(public readonly request: RequestDescription, public readonly cause: Error) {
    super(cause.message);
    this.name = cause.name;
  }
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
export class StreamedPage implements Page {
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

export function urlWithQuery(url: string, query: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  for (const [name, value] of Object.entries(query)) {
    u.searchParams.set(name, value);
  }
  return u.href;
}

/**
 * One request's pages on the wire: rendered from the templates (again for each page when the
 * request carries the page token itself, `{{ page.token }}` in the path, a header or the body),
 * authenticated, and sent, with one credential refresh on a 401.
 */
class PageRequests {
  private readonly rendersEachPage: boolean;
  private headers: Record<string, string>;

  constructor(private readonly options: PageStreamOptions, private readonly paginator: Paginator) {
    this.rendersEachPage = usesPageToken(options.request);
    this.headers = renderMap(options.request.headers, this.template());
  }

  /** The first page's request: the checkpoint's when resuming. */
  public first(): PageRequest {
    return this.options.resume?.request ?? this.paginator.first(this.render());
  }

  /** The request after `current`, given the one pagination chose. */
  public next(paginated: PageRequest): PageRequest {
    if (!this.rendersEachPage) return paginated;
    // The request rendered with the new token, plus any cursor parameter.
    const spec = this.options.pagination;
    const rendered = this.render();
    this.headers = renderMap(this.options.request.headers, this.template());
    if (spec.type !== 'cursor' || spec.param === undefined) return rendered;
    return {
      ...rendered,
      query: spec.in === 'query' ? { ...rendered.query, [spec.param]: String(this.paginator.token) } : rendered.query,
      body: spec.in === 'body' ? paginated.body : rendered.body,
    };
  }

  /** Sends a page's request; on a 401, refreshes the credentials once and sends it again. */
  public async send(page: PageRequest, sourceUrl: string): Promise<HttpResponse> {
    const { auth, logger, redactor } = this.options;
    return sendRefreshingOn401(auth, () => this.sendOnce(page),
      () => logger.warn('401 Unauthorized: refreshing credentials and retrying once', { url: redactor.redact(sourceUrl) }));
  }

  private async sendOnce(page: PageRequest): Promise<HttpResponse> {
    const target = { headers: { ...this.headers }, query: { ...page.query } };
    await this.options.auth.apply(target);
    const body = page.body !== undefined ? JSON.stringify(page.body) : undefined;
    return this.options.http.request({
      url: urlWithQuery(page.url, target.query),
      method: this.options.request.method,
      headers: body !== undefined ? { 'content-type': 'application/json', ...target.headers } : target.headers,
      body,
      rules: this.options.rules,
    });
  }

  private template(): TemplateContext {
    const { template, pagination } = this.options;
    return pagination.type === 'cursor' ? { ...template, pageToken: this.paginator.token } : template;
  }

  private render(): PageRequest {
    const { request } = this.options;
    const t = this.template();
    return {
      url: renderUrl(request.url, t),
      query: renderMap(request.query, t),
      body: request.body !== undefined ? renderJson(request.body, t) : undefined,
    };
  }
}

/** Where the stream stands before `request`: what a checkpoint or the next page records. */
function positionAt(request: PageRequest, paginator: Paginator): PagePosition {
  return { request, pagesDone: paginator.pagesDone, pageToken: paginator.token || undefined, recordsDone: paginator.recordsDone };
}

export async function* pageStream(options: PageStreamOptions): AsyncGenerator<Page, PageStreamEnd> {
  const { logger, redactor } = options;
  const paginator = new Paginator(options.pagination, options.resume?.pagesDone ?? 0, options.resume?.recordsDone);
  if (options.resume?.pageToken !== undefined) paginator.token = options.resume.pageToken;
  const requests = new PageRequests(options, paginator);
  const parseOptions = { textsOnly: options.recordTextsOnly === true && !readsResponseBody(options.pagination) };
  let current = requests.first();
  for (;;) {
    const stop = options.shouldStop?.();
    if (stop) return { stoppedEarly: { reason: stop, resumeAt: positionAt(current, paginator) } };
    const sourceUrl = urlWithQuery(current.url, current.query);
    const safeUrl = redactor.redact(sourceUrl);
    let parsed: ParsedPage;
    let outcome: PaginationOutcome;
    let fetchedAt: Date;
    /** Pages that end at the cursor end there on purpose: no short read against a total. */
    let lastPageReason: string | undefined;
    try {
      const response = await requests.send(current, sourceUrl);
      fetchedAt = new Date();
      if (response.rule?.action === 'skipPartition') return { skipped: response.rule.description };
      if (response.rule?.action === 'emptyPage') {
        logger.info(`pagination ends: the answer is an empty page by ${response.rule.description}`, { url: safeUrl, status: response.status });
        return {};
      }
      if (paginator.isRepeatedPage(response.body)) {
        logger.warn('loop guard: the API answered the previous page again; pagination ends here', { url: safeUrl });
        return { shortRead: paginator.shortRead() };
      }
      parsed = parsePage(response.body, options.records, parseOptions);
      outcome = paginator.next(current, new PaginatedPage(response, parsed));
      lastPageReason = options.lastPage?.(parsed.records);
      if (lastPageReason) outcome = { stop: lastPageReason };
    } catch (err) {
      if (options.holdOnRetryAfter && err instanceof HttpError && err.retryAfter !== undefined) {
        // The caller can wait without compute: the partition holds here, to resume with this page.
        logger.info('the API asked to be called again after the run\'s time budget: the partition holds at this page', { url: safeUrl, notBefore: err.retryAfter });
        return { stoppedEarly: { reason: err.message, resumeAt: positionAt(current, paginator), notBefore: err.retryAfter } };
      }
      // A failed token request is reported as itself: the page's request was never sent.
      const failed = err instanceof AuthRequestError ? err.request : { method: options.request.method, url: safeUrl };
      throw new PageRequestError(failed, err as Error);
    }
    const next = 'next' in outcome ? positionAt(outcome.next, paginator) : undefined;
    yield new StreamedPage(parsed, safeUrl, fetchedAt, next);
    if ('stop' in outcome) {
      if (outcome.warning) logger.warn(`pagination ends: ${outcome.stop}`, { url: safeUrl });
      if (lastPageReason) logger.info(`pagination ends: ${lastPageReason}`, { url: safeUrl });
      // maxPages leaves the rest for the next run on purpose, and the cursor ends it: not short reads.
      const onPurpose = lastPageReason !== undefined || (outcome.warning && /^maxPages/.test(outcome.stop));
      return { shortRead: onPurpose ? undefined : paginator.shortRead() };
    }
    current = requests.next(outcome.next);
  }
}
