import type { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { AuthSpecInput } from '../feed-spec/feed-spec';
import { usageError } from '../private/usage-error';

/** How an OAuth2 client authenticates to the token endpoint. */
export enum OAuth2ClientAuthentication {
  /** An HTTP Basic `Authorization` header (RFC 6749's preferred way). */
  BASIC_HEADER = 'basic',
  /** `client_id` and `client_secret` in the form body (what many providers, and dlt by default, use). */
  REQUEST_BODY = 'body',
}

/** What the OAuth2 grants share: how the token request is made. */
export interface OAuth2TokenRequestOptions {
  /** The token endpoint, `https://`. */
  readonly tokenUrl: string;
  /**
   * Scopes to request.
   * Set it when the token endpoint needs explicit scopes.
   *
   * @default - no scope parameter
   */
  readonly scopes?: string[];
  /**
   * How the client authenticates to the token endpoint.
   *
   * @default OAuth2ClientAuthentication.BASIC_HEADER
   */
  readonly clientAuthentication?: OAuth2ClientAuthentication;
  /**
   * Extra form parameters of the token request, e.g. `{ audience: 'https://api.example.com/' }`
   * (Auth0) or `{ resource: '...' }` (Microsoft Entra ID v1). They cannot set the grant's own
   * parameters (`grant_type`, `client_id`, `client_secret`, `refresh_token`, `scope`).
   *
   * @default - none
   */
  readonly tokenParameters?: { [name: string]: string };
}

/** Properties of OAuth2 client-credentials auth. */
export interface OAuth2ClientCredentialsProps extends OAuth2TokenRequestOptions {
  /** A JSON secret with `client_id` and `client_secret` fields. */
  readonly secret: ISecret;
}

/** Properties of the OAuth2 refresh-token grant. */
export interface OAuth2RefreshTokenProps extends OAuth2TokenRequestOptions {
  /**
   * A JSON secret with `client_id`, `client_secret` and `refresh_token` fields. The poller may
   * write it: a refresh token the provider rotates is saved back to it.
   */
  readonly secret: ISecret;
}

/** How a login request sends the secret's fields. */
export enum LoginFormat {
  /** A JSON object (`application/json`). */
  JSON = 'json',
  /** A form (`application/x-www-form-urlencoded`). */
  FORM = 'form',
}

/** Properties of session-token auth. */
export interface SessionTokenProps {
  /** The login endpoint: the poller POSTs the secret's fields to it. */
  readonly loginUrl: string;
  /** A JSON secret: the object the login request sends, e.g. `{"username": ..., "password": ...}`. */
  readonly secret: ISecret;
  /**
   * How the login request sends the secret's fields.
   *
   * @default LoginFormat.JSON
   */
  readonly loginFormat?: LoginFormat;
  /**
   * The field of the login answer that holds the token (dotted path). Give this or `tokenHeader`.
   *
   * @default - the token is in `tokenHeader`
   */
  readonly tokenPath?: string;
  /**
   * The header of the login answer that holds the token. Give this or `tokenPath`.
   *
   * @default - the token is at `tokenPath`
   */
  readonly tokenHeader?: string;
  /**
   * A number field of the login answer: the token's lifetime in seconds.
   *
   * @default - `ttl` if set, else the token is used until the API answers 401
   */
  readonly expiresInPath?: string;
  /**
   * The token's lifetime when the login answer does not say it.
   *
   * @default - the token is used until the API answers 401
   */
  readonly ttl?: Duration;
  /**
   * The header that carries the token on data requests.
   *
   * @default - `Authorization`, unless `sendInQuery` is set
   */
  readonly sendInHeader?: string;
  /**
   * The query parameter that carries the token on data requests (instead of a header).
   *
   * @default - a header
   */
  readonly sendInQuery?: string;
  /**
   * Text before the token in the header or parameter, e.g. `Token token=`.
   *
   * @default - `Bearer ` in the default `Authorization` header, none otherwise
   */
  readonly prefix?: string;
}

/**
 * How the poller authenticates to the API. Secrets stay in Secrets Manager: the spec holds only
 * their ARN, the poller reads the value at run time (the construct grants it read access) and
 * redacts it from every log line, error and dead letter.
 */
export abstract class Auth {
  /** No authentication. */
  public static none(): Auth {
    return new SpecAuth({ type: 'none' }, []);
  }

  /**
   * An API key sent in a request header.
   *
   * @param name the header, e.g. `X-Api-Key`
   * @param secret the secret holding the key
   * @param field for a JSON secret, the field that holds the key (default: the whole secret string)
   */
  public static apiKeyHeader(name: string, secret: ISecret, field?: string): Auth {
    return new SpecAuth({ type: 'apiKey', in: 'header', name, secret: ref(secret, field) }, [secret]);
  }

  /**
   * An API key sent as a query parameter. It is kept out of the record envelopes' `source_url`.
   *
   * @param name the query parameter, e.g. `api_key`
   * @param secret the secret holding the key
   * @param field for a JSON secret, the field that holds the key (default: the whole secret string)
   */
  public static apiKeyQuery(name: string, secret: ISecret, field?: string): Auth {
    return new SpecAuth({ type: 'apiKey', in: 'query', name, secret: ref(secret, field) }, [secret]);
  }

  /**
   * A bearer token (`Authorization: Bearer <token>`).
   *
   * @param field for a JSON secret, the field that holds the token (default: the whole secret string)
   */
  public static bearer(secret: ISecret, field?: string): Auth {
    return new SpecAuth({ type: 'bearer', secret: ref(secret, field) }, [secret]);
  }

  /** HTTP basic auth from a JSON secret with `username` and `password` fields. */
  public static basic(secret: ISecret): Auth {
    return new SpecAuth({ type: 'basic', secret: ref(secret) }, [secret]);
  }

  /**
   * OAuth2 client credentials: the poller fetches a token, caches it until it expires and
   * fetches a new one once if the API answers 401.
   */
  public static oauth2ClientCredentials(props: OAuth2ClientCredentialsProps): Auth {
    return new SpecAuth({ type: 'oauth2ClientCredentials', ...tokenRequest(props), secret: ref(props.secret) }, [props.secret]);
  }

  /**
   * The OAuth2 refresh-token grant: the poller trades the secret's refresh token for an access
   * token. When the provider answers with a new refresh token (Xero, QuickBooks rotate them), the
   * poller writes it back to the secret before any data request, as a compare-and-set on the
   * version it read, so two runs never lose the only valid token. The construct grants the poller
   * `PutSecretValue` and `UpdateSecretVersionStage` on this secret.
   */
  public static oauth2RefreshToken(props: OAuth2RefreshTokenProps): Auth {
    return new SpecAuth({ type: 'oauth2RefreshToken', ...tokenRequest(props), secret: ref(props.secret) }, [props.secret]);
  }

  /**
   * A session token: the poller POSTs the secret's fields to a login endpoint and sends the token
   * it answers with on every data request, logging in again when the token's lifetime ends or
   * (once per run) when the API answers 401.
   */
  public static sessionToken(props: SessionTokenProps): Auth {
    if ((props.tokenPath === undefined) === (props.tokenHeader === undefined)) {
      throw usageError('Auth.sessionToken: give exactly one of tokenPath (a field of the login answer) or tokenHeader (a header of it)');
    }
    if (props.sendInHeader !== undefined && props.sendInQuery !== undefined) {
      throw usageError('Auth.sessionToken: give at most one of sendInHeader or sendInQuery');
    }
    const send = props.sendInHeader !== undefined || props.sendInQuery !== undefined || props.prefix !== undefined
      ? {
        in: props.sendInQuery !== undefined ? 'query' as const : 'header' as const,
        name: props.sendInQuery ?? props.sendInHeader ?? 'Authorization',
        ...(props.prefix !== undefined ? { prefix: props.prefix } : {}),
      }
      : undefined;
    return new SpecAuth({
      type: 'sessionToken',
      login: {
        url: props.loginUrl,
        token: props.tokenPath !== undefined ? { path: props.tokenPath } : { header: props.tokenHeader! },
        ...(props.loginFormat ? { format: props.loginFormat } : {}),
        ...(props.expiresInPath !== undefined ? { expiresInPath: props.expiresInPath } : {}),
        ...(props.ttl ? { ttlSeconds: props.ttl.toSeconds() } : {}),
      },
      secret: ref(props.secret),
      ...(send ? { send } : {}),
    }, [props.secret]);
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): AuthSpecInput;
  /** @internal */
  public abstract _secrets(): ISecret[];
}

function tokenRequest(props: OAuth2TokenRequestOptions) {
  return {
    tokenUrl: props.tokenUrl,
    ...(props.scopes ? { scopes: [...props.scopes] } : {}),
    ...(props.clientAuthentication ? { clientAuth: props.clientAuthentication } : {}),
    ...(props.tokenParameters ? { tokenParams: { ...props.tokenParameters } } : {}),
  };
}

function ref(secret: ISecret, field?: string) {
  return { arn: secret.secretArn, ...(field !== undefined ? { field } : {}) };
}

class SpecAuth extends Auth {
  constructor(private readonly spec: AuthSpecInput, private readonly secrets: ISecret[]) {
    super();
  }

  public _toSpec(): AuthSpecInput {
    return this.spec;
  }

  public _secrets(): ISecret[] {
    return this.secrets;
  }
}
