import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { AuthSpecInput } from '../feed-spec/feed-spec';

/** Properties of OAuth2 client-credentials auth. */
export interface OAuth2ClientCredentialsProps {
  /** The token endpoint, `https://`. */
  readonly tokenUrl: string;
  /** A JSON secret with `client_id` and `client_secret` fields. */
  readonly secret: ISecret;
  /**
   * Scopes to request.
   * Set it when the token endpoint needs explicit scopes.
   *
   * @default - no scope parameter
   */
  readonly scopes?: string[];
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
    return new SpecAuth({
      type: 'oauth2ClientCredentials',
      tokenUrl: props.tokenUrl,
      secret: ref(props.secret),
      ...(props.scopes ? { scopes: [...props.scopes] } : {}),
    }, [props.secret]);
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): AuthSpecInput;
  /** @internal */
  public abstract _secrets(): ISecret[];
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
