import type { PaginationSpecInput } from '../feed-spec/feed-spec';
import { definedOnly } from '../private/defined-only';
import { usageError } from '../private/usage-error';

/** Where a pagination parameter is sent. */
export enum ParameterLocation {
  /** In the query string. */
  QUERY = 'query',
  /** In the JSON body (POST requests); the parameter is a dotted path such as `variables.after`. */
  BODY = 'body',
}

/**
 * When pagination ends, besides the strategy's own end (no next cursor, URL or Link).
 * A loop guard is always on: a repeated cursor or URL, or a page identical to the previous one,
 * ends pagination with a warning.
 */
export interface PaginationStopProps {
  /**
   * End at a page with no records.
   * Turn it off for APIs that can return an empty page before the last one.
   *
   * @default true
   */
  readonly stopOnEmptyPage?: boolean;

  /**
   * End at a page with fewer records than this (the API's page size). Leave unset for APIs that
   * may return short pages before the last.
   *
   * @default - not used
   */
  readonly shortPageSize?: number;

  /**
   * End when this boolean field of the response is false (e.g. `has_more`).
   *
   * @default - not used
   */
  readonly hasMorePath?: string;

  /**
   * End when this response header is `false` (or `0`), e.g. `X-Has-More`.
   *
   * @default - not used
   */
  readonly hasMoreHeader?: string;

  /**
   * End when this boolean field of the response is true (e.g. Salesforce's `done`).
   *
   * @default - not used
   */
  readonly donePath?: string;

  /**
   * End when the records seen reach this number field of the response (e.g. `meta.total`).
   *
   * @default - not used
   */
  readonly totalPath?: string;

  /**
   * End when the pages fetched reach this number field of the response (e.g. `meta.total_pages`).
   * Pages that end before it are a short read: the run is partial and the cursor stays.
   *
   * @default - not used
   */
  readonly totalPagesPath?: string;

  /**
   * Never fetch more pages than this per partition in one run; the rest is left for the next run.
   *
   * @default 1000
   */
  readonly maxPages?: number;
}

/** Page-number pagination (`?page=1`, `?page=2`, ...). */
export interface PageNumberPaginationProps extends PaginationStopProps {
  /** The page number parameter, e.g. `page`. */
  readonly param: string;
  /**
   * The first page's number.
   * Set 0 for APIs that count pages from zero.
   *
   * @default 1
   */
  readonly start?: number;
  /**
   * Where the parameter is sent.
   * Change it when the API expects the parameter in the body of a POST.
   *
   * @default ParameterLocation.QUERY
   */
  readonly location?: ParameterLocation;
}

/** Offset/limit pagination (`?offset=0&limit=100`, `?offset=100&limit=100`, ...). */
export interface OffsetPaginationProps extends PaginationStopProps {
  /** The offset parameter, e.g. `offset`. */
  readonly offsetParam: string;
  /** The limit parameter, e.g. `limit`. */
  readonly limitParam: string;
  /** The page size. */
  readonly limit: number;
  /**
   * Where the parameters are sent.
   * Change it when the API expects the parameters in the body of a POST.
   *
   * @default ParameterLocation.QUERY
   */
  readonly location?: ParameterLocation;
}

/** Cursor pagination: each response says the next page's cursor. */
export interface CursorPaginationProps extends PaginationStopProps {
  /**
   * The field of the response body that holds the next cursor, e.g. `meta.next`.
   * Give this or `responseHeader`.
   *
   * @default - the cursor comes from `responseHeader`
   */
  readonly responsePath?: string;
  /**
   * The response header that holds the next cursor. Give this or `responsePath`.
   *
   * @default - the cursor comes from `responsePath`
   */
  readonly responseHeader?: string;
  /**
   * The parameter that sends the cursor, e.g. `page_token` (for a body: `variables.after`).
   *
   * @default - the cursor reaches the request only through `{{ page.token }}` in its URL, query,
   * headers or body (empty on the first page; an empty query parameter or header is left out)
   */
  readonly requestParam?: string;
  /**
   * Where the cursor is sent.
   * Change it when the API expects the cursor in a header or in the body of a POST.
   *
   * @default ParameterLocation.QUERY
   */
  readonly location?: ParameterLocation;
}

/** Next-URL pagination: each response holds the full URL of the next page. */
export interface NextUrlPaginationProps extends PaginationStopProps {
  /**
   * The field of the response body that holds the next URL, e.g. `links.next`.
   * Give this or `responseHeader`.
   *
   * @default - the URL comes from `responseHeader`
   */
  readonly responsePath?: string;
  /**
   * The response header that holds the next URL. Give this or `responsePath`.
   *
   * @default - the URL comes from `responsePath`
   */
  readonly responseHeader?: string;

  /**
   * Send the request's own query parameters that the next URL leaves out (a page size, a field
   * list) with every page, for APIs whose next URLs drop them.
   *
   * @default false
   */
  readonly keepQuery?: boolean;
}

/** RFC 8288 `Link` header pagination (GitHub style). */
export interface LinkHeaderPaginationProps extends PaginationStopProps {
  /**
   * The link relation of the next page.
   * Change it for APIs that name the relation differently.
   *
   * @default "next"
   */
  readonly rel?: string;

  /**
   * Send the request's own query parameters that the next link leaves out (a page size, a field
   * list) with every page, for APIs whose links drop them.
   *
   * @default false
   */
  readonly keepQuery?: boolean;
}

/**
 * How the poller walks through the pages of a response.
 */
export abstract class Pagination {
  /** One request, no pages. */
  public static none(): Pagination {
    return new SpecPagination({ type: 'none' });
  }

  /** Page numbers. */
  public static pageNumber(props: PageNumberPaginationProps): Pagination {
    return new SpecPagination({ type: 'pageNumber', param: props.param, start: props.start, in: props.location, stop: stop(props) });
  }

  /** Offset and limit. */
  public static offset(props: OffsetPaginationProps): Pagination {
    return new SpecPagination({
      type: 'offset',
      offsetParam: props.offsetParam,
      limitParam: props.limitParam,
      limit: props.limit,
      in: props.location,
      stop: stop(props),
    });
  }

  /** A cursor from the response body or a header, sent back as a parameter. */
  public static cursor(props: CursorPaginationProps): Pagination {
    return new SpecPagination({
      type: 'cursor',
      from: source('Pagination.cursor', props),
      param: props.requestParam,
      in: props.location,
      stop: stop(props),
    });
  }

  /** The next page's full URL from the response body or a header. */
  public static nextUrl(props: NextUrlPaginationProps): Pagination {
    return new SpecPagination({ type: 'nextUrl', from: source('Pagination.nextUrl', props), keepQuery: props.keepQuery, stop: stop(props) });
  }

  /** The RFC 8288 `Link` header. */
  public static linkHeader(props: LinkHeaderPaginationProps = {}): Pagination {
    return new SpecPagination({ type: 'linkHeader', rel: props.rel, keepQuery: props.keepQuery, stop: stop(props) });
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): PaginationSpecInput;
}

/** The stop rules the user set; the spec's schema supplies the defaults (`emptyPage`, `maxPages`). */
function stop(props: PaginationStopProps) {
  const rules = definedOnly({
    emptyPage: props.stopOnEmptyPage,
    maxPages: props.maxPages,
    shortPage: props.shortPageSize,
    hasMorePath: props.hasMorePath,
    hasMoreHeader: props.hasMoreHeader,
    donePath: props.donePath,
    totalPath: props.totalPath,
    totalPagesPath: props.totalPagesPath,
  });
  return Object.keys(rules).length > 0 ? rules : undefined;
}

function source(what: string, props: { responsePath?: string; responseHeader?: string }): { path: string } | { header: string } {
  if ((props.responsePath === undefined) === (props.responseHeader === undefined)) {
    throw usageError(`${what}: give exactly one of responsePath (a field of the response body) or responseHeader (a response header)`);
  }
  return props.responsePath !== undefined ? { path: props.responsePath } : { header: props.responseHeader! };
}

class SpecPagination extends Pagination {
  private readonly spec: PaginationSpecInput;

  constructor(spec: PaginationSpecInput) {
    super();
    this.spec = definedOnly(spec);
  }

  public _toSpec(): PaginationSpecInput {
    return this.spec;
  }
}
