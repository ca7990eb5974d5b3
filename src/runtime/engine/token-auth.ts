/**
 * Auth that trades a secret for a short-lived token before the data requests: OAuth2 client
 * credentials, the OAuth2 refresh-token grant (with rotated refresh tokens written back), and a
 * session login. The token is cached until it expires and fetched again once after a 401.
 *
 * A failed token request is an `AuthRequestError` that names the token (or login) URL: the data
 * request it was for was never sent, and the 401 retry of data requests does not apply to it.
 */
import { firstHeader, HttpError } from './http-client';
import type { HttpClient, HttpResponse } from './http-client';
import { queryFirst } from './json-path';
import type { AuthSpec } from '../../feed-spec/feed-spec';
import type { Logger } from '../ports/logger';
import type { Redactor } from '../ports/redactor';
import type { RotatingSecretStore, SecretResolver } from '../ports/secrets';

/** What the authenticators need from the run. */
export interface AuthContext {
  readonly secrets: SecretResolver;
  readonly http: HttpClient;
  readonly redactor: Redactor;
  readonly logger: Logger;
  readonly now: () => number;
  /** Where a rotated refresh token is written back. @default none: the refresh-token grant cannot run */
  readonly rotatingSecrets?: RotatingSecretStore;
}

export interface AuthTarget {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/** A token or login request failed: the data request was not sent. */
export class AuthRequestError extends Error {
  constructor(
    /** The request that failed (its URL as the spec gives it: it holds no secret). */
    public readonly request: { readonly method: string; readonly url: string },
    message: string,
    /** The token endpoint's HTTP status, when it answered. */
    public readonly status?: number,
    /** The OAuth2 error code of its error answer (RFC 6749 section 5.2: `invalid_grant`, `invalid_client` …), when it gave one. */
    public readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'AuthRequestError';
  }
}

/** Registers a credential as sent: the whole value and, for `Scheme credential`, the credential. */
export function registerWireValue(redactor: Redactor, value: string): void {
  redactor.add(value);
  const scheme = /^[A-Za-z][\w-]*\s+(\S+)$/.exec(value);
  if (scheme) redactor.add(scheme[1]);
}

/** Refresh a token this long before it expires, so it is not used as it expires. */
const EXPIRY_SKEW_MS = 60_000;

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * A token fetched on first use, shared by every partition, fetched again when it expires and
 * once after a 401. Subclasses say how a token is fetched and how a request carries it.
 */
export abstract class CachedTokenAuth {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  private refreshed = false;

  constructor(protected readonly context: AuthContext) {}

  public async apply(target: AuthTarget): Promise<void> {
    let token = this.token;
    if (!token || this.context.now() >= token.expiresAt) {
      // One token request at a time, however many partitions ask at once.
      this.pending ??= this.fetchToken().finally(() => { this.pending = undefined; });
      token = await this.pending;
      this.token = token;
    }
    this.place(target, token.value);
  }

  public refresh(): boolean {
    // A token revoked or expired early: fetch a new one, once per run.
    if (this.refreshed) return false;
    this.refreshed = true;
    this.token = undefined;
    return true;
  }

  /** Fetches a token: `value` registered with the redactor, `expiresInSeconds` if the answer says. */
  protected abstract fetch(): Promise<{ value: string; expiresInSeconds?: number }>;

  /** Puts the token on a data request. */
  protected abstract place(target: AuthTarget, token: string): void;

  private async fetchToken(): Promise<Token> {
    const { value, expiresInSeconds } = await this.fetch();
    const expiresAt = expiresInSeconds !== undefined && Number.isFinite(expiresInSeconds)
      ? this.context.now() + Math.max(0, expiresInSeconds * 1000 - EXPIRY_SKEW_MS)
      : Number.POSITIVE_INFINITY;
    return { value, expiresAt };
  }
}

/**
 * Sends a token or login request; a failure is an AuthRequestError naming `url`. The answer's
 * body is parsed as JSON (a login may answer with the token in a header only: then `{}`).
 */
export async function tokenRequest(
  context: AuthContext,
  what: string,
  request: { url: string; headers: Record<string, string>; body: string },
): Promise<{ response: HttpResponse; json: Record<string, unknown> }> {
  const { http, redactor } = context;
  const described = { method: 'POST', url: request.url };
  let response: HttpResponse;
  try {
    response = await http.request({ url: request.url, method: 'POST', headers: { accept: 'application/json', ...request.headers }, body: request.body });
  } catch (err) {
    const status = err instanceof HttpError ? err.status : undefined;
    throw new AuthRequestError(described,
      `the ${what} request to ${request.url} failed, so no data request was sent: ${redactor.redact((err as Error).message)}`, status,
      err instanceof HttpError ? oauthErrorCode(err.responseBody) : undefined);
  }
  const text = response.body.toString('utf8');
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new AuthRequestError(described, `the ${what} endpoint ${request.url} did not answer JSON`);
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new AuthRequestError(described, `the ${what} endpoint ${request.url} did not answer a JSON object`);
  }
  return { response, json: json as Record<string, unknown> };
}

/** RFC 6749 section 5.2: an error code is printable ASCII without `"` and `\`. */
const OAUTH_ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

/** The `error` code of an OAuth2 error answer (`{"error": "invalid_grant", …}`), read as data: the text around it decides nothing. */
function oauthErrorCode(body: Buffer | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    const code = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).error : undefined;
    return typeof code === 'string' && OAUTH_ERROR_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

type AuthOf<T extends AuthSpec['type']> = Extract<AuthSpec, { type: T }>;
type OAuth2Spec = AuthOf<'oauth2ClientCredentials'> | AuthOf<'oauth2RefreshToken'>;

/** The OAuth2 client's id and secret from the spec's JSON secret, as its client authentication sends them. */
function clientCredentials(
  spec: OAuth2Spec, secret: Record<string, unknown>, redactor: Redactor,
): { headers: Record<string, string>; form: Record<string, string> } {
  const { client_id: clientId, client_secret: clientSecret } = secret;
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
    throw new Error(`secret ${spec.secret.arn} must be a JSON object with "client_id" and "client_secret" fields`);
  }
  if (spec.clientAuth === 'body') {
    return { headers: {}, form: { client_id: clientId, client_secret: clientSecret } };
  }
  // RFC 6749 section 2.3.1: each part form-encoded before Basic encoding.
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  registerWireValue(redactor, basic);
  return { headers: { authorization: basic }, form: {} };
}

/** An OAuth2 token request's form: the grant's own parameters after the spec's extra ones, so they cannot be overridden. */
function tokenForm(spec: OAuth2Spec, grant: Record<string, string>, client: Record<string, string>): string {
  const form = new URLSearchParams({ ...spec.tokenParams, ...grant, ...client });
  if (spec.scopes?.length) form.set('scope', spec.scopes.join(' '));
  return form.toString();
}

/** An OAuth2 token answer: its access token (registered with the redactor) and lifetime. */
function accessToken(spec: OAuth2Spec, json: Record<string, unknown>, redactor: Redactor) {
  if (typeof json.access_token !== 'string' || json.access_token === '') {
    throw new AuthRequestError({ method: 'POST', url: spec.tokenUrl }, `the OAuth2 token endpoint ${spec.tokenUrl} answered without an access_token`);
  }
  redactor.add(json.access_token);
  const expiresIn = Number(json.expires_in);
  return { value: json.access_token, expiresInSeconds: json.expires_in !== undefined && Number.isFinite(expiresIn) ? expiresIn : undefined };
}

function bearer(target: AuthTarget, token: string): void {
  target.headers.authorization = `Bearer ${token}`;
}

/** OAuth2 client credentials (RFC 6749 section 4.4). */
export class OAuth2ClientCredentials extends CachedTokenAuth {
  constructor(private readonly spec: AuthOf<'oauth2ClientCredentials'>, context: AuthContext) {
    super(context);
  }

  protected async fetch() {
    const { spec, context } = this;
    const client = clientCredentials(spec, await context.secrets.resolveJson(spec.secret), context.redactor);
    const { json } = await tokenRequest(context, 'OAuth2 token', {
      url: spec.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...client.headers },
      body: tokenForm(spec, { grant_type: 'client_credentials' }, client.form),
    });
    return accessToken(spec, json, context.redactor);
  }

  protected place(target: AuthTarget, token: string): void {
    bearer(target, token);
  }
}

/**
 * The OAuth2 refresh-token grant (RFC 6749 section 6). A provider that rotates refresh tokens
 * (Xero, QuickBooks) answers each refresh with a new one and soon refuses the old: the new one is
 * written back to the secret before any data request, as a compare-and-set on the version read,
 * so two runs never both overwrite the only valid token. A run refused with `invalid_grant` reads
 * the secret again: if another run rotated it meanwhile, it refreshes once with the new token.
 */
export class OAuth2RefreshToken extends CachedTokenAuth {
  constructor(private readonly spec: AuthOf<'oauth2RefreshToken'>, context: AuthContext) {
    super(context);
  }

  protected async fetch() {
    const store = this.context.rotatingSecrets;
    if (!store) throw new Error('the OAuth2 refresh-token grant needs a secret store it can write to; this run has none');
    const first = await this.readSecret(store);
    try {
      return await this.refreshWith(store, first);
    } catch (err) {
      // Only the provider's own verdict on the grant: a refused client, or a description that merely mentions it, is not retried.
      if (!(err instanceof AuthRequestError && err.oauthError === 'invalid_grant')) throw err;
      const again = await this.readSecret(store);
      if (again.versionId === first.versionId) throw err;
      this.context.logger.warn('the refresh token was rotated by another run; refreshing with the new one', { secret: this.spec.secret.arn });
      return this.refreshWith(store, again);
    }
  }

  protected place(target: AuthTarget, token: string): void {
    bearer(target, token);
  }

  private async readSecret(store: RotatingSecretStore) {
    const { spec, context: { redactor } } = this;
    const { value, versionId } = await store.current(spec.secret.arn);
    redactor.add(value);
    let secret: Record<string, unknown>;
    try {
      secret = JSON.parse(value);
    } catch {
      throw new Error(`secret ${spec.secret.arn} is not a JSON object (the value is not shown)`);
    }
    if (typeof secret?.refresh_token !== 'string' || secret.refresh_token === '') {
      throw new Error(`secret ${spec.secret.arn} must be a JSON object with "client_id", "client_secret" and "refresh_token" fields`);
    }
    for (const field of Object.values(secret)) if (typeof field === 'string') redactor.add(field);
    return { secret, versionId, refreshToken: secret.refresh_token };
  }

  private async refreshWith(store: RotatingSecretStore, read: { secret: Record<string, unknown>; versionId: string; refreshToken: string }) {
    const { spec, context } = this;
    const client = clientCredentials(spec, read.secret, context.redactor);
    const { json } = await tokenRequest(context, 'OAuth2 token', {
      url: spec.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...client.headers },
      body: tokenForm(spec, { grant_type: 'refresh_token', refresh_token: read.refreshToken }, client.form),
    });
    const token = accessToken(spec, json, context.redactor);
    const rotated = json.refresh_token;
    if (typeof rotated === 'string' && rotated !== '' && rotated !== read.refreshToken) {
      context.redactor.add(rotated);
      await this.saveRotated(store, read, rotated);
    }
    return token;
  }

  private async saveRotated(store: RotatingSecretStore, read: { secret: Record<string, unknown>; versionId: string }, rotated: string) {
    const { spec, context: { logger } } = this;
    let saved: boolean;
    try {
      saved = await store.replace(spec.secret.arn, read.versionId, JSON.stringify({ ...read.secret, refresh_token: rotated }));
    } catch (err) {
      // The provider has already retired the old token: say so loudly, and send no data request.
      throw new Error(`the provider rotated the refresh token but it could not be saved to secret ${spec.secret.arn} `
        + `(${this.context.redactor.redact((err as Error).message)}); re-authorize the client and store a new refresh token there`);
    }
    if (saved) {
      logger.info('rotated refresh token saved', { secret: spec.secret.arn });
    } else {
      // Another run saved its own newer token first: the provider accepted both refreshes, so either is valid.
      logger.warn('another run saved a rotated refresh token first; this run\'s is not saved', { secret: spec.secret.arn });
    }
  }
}

/** A login request that trades the secret's fields for a session token. */
export class SessionTokenAuth extends CachedTokenAuth {
  constructor(private readonly spec: AuthOf<'sessionToken'>, context: AuthContext) {
    super(context);
  }

  protected async fetch() {
    const { spec, context } = this;
    const { login } = spec;
    const fields = await context.secrets.resolveJson(spec.secret);
    const form = login.format === 'form';
    const { response, json } = await tokenRequest(context, 'login', {
      url: login.url,
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
    });
    const value = 'header' in login.token
      ? firstHeader(response.headers[login.token.header.toLowerCase()])
      : queryFirst(json, login.token.path);
    if (typeof value !== 'string' || value === '') {
      const where = 'header' in login.token ? `header ${login.token.header}` : `field "${login.token.path}"`;
      throw new AuthRequestError({ method: 'POST', url: login.url }, `the login endpoint ${login.url} answered without a token in its ${where}`);
    }
    context.redactor.add(value);
    const expiresIn = login.expiresInPath !== undefined ? Number(queryFirst(json, login.expiresInPath)) : login.ttlSeconds;
    return { value, expiresInSeconds: expiresIn !== undefined && Number.isFinite(expiresIn) ? expiresIn : undefined };
  }

  protected place(target: AuthTarget, token: string): void {
    const send = this.spec.send ?? { in: 'header' as const, name: 'authorization', prefix: 'Bearer ' };
    const value = `${send.prefix ?? ''}${token}`;
    if (send.in === 'header') target.headers[send.name.toLowerCase()] = value;
    else target.query[send.name] = value;
  }
}
