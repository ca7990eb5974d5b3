import { Records } from './records';
import { FeedSpecInput } from '../spec/feed-spec';

/** The HTTP method of the API request. */
export enum HttpMethod {
  /** HTTP GET. */
  GET = 'GET',
  /** HTTP POST. */
  POST = 'POST',
}

/** Properties of an HTTP JSON API source. */
export interface HttpSourceProps {
  /**
   * The URL of the API endpoint, `http://` or `https://`.
   */
  readonly url: string;

  /**
   * Where the records are in the response body.
   */
  readonly records: Records;

  /**
   * The HTTP method.
   *
   * @default HttpMethod.GET
   */
  readonly method?: HttpMethod;

  /**
   * Query string parameters added to the URL.
   *
   * @default - no query parameters
   */
  readonly query?: { [name: string]: string };

  /**
   * Request headers. Do not put secrets here: they would be written into the template.
   *
   * @default - no extra headers
   */
  readonly headers?: { [name: string]: string };
}

/**
 * A third-party API that the poller pulls records from.
 */
export abstract class ApiSource {
  /**
   * An HTTP API that answers with JSON.
   */
  public static http(props: HttpSourceProps): ApiSource {
    return new HttpApiSource(props);
  }

  /**
   * The source's part of the feed spec (JSON form).
   *
   * @internal
   */
  public abstract _toSpec(feed: string): FeedSpecInput;
}

class HttpApiSource extends ApiSource {
  constructor(private readonly props: HttpSourceProps) {
    super();
  }

  public _toSpec(feed: string): FeedSpecInput {
    return {
      version: 1,
      feed,
      request: {
        url: this.props.url,
        method: this.props.method ?? HttpMethod.GET,
        ...(this.props.query ? { query: { ...this.props.query } } : {}),
        ...(this.props.headers ? { headers: { ...this.props.headers } } : {}),
      },
      records: { path: this.props.records.path },
    };
  }
}
