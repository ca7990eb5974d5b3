/**
 * Applies the spec's auth to requests: API key (header or query), bearer token, HTTP basic, or
 * a token fetched first (OAuth2 client credentials or refresh token, a session login: see
 * token-auth.ts).
 */
import { HttpError } from './http-client';
import { AuthContext, AuthTarget, OAuth2ClientCredentials, OAuth2RefreshToken, registerWireValue, SessionTokenAuth } from './token-auth';
import type { AuthSpec } from '../../feed-spec/feed-spec';
import type { SecretResolver } from '../ports/secrets';

export type { AuthContext, AuthTarget } from './token-auth';

export interface Authenticator {
  /** Adds credentials to a request's headers or query. */
  apply(target: AuthTarget): Promise<void>;
  /** After a 401: drop cached credentials if a fresh one may help. True when worth one retry. */
  refresh(): boolean;
}

const NO_AUTH: Authenticator = { apply: async () => undefined, refresh: () => false };

/**
 * Sends a request (`send` applies the credentials each time); after a 401, when fresh credentials
 * may help (a token revoked or expired early), refreshes them once and sends it again.
 */
export async function sendRefreshingOn401<T>(auth: Authenticator, send: () => Promise<T>, onRefresh: () => void): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 401 && auth.refresh())) throw err;
    onRefresh();
    return send();
  }
}

/**
 * The authenticator for a spec's auth. Every value it puts on a request (a whole header value
 * such as `Basic dXNlcjpwYXNz`, its credential part, a query parameter) is registered with the
 * redactor as it is sent, so the exact text on the wire is redacted, not only the secret's parts.
 */
export function createAuthenticator(spec: AuthSpec, context: AuthContext): Authenticator {
  const { redactor } = context;
  const inner = credentialsFor(spec, context);
  if (inner === NO_AUTH) return NO_AUTH;
  return {
    apply: async (target) => {
      const before = { headers: { ...target.headers }, query: { ...target.query } };
      await inner.apply(target);
      for (const where of ['headers', 'query'] as const) {
        for (const [name, value] of Object.entries(target[where])) {
          if (before[where][name] !== value) registerWireValue(redactor, value);
        }
      }
    },
    refresh: () => inner.refresh(),
  };
}

function credentialsFor(spec: AuthSpec, context: AuthContext): Authenticator {
  const { secrets } = context;
  switch (spec.type) {
    case 'none': return NO_AUTH;
    case 'apiKey': return new ApiKeyAuth(spec, secrets);
    case 'bearer': return new BearerAuth(spec, secrets);
    case 'basic': return new BasicAuth(spec, secrets);
    case 'oauth2ClientCredentials': return new OAuth2ClientCredentials(spec, context);
    case 'oauth2RefreshToken': return new OAuth2RefreshToken(spec, context);
    case 'sessionToken': return new SessionTokenAuth(spec, context);
  }
}

type AuthOf<T extends AuthSpec['type']> = Extract<AuthSpec, { type: T }>;

/** An API key in a header or a query parameter. */
class ApiKeyAuth implements Authenticator {
  constructor(private readonly spec: AuthOf<'apiKey'>, private readonly secrets: SecretResolver) {}

  public async apply(target: AuthTarget): Promise<void> {
    const key = await this.secrets.resolve(this.spec.secret);
    if (this.spec.in === 'header') target.headers[this.spec.name] = key;
    else target.query[this.spec.name] = key;
  }

  public refresh(): boolean { return false; }
}

/** `Authorization: Bearer <secret>`. */
class BearerAuth implements Authenticator {
  constructor(private readonly spec: AuthOf<'bearer'>, private readonly secrets: SecretResolver) {}

  public async apply(target: AuthTarget): Promise<void> {
    target.headers.authorization = `Bearer ${await this.secrets.resolve(this.spec.secret)}`;
  }

  public refresh(): boolean { return false; }
}

/** HTTP basic auth from a JSON secret with `username` and `password`. */
class BasicAuth implements Authenticator {
  constructor(private readonly spec: AuthOf<'basic'>, private readonly secrets: SecretResolver) {}

  public async apply(target: AuthTarget): Promise<void> {
    const { username, password } = await this.secrets.resolveJson(this.spec.secret);
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new Error(`secret ${this.spec.secret.arn} must be a JSON object with "username" and "password" fields`);
    }
    target.headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  public refresh(): boolean { return false; }
}
