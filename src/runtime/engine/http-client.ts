/**
 * The engine's HTTP client: one request at a time, made safe for third-party APIs.
 *
 * - retries with exponential backoff and jitter (p-retry) on network errors, timeouts, 429 and
 *   5xx; other 4xx are never retried;
 * - `Retry-After` (seconds or HTTP-date) is waited exactly, within the run's time budget;
 * - a per-request timeout, a cap on the (decompressed) response size, a requests-per-second
 *   limit (p-throttle);
 * - requests go only to the spec's hosts: redirects to another host, link-local and cloud
 *   metadata addresses are refused.
 */
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import * as zlib from 'node:zlib';
import pRetry, { AbortError } from 'p-retry';
import pThrottle from 'p-throttle';
import type { Logger } from './logger';
import type { Redactor } from './redactor';

export class HttpError extends Error {
  /** Requests sent before giving up (set by `HttpClient.request`), for dead letters. */
  public attempts = 1;

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
}

export interface HttpResponse {
  readonly status: number;
  /** The URL that answered (after same-host redirects). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body, decompressed. */
  readonly body: Buffer;
}

export interface HttpClientOptions {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** Host names requests may go to (lowercase). */
  readonly allowedHosts: ReadonlySet<string>;
  readonly requestsPerSecond?: number;
  /** Epoch ms after which no retry wait may end. @default no deadline */
  readonly deadline?: number;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** First backoff delay. @default 250 ms */
  readonly minBackoffMs?: number;
  /** Longest backoff delay. @default 20 s */
  readonly maxBackoffMs?: number;
  /** Called for every retry (metrics). */
  readonly onRetry?: () => void;
}

const MAX_REDIRECTS = 5;

/** Link-local (169.254/16, fe80::/10) and cloud metadata addresses: never a third-party API. */
export function isBlockedAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (isIP(a) === 4) {
    return a.startsWith('169.254.') || a === '100.100.100.200';
  }
  if (isIP(a) === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return isBlockedAddress(mapped[1]);
    return /^fe[89ab][0-9a-f]:/.test(a) || a === 'fd00:ec2::254';
  }
  return false;
}

/** DNS lookup that refuses blocked addresses, so a host name cannot point the poller at them. */
function safeLookup(hostname: string, options: any, callback: any): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err);
    const blocked = addresses.find((a) => isBlockedAddress(a.address));
    if (blocked) {
      return callback(new BlockedRequestError(`${hostname} resolves to ${blocked.address}, a link-local or metadata address`));
    }
    if (options?.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or HTTP-date), if valid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

export class HttpClient {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16, lookup: safeLookup } as http.AgentOptions),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16, lookup: safeLookup } as https.AgentOptions),
  };
  private readonly throttled: <T>(fn: () => Promise<T>) => Promise<T>;
  private _requests = 0;
  private _retries = 0;

  constructor(private readonly options: HttpClientOptions) {
    if (options.requestsPerSecond) {
      const throttle = pThrottle({ limit: 1, interval: Math.ceil(1000 / options.requestsPerSecond) });
      const run = throttle((fn: () => Promise<unknown>) => fn());
      this.throttled = <T>(fn: () => Promise<T>) => run(fn) as Promise<T>;
    } else {
      this.throttled = (fn) => fn();
    }
  }

  /** Requests sent so far (attempts included). */
  public get requestCount(): number { return this._requests; }
  /** Retries so far (backoff and Retry-After). */
  public get retryCount(): number { return this._retries; }

  public close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /** Sends a request, with retries; resolves with a 2xx response or rejects with HttpError. */
  public async request(request: HttpRequest): Promise<HttpResponse> {
    const { logger, redactor } = this.options;
    let retryAfterWaits = 0;
    let attempts = 0;
    return pRetry(async () => {
      for (;;) {
        attempts += 1;
        const response = await this.throttled(() => this.send(request));
        if (response.status >= 200 && response.status < 300) {
          return response;
        }
        const where = `${request.method} ${redactor.redact(response.url)}`;
        const retryable = response.status === 429 || response.status >= 500;
        const retryAfterMs = retryable ? parseRetryAfter(firstHeader(response.headers['retry-after'])) : undefined;
        if (retryAfterMs !== undefined) {
          if (retryAfterWaits >= this.options.maxRetries) {
            throw new AbortError(new HttpError(`${where} answered HTTP ${response.status} after ${retryAfterWaits} Retry-After waits`, response.status, response.url, true));
          }
          if (this.options.deadline !== undefined && Date.now() + retryAfterMs > this.options.deadline) {
            throw new AbortError(new HttpError(
              `${where} answered HTTP ${response.status} with Retry-After of ${Math.round(retryAfterMs / 1000)} s, beyond the run's time budget`,
              response.status, response.url, true));
          }
          retryAfterWaits += 1;
          this._retries += 1;
          this.options.onRetry?.();
          logger.warn('rate limited by the API: waiting as Retry-After asks', { url: redactor.redact(response.url), status: response.status, retryAfterMs });
          await sleep(retryAfterMs);
          continue;
        }
        const snippet = redactor.redact(response.body.subarray(0, 200).toString('utf8'));
        const error = new HttpError(`${where} answered HTTP ${response.status}: ${snippet}`, response.status, response.url, retryable);
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
        const inBudget = this.options.deadline === undefined || Date.now() < this.options.deadline;
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
    const response = await this.once(url, request);
    const location = firstHeader(response.headers.location);
    if (response.status >= 300 && response.status < 400 && location) {
      if (redirects >= MAX_REDIRECTS) {
        throw new HttpError(`${request.method} ${this.options.redactor.redact(url.href)}: more than ${MAX_REDIRECTS} redirects`, response.status, url.href, false);
      }
      const target = new URL(location, url);
      if (target.hostname.toLowerCase() !== url.hostname.toLowerCase()) {
        throw new AbortError(new BlockedRequestError(
          `${this.options.redactor.redact(url.href)} redirected to another host (${target.hostname}); the poller follows redirects only within the same host`));
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
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (isBlockedAddress(host)) {
      throw new AbortError(new BlockedRequestError(`requests to ${host} (link-local or cloud metadata) are not allowed`));
    }
    if (!this.options.allowedHosts.has(host)) {
      throw new AbortError(new BlockedRequestError(
        `requests to ${host} are not allowed: the spec names ${[...this.options.allowedHosts].join(', ')}; add it to limits.allowedHosts if it is intended`));
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
