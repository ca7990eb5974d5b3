/**
 * Asynchronous export jobs (Salesforce Bulk API 2.0 query jobs, HubSpot exports, Stripe reports,
 * Amazon SP-API reports): the spec's request creates a job, its status is polled until it is
 * ready, and its result files are the pages the engine delivers.
 *
 * - The job is handed to the engine as soon as it exists (`onJob`), which keeps it in state: a run
 *   that ends while the job runs (its time budget) leaves it to the next run, which polls it
 *   instead of creating another. A result file delivered is counted in that state too, so a
 *   resumed download starts at the first file not yet delivered.
 * - A job that failed (a `failed` state, or a status request answered 404/410 because it
 *   expired) is reported and created again once; failing again fails the partition.
 * - Polling waits on the run's clock, doubling from `pollSeconds` to `maxPollSeconds`, and never
 *   past the run's deadline.
 * - Result URLs come from the API: they are held to the spec's origins by the HTTP client (a
 *   pre-signed URL's host must be in `limits.allowedHosts`), and they get the feed's credentials
 *   only on the request's own origin, or where `results.sendCredentials` says so.
 */
import { sendRefreshingOn401 } from './auth';
import { parsePage } from './extract-records';
import { Clock, firstHeader, HttpError, HttpResponse } from './http-client';
import { queryAll, queryFirst } from './json-path';
import { originOf, sameOrigin } from './origins';
import { PageRequestError, PageStreamEnd, PageStreamOptions, StreamedPage, urlWithQuery } from './page-stream';
import type { Page, PagePosition } from './page-stream';
import { renderJson, renderMap, renderUrl, TemplateContext } from './template';
import { AuthRequestError } from './token-auth';
import type { ExportSpec } from '../../feed-spec/feed-spec';
import type { ExportJobState } from '../ports/state-store';

export interface ExportJobOptions extends PageStreamOptions {
  readonly export: ExportSpec;
  /** The job a checkpoint kept: polled (or downloaded) instead of creating one. */
  readonly job?: ExportJobState;
  /** A job created (kept in state at once), or gone (undefined: its state is cleared). */
  readonly onJob: (job: ExportJobState | undefined) => Promise<void>;
  /** A job that failed and is created again: reported by the run. */
  readonly onJobFailed: (message: string) => void;
  readonly clock: Clock;
  /** Epoch ms after which no wait may end: the job is left to the next run. */
  readonly deadline?: number;
  /** The longest wait for the job made in process; a longer one leaves it like the deadline does. @default up to the deadline */
  readonly longestWaitMs?: number;
}

const DEFAULT_POLL_SECONDS = 5;
const DEFAULT_MAX_POLL_SECONDS = 60;
const EXPIRED_STATUSES = new Set([404, 410]);

/** A job that cannot give results: failed or expired. */
class JobFailed extends Error {}

export async function* exportJobPages(options: ExportJobOptions): AsyncGenerator<Page, PageStreamEnd> {
  const jobs = new ExportRequests(options);
  let job = options.job ?? await jobs.create(false);
  let status: unknown;
  for (;;) {
    try {
      status = await jobs.waitUntilReady(job);
      break;
    } catch (err) {
      if (err instanceof JobStillRunning) {
        // The next wait is kept with the job: the doubling goes on from there in the next run.
        const resumeAt = { request: jobs.createRequest, pagesDone: 0, job: { ...job, pollDelayMs: err.nextDelayMs } };
        return { stoppedEarly: { reason: err.message, resumeAt, notBefore: err.notBefore } };
      }
      if (!(err instanceof JobFailed)) throw err;
      if (job.recreated) {
        await options.onJob(undefined);
        throw new Error(`${err.message}; it was already created again once in this job's life, so the partition fails (the next run creates a new job)`);
      }
      options.onJobFailed(`${err.message}: created again once`);
      job = await jobs.create(true);
    }
  }
  const files = jobs.resultUrls(job, status);
  let pagesDone = 0;
  for (let index = job.filesDone; index < files.length; index++) {
    const position = (filesDone: number): PagePosition => ({ request: jobs.createRequest, pagesDone, job: { ...job, filesDone } });
    let query: Record<string, string> = {};
    for (;;) {
      const url = urlWithQuery(files[index], query);
      const safeUrl = options.redactor.redact(url);
      const response = await jobs.get(url, jobs.credentialsFor(url), 'result file');
      const parsed = parsePage(response.body, options.records);
      pagesDone += 1;
      const locator = jobs.nextLocator(response);
      const last = locator === undefined;
      // The file's last part moves the kept job on: a resume starts at the next file.
      yield new StreamedPage(parsed, safeUrl, new Date(), position(last ? index + 1 : index));
      if (last) break;
      query = { [options.export.results.locator!.param]: locator };
    }
  }
  return {};
}

/** Thrown when the job is still running and the next wait would end past the deadline (or be longer than the run waits in process). */
class JobStillRunning extends Error {
  constructor(
    message: string,
    /** When the job's status is to be asked again (ISO 8601). */
    public readonly notBefore: string,
    /** The wait after that poll, if the job is still running then. */
    public readonly nextDelayMs: number,
  ) {
    super(message);
  }
}

/** The export's requests, with the spec's headers and auth (a 401 refreshes the credentials once). */
class ExportRequests {
  public readonly createRequest: PagePosition['request'];
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ExportJobOptions) {
    const { request, template } = options;
    this.headers = renderMap(request.headers, template);
    this.createRequest = { url: renderUrl(request.url, template), query: renderMap(request.query, template) };
  }

  /** Creates the job (the spec's request) and keeps it in state. */
  public async create(recreated: boolean): Promise<ExportJobState> {
    const { request, template, export: spec } = this.options;
    const body = request.body !== undefined ? JSON.stringify(renderJson(request.body, template)) : undefined;
    const url = urlWithQuery(this.createRequest.url, this.createRequest.query);
    const response = await this.send(url, request.method, true, 'create the export job', body);
    const id = queryFirst(parseJson(response, url), spec.jobIdPath);
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
      throw new PageRequestError({ method: request.method, url: this.options.redactor.redact(url) },
        new Error(`the export job's create answer has no job id at "${spec.jobIdPath}"`));
    }
    const createdAt = new Date(this.options.clock.now()).toISOString();
    const job: ExportJobState = { id: String(id), createdAt, filesDone: 0, ...(recreated ? { recreated } : {}) };
    this.options.logger.info('export job created', { job: job.id, recreated });
    await this.options.onJob(job);
    return job;
  }

  /** Polls the job's status until ready; its last status answer. */
  public async waitUntilReady(job: ExportJobState): Promise<unknown> {
    const { export: spec, clock, deadline, longestWaitMs } = this.options;
    const maxDelayMs = (spec.maxPollSeconds ?? DEFAULT_MAX_POLL_SECONDS) * 1000;
    let delayMs = Math.min(job.pollDelayMs ?? (spec.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000, maxDelayMs);
    const url = renderUrl(spec.status.url, this.jobTemplate(job));
    for (;;) {
      let response: HttpResponse;
      try {
        response = await this.get(url, true, 'export job status');
      } catch (err) {
        const status = err instanceof PageRequestError && err.cause instanceof HttpError ? err.cause.status : undefined;
        if (status !== undefined && EXPIRED_STATUSES.has(status)) throw new JobFailed(`export job ${job.id} is gone (its status answered HTTP ${status}: expired?)`);
        throw err;
      }
      const document = parseJson(response, url);
      const state = queryFirst(document, spec.status.path);
      const text = state === undefined || state === null ? undefined : String(state);
      if (text !== undefined && spec.status.ready.includes(text)) return document;
      if (text !== undefined && spec.status.failed?.includes(text)) {
        const why = spec.status.errorPath ? queryFirst(document, spec.status.errorPath) : undefined;
        throw new JobFailed(`export job ${job.id} ${text}${why !== undefined && why !== null ? ` (${this.options.redactor.redact(String(why)).slice(0, 300)})` : ''}`);
      }
      if (deadline !== undefined && clock.now() + delayMs > deadline) {
        throw new JobStillRunning(`export job ${job.id} is still ${text ?? 'running'} at the run's time budget; the next run polls it again`,
          new Date(clock.now() + delayMs).toISOString(), Math.min(delayMs * 2, maxDelayMs));
      }
      if (longestWaitMs !== undefined && delayMs > longestWaitMs) {
        throw new JobStillRunning(`export job ${job.id} is still ${text ?? 'running'}; its next poll is ${delayMs / 1000} s away, waited out without compute`,
          new Date(clock.now() + delayMs).toISOString(), Math.min(delayMs * 2, maxDelayMs));
      }
      this.options.logger.info('export job not ready yet', { job: job.id, state: text, waitMs: delayMs });
      await clock.sleep(delayMs);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }

  /** The result files' URLs: the results URL, or those the ready status lists (relative ones against the status URL). */
  public resultUrls(job: ExportJobState, status: unknown): string[] {
    const { results, status: statusSpec } = this.options.export;
    if (results.url !== undefined) return [renderUrl(results.url, this.jobTemplate(job))];
    const base = renderUrl(statusSpec.url, this.jobTemplate(job));
    return queryAll(status, results.urlsPath!).map((value) => {
      if (typeof value !== 'string' || value === '') throw new Error(`the export job's status lists a result location that is not a URL at "${results.urlsPath}"`);
      return new URL(value, base).href;
    });
  }

  /** The credentials go only to the request's own origin, or where the spec says so. */
  public credentialsFor(url: string): boolean {
    if (this.options.export.results.sendCredentials) return true;
    return sameOrigin(originOf(new URL(url)), originOf(new URL(this.createRequest.url)));
  }

  /** The next part's locator, or undefined when this was the last part (or the results are not paged). */
  public nextLocator(response: HttpResponse): string | undefined {
    const locator = this.options.export.results.locator;
    if (!locator) return undefined;
    const value = firstHeader(response.headers[locator.header.toLowerCase()]);
    return value === undefined || value === '' || value === (locator.end ?? 'null') ? undefined : value;
  }

  public get(url: string, withCredentials: boolean, what: string): Promise<HttpResponse> {
    return this.send(url, 'GET', withCredentials, what);
  }

  private async send(url: string, method: 'GET' | 'POST', withCredentials: boolean, what: string, body?: string): Promise<HttpResponse> {
    const { auth, http, redactor, logger } = this.options;
    const once = async () => {
      const target = { headers: withCredentials ? { ...this.headers } : {}, query: {} as Record<string, string> };
      if (withCredentials) await auth.apply(target);
      return http.request({
        url: urlWithQuery(url, target.query),
        method,
        headers: body !== undefined ? { 'content-type': 'application/json', ...target.headers } : target.headers,
        body,
      });
    };
    try {
      if (!withCredentials) return await once();
      return await sendRefreshingOn401(auth, once,
        () => logger.warn(`401 Unauthorized (${what}): refreshing credentials and retrying once`, { url: redactor.redact(url) }));
    } catch (err) {
      const failed = err instanceof AuthRequestError ? err.request : { method, url: redactor.redact(url) };
      throw new PageRequestError(failed, err as Error);
    }
  }

  private jobTemplate(job: ExportJobState): TemplateContext {
    return { ...this.options.template, jobId: job.id };
  }
}

function parseJson(response: HttpResponse, url: string): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new Error(`the export job's answer from ${new URL(url).origin}${new URL(url).pathname} is not JSON`);
  }
}
