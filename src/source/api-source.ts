import { readFileSync } from 'fs';
import type { Duration, Size } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Auth } from './auth';
import { builderPropOf } from './builder-props';
import type { ExportJob } from './export-job';
import type { Incremental } from './incremental';
import type { Pagination } from './pagination';
import type { Partitions } from './partitions';
import type { RecordSchema } from './record-schema';
import type { Records } from './records';
import type { ResponseRule } from './response-rule';
import type { Transform } from './transform';
import { specProblemsAtSynth } from './validate-at-synth';
import { FeedSpecInput, formatSpecProblems } from '../feed-spec/feed-spec';
import { usageError } from '../private/usage-error';

/** The HTTP method of the API request. */
export enum HttpMethod {
  /** HTTP GET. */
  GET = 'GET',
  /** HTTP POST. */
  POST = 'POST',
}

/** How hard the poller may push the API, and what it accepts from it. */
export interface RequestLimits {
  /**
   * Time a request may take before it is abandoned (and retried).
   * Raise it for slow APIs or very large pages.
   *
   * @default Duration.seconds(30)
   */
  readonly requestTimeout?: Duration;

  /**
   * Retries of a request after network errors, timeouts, 429 and 5xx (exponential backoff with
   * jitter; `Retry-After` is honoured exactly). Other 4xx are never retried.
   * Raise it for flaky APIs; lower it to fail fast.
   *
   * @default 5
   */
  readonly maxRetries?: number;

  /**
   * Requests per second, across the whole run (all partitions).
   * Set it to the provider's documented rate limit.
   *
   * @default - no limit
   */
  readonly requestsPerSecond?: number;

  /**
   * The largest response body accepted, after decompression.
   * Raise it for APIs with very large pages.
   *
   * @default Size.mebibytes(64)
   */
  readonly maxResponseSize?: Size;

  /**
   * Hosts requests may go to besides those in the spec's URLs (needed when a next-page URL or a
   * templated URL points at another host): `host`, or `host:port` for a port other than the
   * scheme's default. An https spec admits them over https only. Redirects are followed only
   * within the same scheme, host and port; link-local and cloud metadata addresses are always
   * refused.
   *
   * @default - only the origins of the spec's URLs
   */
  readonly allowedHosts?: string[];

  /**
   * Let the poller connect to private and loopback addresses (10/8, 172.16/12, 192.168/16,
   * 100.64/10, fc00::/7, 127/8, ::1), checked on the address actually connected to after DNS.
   * Set it for an API inside your VPC (with `pollerOptions.vpc`). Link-local and cloud metadata
   * addresses stay refused.
   *
   * @default false
   */
  readonly allowPrivateAddresses?: boolean;
}

/** Properties of an HTTP API source. */
export interface HttpSourceProps {
  /**
   * The URL of the API endpoint, `http://` or `https://`. May use `{{ partition.<name> }}`,
   * `{{ cursor }}` and `{{ run.time | add: -P1D | format: yyyy-MM-dd }}` templates.
   */
  readonly url: string;

  /** Where the records are in the response, and in what format. */
  readonly records: Records;

  /**
   * The HTTP method.
   * Use POST for search or GraphQL endpoints.
   *
   * @default HttpMethod.GET
   */
  readonly method?: HttpMethod;

  /**
   * Query string parameters (templates allowed).
   * Set it for the API's filters and fixed parameters.
   *
   * @default - no query parameters
   */
  readonly query?: { [name: string]: string };

  /**
   * Request headers (templates allowed). Do not put secrets here: they would be written into the
   * template; use `auth`.
   * Set it for API versions or content negotiation (`Accept`).
   *
   * @default - no extra headers
   */
  readonly headers?: { [name: string]: string };

  /**
   * JSON body of a POST request (templates allowed in string values).
   * Set it for POST APIs such as search or GraphQL endpoints.
   *
   * @default - no body
   */
  readonly body?: { [key: string]: any };

  /**
   * How the poller authenticates.
   * Set it for any API that needs credentials; the secret stays in Secrets Manager.
   *
   * @default Auth.none()
   */
  readonly auth?: Auth;

  /**
   * How the poller walks through pages.
   * Set it when the API returns its records over more than one page.
   *
   * @default Pagination.none()
   */
  readonly pagination?: Pagination;

  /**
   * Parameter sets fetched separately (cities, stations, accounts).
   * Set it to fetch the same endpoint for several parameter values.
   *
   * @default - one request set, no partitions
   */
  readonly partitions?: Partitions;

  /**
   * Fetch only what is new since the last run.
   *
   * @default - every run fetches everything the request returns
   */
  readonly incremental?: Incremental;

  /**
   * A per-record transform (JSONata) applied before the envelope or the schema: rename, drop,
   * flatten, computed fields, filters.
   *
   * @default - records as the API sent them
   */
  readonly transform?: Transform;

  /**
   * The columns the records become, for typed tables.
   *
   * @default - no schema: records are delivered as JSON lines
   */
  readonly schema?: RecordSchema;

  /**
   * An asynchronous export: the request creates a job, polled until ready, whose result files
   * are the records. Pagination must then be none.
   *
   * @default - the request lists the records
   */
  readonly exportJob?: ExportJob;

  /**
   * What the API's answers mean beyond their status code: skip the partition (a 404 for a deleted
   * parent), retry (a 200 that says "try again"), fail, or an empty page. The first rule that
   * matches decides.
   *
   * @default - 2xx is a page, 429 and 5xx are retried, other statuses fail the partition
   */
  readonly responseRules?: ResponseRule[];

  /**
   * Timeouts, retries, rate and size limits, allowed hosts.
   * Set it to respect the provider's rate limit, or to allow slow or large responses.
   *
   * @default - 30 s timeout, 5 retries, no rate limit, 64 MiB responses, the spec's hosts only
   */
  readonly limits?: RequestLimits;
}

/**
 * What a source contributes to the construct: its spec and the secrets the poller must read.
 *
 * @internal
 */
export interface BoundApiSource {
  readonly spec: FeedSpecInput;
  readonly secrets: secretsmanager.ISecret[];
  /**
   * The spec was validated when the source was made (`fromSpec`), so the construct does not
   * validate it again; only the feed name, which the construct may have changed, is new.
   */
  readonly validated: boolean;
  /** The builder prop that wrote a spec path, for messages in the user's terms (builder-made specs). */
  readonly propOf?: (specPath: string) => string | undefined;
}

/**
 * A third-party API that the poller pulls records from.
 */
export abstract class ApiSource {
  /**
   * An HTTP API.
   */
  public static http(props: HttpSourceProps): ApiSource {
    return new HttpApiSource(props);
  }

  /**
   * A spec in its JSON form, read from a file at synth (the same file `api-ingest validate`
   * checks). Its `feed` is the feed's default name; secrets are named by ARN and granted to the
   * poller. The file is validated against the schema, with every problem reported.
   */
  public static fromSpecFile(path: string): ApiSource {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw usageError(`ApiSource.fromSpecFile: cannot read ${path} as JSON: ${(err as Error).message}`);
    }
    return ApiSource.fromSpec(parsed as { [key: string]: any });
  }

  /** A spec in its JSON form (see `fromSpecFile`). */
  public static fromSpec(spec: { [key: string]: any }): ApiSource {
    const problems = specProblemsAtSynth(spec);
    if (problems.length > 0) {
      throw usageError(`ApiSource.fromSpec: the spec is invalid (${problems.length} problem(s)):\n${formatSpecProblems(problems)}`);
    }
    return new JsonApiSource(spec as FeedSpecInput);
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /**
   * The feed name the source proposes, if any.
   *
   * @internal
   */
  public abstract _defaultFeedName(): string | undefined;

  /**
   * The source's spec (JSON form) for a feed, and the secrets it needs.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, feed: string): BoundApiSource;
}

class HttpApiSource extends ApiSource {
  constructor(private readonly props: HttpSourceProps) {
    super();
  }

  public _defaultFeedName(): string | undefined {
    return undefined;
  }

  public _bind(_scope: Construct, feed: string): BoundApiSource {
    const p = this.props;
    const limits = p.limits ?? {};
    const spec: FeedSpecInput = {
      version: 1,
      feed,
      request: {
        url: p.url,
        ...(p.method ? { method: p.method } : {}),
        ...(p.query ? { query: { ...p.query } } : {}),
        ...(p.headers ? { headers: { ...p.headers } } : {}),
        ...(p.body !== undefined ? { body: p.body } : {}),
      },
      ...(p.auth ? { auth: p.auth._toSpec() } : {}),
      ...(p.pagination ? { pagination: p.pagination._toSpec() } : {}),
      records: p.records._toSpec(),
      ...(p.partitions ? { partitions: p.partitions._toSpec() } : {}),
      ...(p.incremental ? { incremental: p.incremental._toSpec() } : {}),
      ...(p.transform ? { transform: p.transform._toSpec() } : {}),
      ...(p.schema ? { schema: p.schema._toSpec() as FeedSpecInput['schema'] } : {}),
      ...(p.responseRules?.length ? { responseRules: p.responseRules.map((rule) => rule._toSpec()) } : {}),
      ...(p.exportJob ? { export: p.exportJob._toSpec() } : {}),
      ...(p.limits ? {
        limits: {
          ...(limits.requestTimeout ? { requestTimeoutSeconds: limits.requestTimeout.toSeconds() } : {}),
          ...(limits.maxRetries !== undefined ? { maxRetries: limits.maxRetries } : {}),
          ...(limits.requestsPerSecond !== undefined ? { requestsPerSecond: limits.requestsPerSecond } : {}),
          ...(limits.maxResponseSize ? { maxResponseBytes: limits.maxResponseSize.toBytes() } : {}),
          ...(limits.allowedHosts ? { allowedHosts: [...limits.allowedHosts] } : {}),
          ...(limits.allowPrivateAddresses !== undefined ? { allowPrivateAddresses: limits.allowPrivateAddresses } : {}),
        },
      } : {}),
    };
    return { spec, secrets: p.auth?._secrets() ?? [], validated: false, propOf: (path) => builderPropOf(path, spec) };
  }
}

class JsonApiSource extends ApiSource {
  constructor(private readonly spec: FeedSpecInput) {
    super();
  }

  public _defaultFeedName(): string | undefined {
    return this.spec.feed;
  }

  public _bind(scope: Construct, feed: string): BoundApiSource {
    const auth = this.spec.auth;
    const secrets: secretsmanager.ISecret[] = [];
    if (auth && auth.type !== 'none') {
      secrets.push(importSecret(scope, 'SpecSecret', auth.secret.arn));
    }
    // "$schema" is for editors; the poller does not need it in the schedule's input.
    const { $schema: _editorSchema, ...spec } = this.spec;
    return { spec: { ...spec, feed }, secrets, validated: true };
  }
}

/** A secret named in a JSON spec, by complete ARN, partial ARN or name. */
function importSecret(scope: Construct, id: string, arnOrName: string): secretsmanager.ISecret {
  if (!arnOrName.startsWith('arn:')) {
    return secretsmanager.Secret.fromSecretNameV2(scope, id, arnOrName);
  }
  // A complete ARN ends with the 6-character suffix Secrets Manager adds to the name.
  return /-[A-Za-z0-9]{6}$/.test(arnOrName)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, arnOrName)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, arnOrName);
}
