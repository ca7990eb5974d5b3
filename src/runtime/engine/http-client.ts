/**
 * The engine's HTTP client: one request at a time, made safe for third-party APIs.
 *
 * - retries with exponential backoff and jitter (p-retry) on network errors, timeouts, 429 and
 *   5xx; other 4xx are never retried;
 * - `Retry-After` (seconds or HTTP-date) is waited exactly, within the run's time budget; beyond
 *   it, the request fails at once with the time the API asked for (`HttpError.retryAfter`);
 * - a per-request timeout, a cap on the (decompressed) response size, a requests-per-second
 *   spacing;
 * - requests go only to the spec's origins (see `origins.ts`): a redirect is followed only
 *   within the same origin, so credentials never go to another one; the address connected to
 *   is checked (see `address-policy.ts`).
 *
 * Time comes from an injected clock, so tests assert the waits the client scheduled instead of
 * timing a real server.
 */
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import * as zlib from 'node:zlib';
import pRetry, { AbortError } from 'p-retry';
import { AddressPolicy, addressRefusal } from './address-policy';
import { formatOrigin, Origin, originOf, sameOrigin } from './origins';
import type { MatchedRule, ResponseRules } from './response-rules';
import type { Logger } from '../ports/logger';
import type { RateLimiter } from '../ports/rate-limiter';
import type { Redactor } from '../ports/redactor';

/** Time as the client sees it: real by default, a fake one in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How much of an error answer's body an `HttpError` keeps for its caller to read. */
const ERROR_BODY_KEPT_BYTES = 4096;

export class HttpError extends Error {
  /** Requests sent before giving up (set by `HttpClient.request`), for dead letters. */
  public attempts = 1;
  /** When the API asked to be called again, where that was beyond the run's time budget (ISO 8601). */
  public retryAfter?: string;
  /**
   * The start of an error answer's body (untrusted, unredacted: read it, never log it), for a
   * caller that understands the API's error format (an OAuth2 token endpoint's `error` code).
   * Not enumerable (`keepResponseBody`): an error spread into a log line or a dead letter does not carry it.
   */
  declare public readonly responseBody?: Buffer;

  constructor(
    message: string,
    /** HTTP status, absent for network errors and timeouts. */
    public readonly status: number | undefined,
    public readonly url: string,
    public readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  public keepResponseBody(body: Buffer): this {
    Object.defineProperty(this, 'responseBody', { value: body.subarray(0, ERROR_BODY_KEPT_BYTES), enumerable: false });
    return this;
  }
}

export class BlockedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockedRequestError';
  }
}

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The spec's response rules: `retry` and `fail` apply here; the others come back on the response. @default none */
  readonly rules?: ResponseRules;
}

export interface HttpResponse {
  readonly status: number;
  /** The URL that answered (after same-host redirects). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body, decompressed. */
  readonly body: Buffer;
  /** The response rule it matched whose action is the caller's (`skipPartition`, `emptyPage`), whatever its status. */
  readonly rule?: MatchedRule;
}

export interface HttpClientOptions {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** The origins requests may go to (see `allowedOrigins`). */
  readonly allowedOrigins: ReadonlyArray<Origin>;
  /** Which addresses may be connected to. @default public addresses only */
  readonly addressPolicy?: AddressPolicy;
  readonly requestsPerSecond?: number;
  /**
   * Where request slots come from instead of the in-memory spacing of `requestsPerSecond` (the
   * budget the workers of a distributed run share). @default in-memory spacing
   */
  readonly rateLimiter?: RateLimiter;
  /** Epoch ms after which no retry wait may end. @default no deadline */
  readonly deadline?: number;
  /**
   * The longest wait made in process for a Retry-After or a request slot; a longer one fails the
   * request at once with the time to call again (`HttpError.retryAfter`), like one past the deadline.
   * @default up to the deadline
   */
  readonly longestWaitMs?: number;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** First backoff delay. @default 250 ms */
  readonly minBackoffMs?: number;
  /** Longest backoff delay. @default 20 s */
  readonly maxBackoffMs?: number;
  /** Called for every retry (metrics). */
  readonly onRetry?: () => void;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Wraps the network exchange: a cassette records it, or answers instead of it. @default the network */
  readonly wrapExchange?: ExchangeWrapper;
}

/** Sends one request (redirects are followed above it) and reads its answer. */
export type Exchange = (url: URL, request: HttpRequest) => Promise<HttpResponse>;
/** Takes the network's exchange, gives the one to use (see runtime/cassette). */
export type ExchangeWrapper = (network: Exchange) => Exchange;

const MAX_REDIRECTS = 5;

/** A DNS lookup that refuses a name whose addresses the policy refuses, before any connection. */
function checkedLookup(policy: AddressPolicy) {
  return (hostname: string, options: any, callback: any): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, policy);
        if (refusal) return callback(new BlockedRequestError(`${hostname} resolves to ${address}, ${refusal}`));
      }
      if (options?.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * Spaces requests `intervalMs` apart across every caller: each takes the next free slot, and
 * waits on the clock until it comes. (p-throttle does the same on real timers only; this takes
 * the injected clock, so a test can check the schedule.)
 */
export class RequestSpacing implements RateLimiter {
  private nextSlot = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs: number, private readonly clock: Clock) {}

  public async take(_url?: URL, longestWaitMs?: number): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot);
    // Not taken: the caller waits for it another way (a durable wait), and takes it then.
    if (longestWaitMs !== undefined && slot - now > longestWaitMs) throw new SlotTooFar(new Date(slot).toISOString());
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.clock.sleep(slot - now);
  }
}

/** The next request slot is further away than the caller waits in process. */
export class SlotTooFar extends Error {
  constructor(/** When the slot is (ISO 8601). */ public readonly at: string) {
    super(`the feed's next request slot (limits.requestsPerSecond) is at ${at}`);
  }
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or HTTP-date), if valid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

export class HttpClient {
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };
  private readonly spacing: RateLimiter | undefined;
  private readonly clock: Clock;
  private readonly policy: AddressPolicy;
  private readonly exchange: Exchange;
  private _requests = 0;
  private _retries = 0;

  constructor(private readonly options: HttpClientOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.policy = options.addressPolicy ?? {};
    const lookup = checkedLookup(this.policy);
    this.agents = {
      'http:': new http.Agent({ keepAlive: true, maxSockets: 16, lookup } as http.AgentOptions),
      'https:': new https.Agent({ keepAlive: true, maxSockets: 16, lookup } as https.AgentOptions),
    };
    this.spacing = options.rateLimiter ?? (options.requestsPerSecond ? new RequestSpacing(1000 / options.requestsPerSecond, this.clock) : undefined);
    const network: Exchange = (url, request) => this.once(url, request);
    this.exchange = options.wrapExchange ? options.wrapExchange(network) : network;
  }

  /** Requests sent so far (attempts included). */
  public get requestCount(): number { return this._requests; }
  /** Retries so far (backoff and Retry-After). */
  public get retryCount(): number { return this._retries; }

  public close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /**
   * Takes a request slot; one further away than `longestWaitMs` fails the request at once with the
   * slot's time (`HttpError.retryAfter`): the partition holds, and the caller waits without compute.
   */
  private async takeSlot(request: HttpRequest): Promise<void> {
    try {
      await this.spacing?.take(new URL(request.url), this.options.longestWaitMs);
    } catch (err) {
      if (!(err instanceof SlotTooFar)) throw err;
      const error = new HttpError(`${request.method} ${this.options.redactor.redact(request.url)} not sent: ${err.message}, longer than the run waits in process`,
        undefined, request.url, true);
      error.retryAfter = err.at;
      throw new AbortError(error);
    }
  }

  /** Sends a request, with retries; resolves with a 2xx response or rejects with HttpError. */
  public async request(request: HttpRequest): Promise<HttpResponse> {
    const { logger, redactor } = this.options;
    let retryAfterWaits = 0;
    let attempts = 0;
    return pRetry(async () => {
      for (;;) {
        attempts += 1;
        await this.takeSlot(request);
        const response = await this.send(request);
        const where = `${request.method} ${redactor.redact(response.url)}`;
        const rule = request.rules?.(response);
        if (rule) {
          if (rule.action === 'retry' || rule.action === 'fail') {
            const snippet = redactor.redact(response.body.subarray(0, 200).toString('utf8'));
            const error = new HttpError(`${where} answered HTTP ${response.status}, which ${rule.description}: ${snippet}`,
              response.status, response.url, rule.action === 'retry');
            throw rule.action === 'retry' ? error : new AbortError(error);
          }
          return { ...response, rule };
        }
        if (response.status >= 200 && response.status < 300) {
          return response;
        }
        const retryable = response.status === 429 || response.status >= 500;
        const retryAfterMs = retryable ? parseRetryAfter(firstHeader(response.headers['retry-after']), this.clock.now()) : undefined;
        if (retryAfterMs !== undefined) {
          if (retryAfterWaits >= this.options.maxRetries) {
            throw new AbortError(new HttpError(`${where} answered HTTP ${response.status} after ${retryAfterWaits} Retry-After waits`, response.status, response.url, true));
          }
          const pastDeadline = this.options.deadline !== undefined && this.clock.now() + retryAfterMs > this.options.deadline;
          if (pastDeadline || (this.options.longestWaitMs !== undefined && retryAfterMs > this.options.longestWaitMs)) {
            // Not waited out: the request fails now, saying when the API asked to be called again.
            const retryAfter = new Date(this.clock.now() + retryAfterMs).toISOString();
            const error = new HttpError(
              `${where} answered HTTP ${response.status} with Retry-After of ${Math.round(retryAfterMs / 1000)} s, `
              + `${pastDeadline ? 'beyond the run\'s time budget' : 'longer than the run waits in process'}; the API asked to be called again at ${retryAfter}`,
              response.status, response.url, true);
            error.retryAfter = retryAfter;
            throw new AbortError(error);
          }
          retryAfterWaits += 1;
          this._retries += 1;
          this.options.onRetry?.();
          logger.warn('rate limited by the API: waiting as Retry-After asks', { url: redactor.redact(response.url), status: response.status, retryAfterMs });
          await this.clock.sleep(retryAfterMs);
          continue;
        }
        const snippet = redactor.redact(response.body.subarray(0, 200).toString('utf8'));
        const error = new HttpError(`${where} answered HTTP ${response.status}: ${snippet}`, response.status, response.url, retryable);
        error.keepResponseBody(response.body);
        throw retryable ? error : new AbortError(error);
      }
    }, {
      retries: this.options.maxRetries,
      minTimeout: this.options.minBackoffMs ?? 250,
      maxTimeout: this.options.maxBackoffMs ?? 20_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => {
        const retryable = error instanceof HttpError && error.retryable;
        const inBudget = this.options.deadline === undefined || this.clock.now() < this.options.deadline;
        return retryable && inBudget;
      },
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && error instanceof HttpError && error.retryable) {
          this._retries += 1;
          this.options.onRetry?.();
          logger.warn('request failed, retrying with backoff', { error: redactor.redact(error.message), attempt: attemptNumber, retriesLeft });
        }
      },
    }).catch((err: unknown) => {
      if (err instanceof HttpError) err.attempts = attempts;
      throw err;
    });
  }

  /** One attempt, following same-host redirects. */
  private async send(request: HttpRequest, redirects = 0): Promise<HttpResponse> {
    const url = this.checkUrl(request.url);
    this._requests += 1;
    const response = await this.exchange(url, request);
    const location = firstHeader(response.headers.location);
    if (response.status >= 300 && response.status < 400 && location) {
      if (redirects >= MAX_REDIRECTS) {
        throw new HttpError(`${request.method} ${this.options.redactor.redact(url.href)}: more than ${MAX_REDIRECTS} redirects`, response.status, url.href, false);
      }
      const target = new URL(location, url);
      if (!sameOrigin(originOf(target), originOf(url))) {
        // The request carries credentials: it is never sent on to another origin.
        throw new AbortError(new BlockedRequestError(
          `${this.options.redactor.redact(url.href)} redirected to another origin (${formatOrigin(originOf(target))}); the poller follows redirects only within the same scheme, host and port`));
      }
      return this.send({ ...request, url: target.href }, redirects + 1);
    }
    return response;
  }

  private checkUrl(raw: string): URL {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AbortError(new BlockedRequestError(`${url.protocol} URLs are not allowed; use http or https`));
    }
    const origin = originOf(url);
    if (!this.options.allowedOrigins.some((allowed) => sameOrigin(allowed, origin))) {
      const secured = this.options.allowedOrigins.some((o) => o.protocol === 'https:' && o.hostname === origin.hostname && o.port === (origin.port === 80 ? 443 : origin.port));
      const why = origin.protocol === 'http:' && secured ? ' (a downgrade from https to http)' : '';
      throw new AbortError(new BlockedRequestError(
        `requests to ${formatOrigin(origin)} are not allowed${why}: the spec names ${[...new Set(this.options.allowedOrigins.map(formatOrigin))].join(', ')}; add the host (and port) to limits.allowedHosts if it is intended`));
    }
    // An IP literal is connected to without a DNS lookup: check it here.
    if (isIP(origin.hostname)) {
      const refusal = addressRefusal(origin.hostname, this.policy);
      if (refusal) throw new AbortError(new BlockedRequestError(`requests to ${origin.hostname} are refused: it is ${refusal}`));
    }
    return url;
  }

  private once(url: URL, request: HttpRequest): Promise<HttpResponse> {
    const { timeoutMs, maxResponseBytes, redactor } = this.options;
    const where = `${request.method} ${redactor.redact(url.href)}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, {
        method: request.method,
        agent: this.agents[url.protocol as 'http:' | 'https:'],
        headers: {
          'accept-encoding': 'gzip, deflate, br',
          'user-agent': 'cdk-api-ingestion',
          ...request.headers,
          ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body) } : {}),
        },
      });
      const timer = setTimeout(() => req.destroy(new HttpError(`${where} timed out after ${timeoutMs} ms`, undefined, url.href, true)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (err instanceof HttpError || err instanceof BlockedRequestError) {
          reject(err instanceof BlockedRequestError ? new AbortError(err) : err);
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        const retryable = code === undefined || NETWORK_ERROR_CODES.has(code) || /socket hang up|aborted/i.test(err.message);
        reject(new HttpError(`${where} failed: ${redactor.redact(err.message)}`, undefined, url.href, retryable));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
        const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
          : encoding === 'deflate' ? zlib.createInflate()
            : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
        const stream = decoder ? res.pipe(decoder) : res;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            const err = new HttpError(`${where}: response is larger than limits.maxResponseBytes (${maxResponseBytes} bytes)`, res.statusCode, url.href, false);
            res.destroy();
            decoder?.destroy();
            clearTimeout(timer);
            reject(new AbortError(err));
            return;
          }
          chunks.push(chunk);
        });
        stream.on('error', fail);
        res.on('error', fail);
        stream.on('end', () => {
          clearTimeout(timer);
          let body = Buffer.concat(chunks, size);
          // A gzip file served without Content-Encoding (e.g. application/gzip exports).
          if (!decoder && body.length > 2 && body[0] === 0x1f && body[1] === 0x8b) {
            try {
              body = zlib.gunzipSync(body, { maxOutputLength: maxResponseBytes });
            } catch (err) {
              reject(new AbortError(new HttpError(`${where}: gzip body could not be decompressed within limits.maxResponseBytes: ${(err as Error).message}`, res.statusCode, url.href, false)));
              return;
            }
          }
          resolve({ status: res.statusCode ?? 0, url: url.href, headers: res.headers, body });
        });
      });
      if (request.body !== undefined) {
        req.write(request.body);
      }
      req.end();
    });
  }
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
