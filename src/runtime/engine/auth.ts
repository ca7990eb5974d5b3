/**
 * Applies the spec's auth to requests: API key (header or query), bearer token, HTTP basic, or
 * OAuth2 client credentials (token cached until it expires, refreshed once on a 401).
 */
import type { HttpClient } from './http-client';
import type { AuthSpec } from '../../feed-spec/feed-spec';
import type { Redactor } from '../ports/redactor';
import type { SecretResolver } from '../ports/secrets';

export interface AuthTarget {
  headers: Record<string, string>;
  query: Record<string, string>;
}

export interface Authenticator {
  /** Adds credentials to a request's headers or query. */
  apply(target: AuthTarget): Promise<void>;
  /** After a 401: drop cached credentials if a fresh one may help. True when worth one retry. */
  refresh(): boolean;
}

const NO_AUTH: Authenticator = { apply: async () => undefined, refresh: () => false };

/** Refresh a token this long before it expires, so it is not used as it expires. */
const EXPIRY_SKEW_MS = 60_000;

/**
 * The authenticator for a spec's auth. Every value it puts on a request (a whole header value
 * such as `Basic dXNlcjpwYXNz`, its credential part, a query parameter) is registered with the
 * redactor as it is sent, so the exact text on the wire is redacted, not only the secret's parts.
 */
export function createAuthenticator(
  spec: AuthSpec,
  secrets: SecretResolver,
  http: HttpClient,
  redactor: Redactor,
  now: () => number = Date.now,
): Authenticator {
  const inner = credentialsFor(spec, secrets, http, redactor, now);
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

/** Registers a credential as sent: the whole value and, for `Scheme credential`, the credential. */
function registerWireValue(redactor: Redactor, value: string): void {
  redactor.add(value);
  const scheme = /^[A-Za-z][\w-]*\s+(\S+)$/.exec(value);
  if (scheme) redactor.add(scheme[1]);
}

function credentialsFor(
  spec: AuthSpec,
  secrets: SecretResolver,
  http: HttpClient,
  redactor: Redactor,
  now: () => number,
): Authenticator {
  switch (spec.type) {
    case 'none': return NO_AUTH;
    case 'apiKey': return new ApiKeyAuth(spec, secrets);
    case 'bearer': return new BearerAuth(spec, secrets);
    case 'basic': return new BasicAuth(spec, secrets);
    case 'oauth2ClientCredentials': return new OAuth2ClientCredentials(spec, secrets, http, redactor, now);
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

/** OAuth2 client credentials: a token cached until it expires, fetched again once after a 401. */
class OAuth2ClientCredentials implements Authenticator {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private refreshed = false;

  constructor(
    private readonly spec: AuthOf<'oauth2ClientCredentials'>,
    private readonly secrets: SecretResolver,
    private readonly http: HttpClient,
    private readonly redactor: Redactor,
    private readonly now: () => number,
  ) {}

  public async apply(target: AuthTarget): Promise<void> {
    let value: string;
    if (this.token && this.now() < this.token.expiresAt) {
      value = this.token.value;
    } else {
      // One token request at a time, however many partitions ask at once.
      this.pending ??= this.fetchToken().finally(() => { this.pending = undefined; });
      value = await this.pending;
    }
    target.headers.authorization = `Bearer ${value}`;
  }

  public refresh(): boolean {
    // A token revoked or expired early: fetch a new one, once per run.
    if (this.refreshed) return false;
    this.refreshed = true;
    this.token = undefined;
    return true;
  }

  private async fetchToken(): Promise<string> {
    const { spec, redactor } = this;
    const { client_id: clientId, client_secret: clientSecret } = await this.secrets.resolveJson(spec.secret);
    if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
      throw new Error(`secret ${spec.secret.arn} must be a JSON object with "client_id" and "client_secret" fields`);
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (spec.scopes?.length) form.set('scope', spec.scopes.join(' '));
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    registerWireValue(redactor, basic);
    const response = await this.http.request({
      url: spec.tokenUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'authorization': basic, 'accept': 'application/json' },
      body: form.toString(),
    });
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new Error(`the OAuth2 token endpoint ${spec.tokenUrl} did not answer JSON`);
    }
    if (typeof parsed.access_token !== 'string') {
      throw new Error(`the OAuth2 token endpoint ${spec.tokenUrl} answered without an access_token`);
    }
    redactor.add(parsed.access_token);
    const expiresIn = Number(parsed.expires_in);
    this.token = {
      value: parsed.access_token,
      expiresAt: Number.isFinite(expiresIn) ? this.now() + expiresIn * 1000 - EXPIRY_SKEW_MS : Number.POSITIVE_INFINITY,
    };
    return this.token.value;
  }
}
