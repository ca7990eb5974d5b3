/**
 * Offline spec tests: `api-ingest record` keeps the HTTP exchanges of a run in a cassette (one
 * JSON file), and `run` / `preview --replay` answer from it with no network at all.
 *
 * What is written is redacted with the run's redactor at the end of the run, when it knows every
 * secret and every token the run saw, in every form (raw, URL-encoded, base64 Basic values,
 * JSON-escaped). `Set-Cookie` headers are not kept. A replay matches a request by method and URL
 * as the redactor shows them (a secret in a query parameter reads `[REDACTED]` on both sides),
 * and by body where several recorded requests share both; requests the cassette does not have
 * fail clearly instead of reaching the network.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Exchange, ExchangeWrapper, HttpRequest, HttpResponse } from '../engine/http-client';
import type { Redactor } from '../ports/redactor';

export const CASSETTE_FILE = 'cassette.json';
const CASSETTE_VERSION = 1;
/** Response headers never kept: they may open a session. */
const DROPPED_HEADERS = new Set(['set-cookie', 'set-cookie2']);

interface RecordedExchange {
  readonly request: { readonly method: string; readonly url: string; readonly body?: string };
  readonly response: {
    readonly status: number;
    readonly url: string;
    readonly headers: Record<string, string | string[]>;
    readonly body?: string;
    /** A body that is not UTF-8 text (a binary export). */
    readonly bodyBase64?: string;
  };
}

interface CassetteFile {
  readonly version: number;
  readonly feed: string;
  readonly recordedAt: string;
  /** The run time of the recorded run: a replay uses it, so `{{ run.time }}` renders the same URLs. */
  readonly runTime: string;
  readonly exchanges: RecordedExchange[];
}

/** A request the cassette has no answer for. Not retried: recording again is the fix. */
export class CassetteMissError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CassetteMissError';
  }
}

/** Keeps every exchange of a run; `write` redacts and saves them. */
export class CassetteRecorder {
  private readonly exchanges: Array<{ request: HttpRequest; url: string; response: HttpResponse }> = [];

  public readonly wrap: ExchangeWrapper = (network: Exchange) => async (url, request) => {
    const response = await network(url, request);
    this.exchanges.push({ request, url: url.href, response });
    return response;
  };

  public get count(): number {
    return this.exchanges.length;
  }

  /** Writes `dir/cassette.json`, every text through the redactor; the file's path. */
  public write(dir: string, feed: string, runTime: Date, redactor: Redactor): string {
    const redact = (text: string) => redactor.redact(text);
    const file: CassetteFile = {
      version: CASSETTE_VERSION,
      feed,
      recordedAt: new Date().toISOString(),
      runTime: runTime.toISOString(),
      exchanges: this.exchanges.map(({ request, url, response }) => {
        const text = response.body.toString('utf8');
        const isText = Buffer.from(text, 'utf8').equals(response.body);
        return {
          request: { method: request.method, url: redact(url), ...(request.body !== undefined ? { body: redact(request.body) } : {}) },
          response: {
            status: response.status,
            url: redact(response.url),
            headers: redactHeaders(response.headers, redact),
            ...(isText ? { body: redact(text) } : { bodyBase64: response.body.toString('base64') }),
          },
        };
      }),
    };
    mkdirSync(dir, { recursive: true });
    const target = path.join(dir, CASSETTE_FILE);
    writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    return target;
  }
}

function redactHeaders(headers: HttpResponse['headers'], redact: (text: string) => string): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_HEADERS.has(name.toLowerCase())) continue;
    kept[name] = Array.isArray(value) ? value.map(redact) : redact(String(value));
  }
  return kept;
}

/** Answers a run's requests from a cassette, in the order they were recorded. */
export class CassettePlayer {
  private readonly used = new Set<number>();
  private readonly lastFor = new Map<string, number>();

  constructor(private readonly cassette: CassetteFile, private readonly dir: string, private readonly redactor: Redactor) {}

  /** The recorded run's time, for `{{ run.time }}`. */
  public get runTime(): Date {
    return new Date(this.cassette.runTime);
  }

  public readonly wrap: ExchangeWrapper = () => async (url, request) => {
    const wanted = `${request.method} ${this.redactor.redact(url.href)}`;
    const body = request.body !== undefined ? this.redactor.redact(request.body) : undefined;
    const same = this.cassette.exchanges
      .map((exchange, index) => ({ exchange, index }))
      .filter(({ exchange }) => `${exchange.request.method} ${exchange.request.url}` === wanted);
    const unused = same.filter(({ index }) => !this.used.has(index));
    // Several recorded answers to this URL (a POST body with the page cursor): the one with this body.
    const oneBody = same.every((s) => s.exchange.request.body === same[0].exchange.request.body);
    const match = unused.find(({ exchange }) => exchange.request.body === body) ?? (oneBody ? unused[0] : undefined);
    let index = match?.index;
    if (index === undefined) {
      // Asked again after its recorded answers ran out (a preview after a run): the last answer again.
      index = this.lastFor.get(`${wanted}\n${body ?? ''}`);
    }
    if (index === undefined) {
      throw new CassetteMissError(`the cassette ${path.join(this.dir, CASSETTE_FILE)} has no answer for ${wanted}`
        + `${body !== undefined ? ` with body ${body.slice(0, 200)}` : ''}; record it again (api-ingest record SPEC --cassette ${this.dir}) `
        + 'after changing the spec; a stored cursor or a run time other than the recording\'s also changes the URL');
    }
    this.used.add(index);
    this.lastFor.set(`${wanted}\n${body ?? ''}`, index);
    const recorded = this.cassette.exchanges[index].response;
    return {
      status: recorded.status,
      url: url.href,
      headers: Object.fromEntries(Object.entries(recorded.headers).map(([name, value]) => [name.toLowerCase(), value])),
      body: recorded.bodyBase64 !== undefined ? Buffer.from(recorded.bodyBase64, 'base64') : Buffer.from(recorded.body ?? '', 'utf8'),
    };
  };
}

/** Reads `dir/cassette.json`; a clear error for a missing or damaged one. */
export function loadCassette(dir: string, redactor: Redactor): CassettePlayer {
  const file = path.join(dir, CASSETTE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`--replay ${dir}: ${file} ${code ? `cannot be read (${code}); record one with api-ingest record SPEC --cassette ${dir}` : 'is not valid JSON'}`);
  }
  const cassette = parsed as Partial<CassetteFile>;
  if (cassette?.version !== CASSETTE_VERSION || !Array.isArray(cassette.exchanges) || typeof cassette.runTime !== 'string' || Number.isNaN(Date.parse(cassette.runTime))) {
    throw new Error(`--replay ${dir}: ${file} is not a cassette of version ${CASSETTE_VERSION} (version, runTime and exchanges); record it again`);
  }
  return new CassettePlayer(cassette as CassetteFile, dir, redactor);
}

/**
 * Secret values for a replay: no secret is read (there is no network, and a cassette must run in
 * a CI without credentials). Each secret is a JSON object whose fields are placeholders for every
 * field auth reads, so every auth type builds its requests; the redactor hides them as it hid the
 * real ones when recording, so the URLs match.
 */
export function replaySecret(fields: ReadonlyArray<string>): string {
  const names = new Set(['username', 'password', 'client_id', 'client_secret', 'refresh_token', ...fields]);
  return JSON.stringify(Object.fromEntries([...names].map((name) => [name, `replay-placeholder-${name}`])));
}
