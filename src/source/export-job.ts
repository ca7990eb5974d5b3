import type { Duration } from 'aws-cdk-lib';
import type { ExportSpecInput } from '../feed-spec/feed-spec';
import { definedOnly } from '../private/defined-only';

/** Options of a results URL. */
export interface ExportResultsUrlOptions {
  /**
   * A response header that pages the results (Salesforce's `Sforce-Locator`): the next part is
   * asked for with `locatorParam` set to its value, until it is absent or `locatorEnd`.
   *
   * @default - the results are one answer
   */
  readonly locatorHeader?: string;
  /**
   * The query parameter that sends the locator.
   *
   * @default "locator"
   */
  readonly locatorParam?: string;
  /**
   * The header value that means there are no more parts.
   *
   * @default "null"
   */
  readonly locatorEnd?: string;
  /**
   * Send the feed's credentials to result URLs on a host other than the request's.
   *
   * @default false
   */
  readonly sendCredentials?: boolean;
}

/** Options of result files listed in the status answer. */
export interface ExportResultFilesOptions {
  /**
   * Send the feed's credentials to result URLs on a host other than the request's (pre-signed
   * URLs carry their own; their host must be in `limits.allowedHosts`).
   *
   * @default false
   */
  readonly sendCredentials?: boolean;
}

/** Where an export job's results are. */
export abstract class ExportResults {
  /** One results URL; `{{ job.id }}` is the job's id (e.g. Salesforce's `/jobs/query/{{ job.id }}/results`). */
  public static fromUrl(url: string, options: ExportResultsUrlOptions = {}): ExportResults {
    return new SpecExportResults(definedOnly({
      url,
      locator: options.locatorHeader !== undefined
        ? definedOnly({ header: options.locatorHeader, param: options.locatorParam ?? 'locator', end: options.locatorEnd })
        : undefined,
      sendCredentials: options.sendCredentials,
    }));
  }

  /** Result files whose URLs the ready status answer lists, e.g. `files[*].url` (pre-signed URLs on another host). */
  public static listedAt(urlsPath: string, options: ExportResultFilesOptions = {}): ExportResults {
    return new SpecExportResults(definedOnly({ urlsPath, sendCredentials: options.sendCredentials }));
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): ExportSpecInput['results'];
}

class SpecExportResults extends ExportResults {
  constructor(private readonly spec: ExportSpecInput['results']) {
    super();
  }

  public _toSpec(): ExportSpecInput['results'] {
    return this.spec;
  }
}

/** Properties of an export job. */
export interface ExportJobProps {
  /** Where the job's id is in the answer to the source's request, which creates the job. */
  readonly jobIdPath: string;
  /** The job's status URL; `{{ job.id }}` is the job's id. */
  readonly statusUrl: string;
  /** Where the job's state is in the status answer. */
  readonly statusPath: string;
  /** States that mean the results are ready, e.g. `['JobComplete']`. */
  readonly readyStates: string[];
  /**
   * States that mean the job failed: it is reported and created again once.
   *
   * @default - none: any state but the ready ones is still running
   */
  readonly failedStates?: string[];
  /**
   * Where a failed job's error message is in the status answer.
   *
   * @default - none
   */
  readonly errorPath?: string;
  /** Where the results are. */
  readonly results: ExportResults;
  /**
   * The first wait between status requests, doubled up to `maxPollInterval`.
   *
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;
  /**
   * The longest wait between status requests.
   *
   * @default Duration.seconds(60)
   */
  readonly maxPollInterval?: Duration;
}

/**
 * An asynchronous export (Salesforce Bulk API 2.0, HubSpot exports, Stripe reports, SP-API
 * reports): the source's request creates a job, its status is polled until ready, and its result
 * files are delivered as the pages. The job is kept in state: a run that ends while it runs leaves
 * it to the next run, which polls it instead of creating another; the cursor commits once every
 * result file was delivered.
 */
export abstract class ExportJob {
  /** An export job polled until ready. */
  public static poll(props: ExportJobProps): ExportJob {
    return new SpecExportJob(definedOnly({
      jobIdPath: props.jobIdPath,
      status: definedOnly({
        url: props.statusUrl,
        path: props.statusPath,
        ready: [...props.readyStates],
        failed: props.failedStates ? [...props.failedStates] : undefined,
        errorPath: props.errorPath,
      }),
      results: props.results._toSpec(),
      pollSeconds: props.pollInterval !== undefined ? props.pollInterval.toMilliseconds() / 1000 : undefined,
      maxPollSeconds: props.maxPollInterval !== undefined ? props.maxPollInterval.toMilliseconds() / 1000 : undefined,
    }));
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): ExportSpecInput;
}

class SpecExportJob extends ExportJob {
  constructor(private readonly spec: ExportSpecInput) {
    super();
  }

  public _toSpec(): ExportSpecInput {
    return this.spec;
  }
}
