/**
 * `api-ingest`: try a spec before deploying it, run it locally, or run it into real AWS
 * resources: the same engine and sinks as the poller Lambda.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { lazyS3Client, lazySqsClient, sqsClientConfig } from './aws-clients';
import { startDemoApi } from './demo-api';
import { defaultClients, DeployedRunError, startDeployedRun } from './deployed-run';
import { cellSafe, jsonSafe, terminalSafe } from './terminal-text';
import { BackfillRequest, backfillProblems, backfillRequest, backfillWindows } from '../../feed-spec/backfill';
import { EventTimeSource, eventTimeSource } from '../../feed-spec/event-time';
import { FeedSpec, formatSpecProblems, SecretRef, validateFeedSpec } from '../../feed-spec/feed-spec';
import { DEFAULT_RUNS_PER_MONTH, LIST_PRICES, monthlyCost, MonthlyCostEstimate } from '../../feed-spec/list-prices';
import { isPartitionList } from '../../feed-spec/poller-event';
import { ENVELOPE_COLUMNS, rowColumnNames } from '../../feed-spec/record-schema';
import { runBackfill, DEFAULT_BACKFILL_CONCURRENCY } from '../backfill/backfill-run';
import { CassetteRecorder, loadCassette, replaySecret } from '../cassette/cassette';
import { RedactingDeadLetterWriter } from '../dead-letters/dead-letter';
import { FileDeadLetterWriter } from '../dead-letters/file-dead-letter-writer';
import { redrive } from '../dead-letters/redrive';
import { SqsDeadLetterWriter } from '../dead-letters/sqs-dead-letter-writer';
import { CHECKPOINT_PAGES, ColumnStats, EngineOptions, runFeed, RunSummary, SchemaDrift } from '../engine/engine';
import { jsonLogger } from '../logging/json-logger';
import { DeadLetterWriter } from '../ports/dead-letters';
import { Logger } from '../ports/logger';
import type { RecordSink, SinkLine, SinkReport } from '../ports/record-sink';
import { Redactor } from '../ports/redactor';
import { RotatingSecretStore, SecretResolver, SecretStringSource } from '../ports/secrets';
import { StateStore } from '../ports/state-store';
import { SecretRedactor } from '../redaction/secret-redactor';
import { inferSchema } from '../schema/infer-schema';
import { sampleFindings } from '../schema/sample-check';
import { fileRotatingStore, secretsManagerRotatingStore } from '../secrets/rotating-secret-stores';
import { CachingSecretResolver } from '../secrets/secret-resolver';
import { secretsManagerSource } from '../secrets/secrets-manager-source';
import { EventTimeSink } from '../sinks/event-time-sink';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';
import { LocalFileSink } from '../sinks/local-file-sink';
import { LocalParquetSink } from '../sinks/local-parquet-sink';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';
import { FileStateStore } from '../state/file-state-store';
import { MemoryStateStore } from '../state/memory-state-store';

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
/** The run failed: every partition failed, or the destination refused records. */
export const EXIT_FAILED = 1;
/** The spec is invalid, or the command line is. */
export const EXIT_INVALID = 2;
/** Some partitions failed (the others were delivered), or records went to the dead-letter queue. */
export const EXIT_PARTIAL = 3;

/** A local run's time budget unless --time-budget says otherwise: the Lambda's own limit. */
const DEFAULT_TIME_BUDGET_SECONDS = 900;

export const USAGE = `api-ingest: validate, preview and run cdk-api-ingestion feed specs

usage:
  api-ingest --version
  api-ingest validate SPEC [--sample [--pages N] [--secrets FILE] [--allow-loopback]]
  api-ingest preview SPEC [--pages N] [--records N] [--secrets FILE | --replay DIR] [--allow-loopback]
  api-ingest record SPEC --cassette DIR [--pages N] [--secrets FILE] [--allow-loopback]
  api-ingest infer-schema SPEC [--pages N] [--write] [--secrets FILE] [--allow-loopback]
  api-ingest run SPEC --out DIR [--format json|parquet] [--time-folders arrival|event] [--secrets FILE | --replay DIR] [--json] [--time-budget SECONDS]
                     [--allow-loopback] [--runs-per-month N] [--memory-mb MB]
  api-ingest run SPEC --firehose STREAM [--dlq QUEUE_URL --dlq-bucket BUCKET] [--state-table TABLE] [--secrets FILE] [--json]
  api-ingest backfill SPEC --from T1 --to T2 [--window 1d] [--concurrency 4] (--out DIR [--time-folders event|arrival] | --firehose STREAM --state-table TABLE)
                     [--secrets FILE] [--json] [--time-budget SECONDS] [--allow-loopback] [--checkpoint-pages N]
  api-ingest backfill --schedule NAME [--group G] --from T1 --to T2 [--window 1d] [--wait] [--json]
  api-ingest trigger --schedule NAME [--group G] [--partitions JSON] [--wait] [--json]
  api-ingest redrive --feed NAME --dlq QUEUE_URL --dlq-bucket BUCKET --firehose STREAM [--json]
  api-ingest demo-api [--port 8787]        a demo weather API on loopback, for trying specs

Secrets are read from AWS Secrets Manager with the default credential chain, or from
--secrets FILE (a JSON object of secret ARN or name -> secret string). AWS_ENDPOINT_URL is honoured.
--allow-loopback lets requests go to 127.0.0.1 / ::1 / localhost (a local API); the deployed poller
never does unless the spec sets limits.allowPrivateAddresses. A run stops fetching after
--time-budget seconds (default ${DEFAULT_TIME_BUDGET_SECONDS}) and continues from a checkpoint next time.
A run ends with an estimate of the feed's monthly Firehose, Lambda and S3 cost if every run were
like it. A backfill fetches [T1, T2) window by window (1d, 6h, 30m or P1D; --concurrency at once) through the spec's
{{ window.start }} and {{ window.end }}, with state of its own: the live cursor never moves; run it again to resume.
trigger starts a run of a deployed feed as its schedule does (--schedule: the construct's schedule name), and
backfill --schedule a distributed feed's backfill in AWS; --wait follows it and prints its summary.
--time-folders event files local output under each record's event time (a schema's timestamp column reading the
datetime cursor's field, or that field), as TimePartitioning.eventTime() does in AWS; a backfill does so by default.
record saves a dry run's HTTP exchanges into DIR/cassette.json (secrets and tokens redacted); run and preview --replay DIR
answer from it with no network and no secret, at the recorded run's time, and fail on a request it does not have.
validate --sample runs the spec on a page of the API's records (--pages N for more) and names a field the transform reads
that none has, a record it fails on, or a schema column that stays empty (exit 3).
--format parquet (a spec with a schema) writes Parquet files with the Glue table's columns;
--format json (the default) writes JSON lines. --runs-per-month (default ${DEFAULT_RUNS_PER_MONTH}, hourly) and --memory-mb (default 512) describe the schedule.

exit codes: 0 success, 1 run failed, 2 invalid spec or usage,
            3 some partitions failed, or some records went to the dead-letter queue`;

interface Io {
  readonly isTTY: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** A usage or configuration problem, reported in one line with exit code 2. */
class UsageError extends Error {}

/**
 * What the CLI writes: every text is redacted (a secret in any wire form) and made safe for a
 * terminal; JSON is redacted value by value, so it stays valid JSON.
 */
function safeOutput(io: Io, redactor: Redactor) {
  return {
    isTTY: io.isTTY,
    out: (text: string) => io.out(terminalSafe(redactor.redact(text))),
    err: (text: string) => io.err(terminalSafe(redactor.redact(text))),
    json: (value: unknown) => io.out(`${jsonSafe(redactor.redactValue(value))}\n`),
    /** Progress (counts only), rewritten in place with a carriage return. */
    progress: (text: string) => io.err(text),
  };
}
type Output = ReturnType<typeof safeOutput>;

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
};

/**
 * `cdk-api-ingestion 1.2.3`: the package this command ships in. The bundle sits at
 * assets/cli/api-ingest.js of the package (npm, or the tarball inside the Python wheel).
 */
export function packageVersion(bundleDir: string = __dirname): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(bundleDir, '..', '..', 'package.json'), 'utf8'));
    return `${pkg.name} ${pkg.version}`;
  } catch {
    return 'cdk-api-ingestion (version unknown: package.json not found beside the command)';
  }
}

function loadSpec(file: string, io: Output): FeedSpec | undefined {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    io.out(`${file}: not readable as JSON: ${(err as Error).message}\n`);
    return undefined;
  }
  const result = validateFeedSpec(input);
  if (!result.ok) {
    io.out(`${file}: invalid (${result.problems.length} problem(s)):\n${formatSpecProblems(result.problems)}\n`);
    return undefined;
  }
  return result.spec;
}

/**
 * Secrets from a --secrets file, or Secrets Manager. The file's content is secret: a file that is
 * not a JSON object of strings is reported by its path and what is wrong, never by its text
 * (JSON.parse's messages quote the text they stopped at).
 */
function secretSource(file: string | undefined): SecretStringSource {
  if (!file) return secretsManagerSource({ maxAttempts: 3 });
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`--secrets ${file}: cannot be read (${code})`);
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new UsageError(`--secrets ${file}: not valid JSON${position ? ` (at character ${position})` : ''}; `
      + 'it must be a JSON object of secret ARN or name -> secret string (its content is not shown)');
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new UsageError(`--secrets ${file}: must be a JSON object of secret ARN or name -> secret string`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') throw new UsageError(`--secrets ${file}: the value of "${name}" must be a string (the value is not shown)`);
  }
  const map = new Map(Object.entries(values as Record<string, string>));
  return async (arn) => {
    const value = map.get(arn);
    if (value === undefined) throw new UsageError(`secret ${arn} is not in --secrets ${file}; add it: {"${arn}": "..."}`);
    return value;
  };
}

/**
 * The run's secrets, read before it starts (see preloadSecrets), and where a rotated refresh
 * token is written back: the --secrets file when one is given, or Secrets Manager.
 */
async function specSecrets(
  spec: FeedSpec, values: Values, redactor: Redactor,
): Promise<{ secrets: SecretResolver; rotatingSecrets: RotatingSecretStore }> {
  if (values.replay) {
    // A replay reads no secret: placeholders the redactor hides as it hid the recorded ones.
    const placeholder = replaySecret(secretsOf(spec).flatMap((ref) => (ref.field ? [ref.field] : [])));
    return {
      secrets: new CachingSecretResolver(async () => placeholder, redactor),
      rotatingSecrets: { current: async () => ({ value: placeholder, versionId: 'replay' }), replace: async () => true },
    };
  }
  const secrets = new CachingSecretResolver(secretSource(values.secrets), redactor);
  await preloadSecrets(spec, secrets, values.secrets);
  const rotatingSecrets = values.secrets ? fileRotatingStore(values.secrets) : secretsManagerRotatingStore({ maxAttempts: 3 });
  return { secrets, rotatingSecrets };
}

/** With --replay DIR: the engine options that answer from its cassette, at the recorded run's time. */
function replayOptions(values: Values, redactor: Redactor): Pick<EngineOptions, 'wrapExchange' | 'runTime'> {
  if (!values.replay) return {};
  let player;
  try {
    player = loadCassette(values.replay, redactor);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { wrapExchange: player.wrap, runTime: player.runTime };
}

/**
 * `record SPEC --cassette DIR`: a dry run of the whole spec (or --pages N per partition) whose
 * HTTP exchanges are saved, redacted, for `run` and `preview --replay DIR`.
 */
async function recordCommand(values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger): Promise<number | undefined> {
  if (positionals.length !== 1) return undefined;
  if (!values.cassette) throw new UsageError('needs --cassette DIR: where the recorded exchanges are saved');
  if (values.replay) throw new UsageError('--replay cannot be recorded: record from the API');
  const spec = loadSpec(positionals[0], io);
  if (!spec) return EXIT_INVALID;
  const maxPages = values.pages !== undefined ? Number(values.pages) : undefined;
  if (maxPages !== undefined && (!Number.isInteger(maxPages) || maxPages < 1)) throw new UsageError(`--pages must be a whole number of at least 1 (got "${values.pages}")`);
  const recorder = new CassetteRecorder();
  const runTime = new Date();
  const { summary } = await sampleRecords(spec, values, redactor, logger, 0,
    maxPages !== undefined ? ({ pages }) => (pages >= maxPages ? `record --pages ${maxPages}` : undefined) : undefined,
    { runTime, wrapExchange: recorder.wrap });
  const file = recorder.write(values.cassette, spec.feed, runTime, redactor);
  io.out(`recorded ${recorder.count} exchange(s) (${summary.recordsFetched} record(s) from ${summary.pages} page(s), run ${summary.status}) into ${file}; `
    + 'secrets and tokens redacted\n');
  return exitCodeOf(summary);
}

/** The secrets a spec's auth reads. */
function secretsOf(spec: FeedSpec): SecretRef[] {
  return spec.auth.type === 'none' ? [] : [spec.auth.secret];
}

/**
 * Reads the spec's secrets before the run, so a missing one is reported as what it is (a setup
 * problem, in one line) instead of failing every request and filling the dead-letter queue.
 */
async function preloadSecrets(spec: FeedSpec, secrets: SecretResolver, secretsFile: string | undefined): Promise<void> {
  for (const ref of secretsOf(spec)) {
    try {
      await secrets.resolve({ arn: ref.arn });
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const name = (err as Error).name;
      if (!secretsFile && /Credential|ExpiredToken|UnrecognizedClient|InvalidClientTokenId/i.test(`${name} ${(err as Error).message}`)) {
        throw new UsageError(`secret ${ref.arn} cannot be read: no usable AWS credentials (${name}); for a local try, pass --secrets FILE with {"${ref.arn}": "..."}`);
      }
      throw new UsageError(`secret ${ref.arn} cannot be read from Secrets Manager: ${name}: ${(err as Error).message}; for a local try, pass --secrets FILE`);
    }
  }
}

/** A preview's limits: pages fetched, records shown. */
interface PreviewLimits {
  readonly maxPages: number;
  readonly maxRecords: number;
}

/**
 * Keeps the first records of a preview; prints nothing until the end. What the destination will
 * receive: the record (after the transform), or with a schema the row's columns.
 */
class PreviewSink implements RecordSink {
  public readonly records: unknown[] = [];
  constructor(private readonly maxRecords: number, private readonly columns?: ReadonlyArray<string>) {}
  public async write(line: SinkLine): Promise<void> {
    if (this.records.length >= this.maxRecords) return;
    const written = JSON.parse(line.toString());
    this.records.push(this.columns ? Object.fromEntries(this.columns.map((name) => [name, written[name] ?? null])) : written.record);
  }
  public async flush(): Promise<SinkReport> {
    return { linesDelivered: 0, linesDeadLettered: 0, calls: 0, failedPuts: 0 };
  }
}

function cell(value: unknown): string {
  const text = cellSafe(value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  return text.length > 28 ? `${text.slice(0, 27)}…` : text;
}

/** A plain text table of the first fields of each record. */
export function formatTable(records: unknown[]): string {
  const columns = [...new Set(records.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])))].slice(0, 6);
  const rows = records.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c])));
  const headers = columns.map(cell);
  const widths = headers.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function summaryText(s: RunSummary): string {
  // Text from the API (errors, warnings) is one line each: a newline or bidi control in it cannot forge a line of the summary.
  const line = (text: string) => cellSafe(text);
  return [
    `feed ${s.feed}: ${s.status}${s.skipped ? ` (${line(s.skipped)})` : ''}`,
    `  records fetched ${s.recordsFetched}, delivered ${s.recordsDelivered}, dead-lettered ${s.recordsDeadLettered}`,
    `  pages ${s.pages}, partitions ${s.partitions} (${s.partitionsFailed} failed), requests ${s.requests}, retries ${s.retries}`,
    `  duration ${(s.durationMs / 1000).toFixed(1)} s${s.stoppedEarly ? `, stopped early: ${s.stoppedEarly}` : ''}`,
    ...(s.transform ? [`  transform: ${s.transform.recordsIn} record(s) in, ${s.transform.recordsOut} out, ${s.transform.recordsFiltered} filtered out, `
      + `${s.transform.errors} failed (dead-lettered)`] : []),
    ...(s.schemaDrift ? [driftText(s.schemaDrift)] : []),
    ...(s.columns ? [columnsText(s.columns)] : []),
    ...(s.shortReads ? [`  short reads: ${s.shortReads} partition(s) ended short of the total the API stated (their cursors stay)`] : []),
    ...(s.cursorStalls ? [`  cursor stalls: ${s.cursorStalls} partition(s) delivered records but their cursor could not advance`] : []),
    ...(s.partitionsSkipped ? [`  skipped by a response rule: ${s.partitionsSkipped} partition(s), their cursors unchanged`] : []),
    ...(s.recordsBeforeCursor ? [`  older than the cursor: ${s.recordsBeforeCursor} record(s), not delivered; the pages ended there (stopAtCursor)`] : []),
    ...s.failures.map((f) => `  failed partition ${line(JSON.stringify(f.partition))}: ${line(f.error)}`),
    ...(s.warnings ?? []).map((warning) => `  warning: ${line(warning)}`),
  ].join('\n');
}

/** With a schema: rows, and each column's filled share (and wrong-type values), in one line. */
function columnsText(columns: ColumnStats): string {
  const each = Object.entries(columns.byColumn).map(([name, tally]) => {
    const filled = columns.rows === 0 ? 0 : Math.round((100 * tally.nonNull) / columns.rows);
    return `${name} ${filled}%${tally.wrongType > 0 ? ` (${tally.wrongType} wrong type)` : ''}`;
  });
  return `  columns: ${columns.rows} row(s); filled: ${each.join(', ')}${columns.empty.length > 0 ? `; EMPTY: ${columns.empty.join(', ')}` : ''}`;
}

/** What did not fit the schema, and a few examples of it. */
function driftText(drift: SchemaDrift): string {
  const counts = `  schema drift: ${drift.unknownFields} field(s) not in the schema, ${drift.typeMismatches} value(s) of the wrong type, `
    + `in ${drift.recordsWithDrift} record(s); ${drift.recordsRejected} rejected (dead-lettered)`;
  return [counts, ...drift.examples.map((example) => `    ${cellSafe(example)}`)].join('\n');
}

function exitCodeOf(summary: RunSummary): number {
  switch (summary.status) {
    case 'failed': return EXIT_FAILED;
    case 'partial':
    case 'completedWithDeadLetters': return EXIT_PARTIAL;
    default: return EXIT_OK;
  }
}

/** Pages, records and rate on a terminal, rewritten in place; nothing when piped. */
function progress(io: Output, enabled: boolean) {
  const started = Date.now();
  let last = 0;
  return {
    onPage: ({ pages, records }: { pages: number; records: number }) => {
      if (!enabled || Date.now() - last < 200) return;
      last = Date.now();
      const rate = records / Math.max((Date.now() - started) / 1000, 0.001);
      io.progress(`\r  ${pages} pages, ${records} records, ${Math.round(rate)} records/s   `);
    },
    done: () => { if (enabled && last > 0) io.progress('\n'); },
  };
}

const OPTIONS = {
  'dlq': { type: 'string' },
  'dlq-bucket': { type: 'string' },
  'feed': { type: 'string' },
  'firehose': { type: 'string' },
  'state-table': { type: 'string' },
  'out': { type: 'string' },
  'format': { type: 'string' },
  'pages': { type: 'string' },
  'records': { type: 'string' },
  'secrets': { type: 'string' },
  'time-budget': { type: 'string' },
  'runs-per-month': { type: 'string' },
  'memory-mb': { type: 'string' },
  'allow-loopback': { type: 'boolean' },
  'json': { type: 'boolean' },
  'help': { type: 'boolean' },
  'write': { type: 'boolean' },
  'sample': { type: 'boolean' },
  'time-folders': { type: 'string' },
  'port': { type: 'string' },
  'from': { type: 'string' },
  'to': { type: 'string' },
  'window': { type: 'string' },
  'concurrency': { type: 'string' },
  'checkpoint-pages': { type: 'string' },
  'schedule': { type: 'string' },
  'group': { type: 'string' },
  'partitions': { type: 'string' },
  'wait': { type: 'boolean' },
  'cassette': { type: 'string' },
  'replay': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(`${USAGE}\n`);
    return command === undefined ? EXIT_INVALID : EXIT_OK;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    io.out(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT_INVALID;
  }
  const { values, positionals } = parsed;
  const redactor = new SecretRedactor();
  const output = safeOutput(io, redactor);
  const logger: Logger = jsonLogger(redactor, (line) => io.err(`${terminalSafe(line)}\n`));
  try {
    const code = await dispatch(command, values, positionals, output, redactor, logger);
    if (code !== undefined) return code;
  } catch (err) {
    if (err instanceof UsageError) {
      output.err(`api-ingest ${command}: ${err.message}\n`);
      return EXIT_INVALID;
    }
    throw redactor.redactError(err as Error);
  }
  io.out(`${USAGE}\n`);
  return values.help ? EXIT_OK : EXIT_INVALID;
}

/** Runs a command; undefined when the command line does not fit it (usage is printed). */
async function dispatch(
  command: string, values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger,
): Promise<number | undefined> {
  switch (command) {
    case 'validate':
      return validateCommand(values, positionals, io, redactor, logger);
    case 'preview':
      return previewCommand(values, positionals, io, redactor, logger);
    case 'infer-schema':
      return inferSchemaCommand(values, positionals, io, redactor, logger);
    case 'run':
      return runCommand(values, positionals, io, redactor, logger);
    case 'record':
      return recordCommand(values, positionals, io, redactor, logger);
    case 'backfill':
      return backfillCommand(values, positionals, io, redactor, logger);
    case 'trigger':
      if (positionals.length !== 0) return undefined;
      return deployedRunCommand(values, io);
    case 'redrive':
      return redriveCommand(values, io, logger);
    case 'demo-api': {
      const server = await startDemoApi(Number(values.port ?? 8787));
      const { port } = server.address() as AddressInfo;
      io.err(`demo weather API on http://127.0.0.1:${port}/v1/stations (Ctrl-C to stop)\n`);
      return new Promise<number>(() => undefined); // serves until killed
    }
  }
  return undefined;
}

/**
 * `validate SPEC`: every rule the construct applies at synth. With `--sample`, also a dry run of
 * a few pages (default 1), and what the spec makes of those real records (see sample-check.ts):
 * exit 3 when the sample shows a problem.
 */
async function validateCommand(values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger): Promise<number | undefined> {
  if (positionals.length !== 1) return undefined;
  const spec = loadSpec(positionals[0], io);
  if (!spec) return EXIT_INVALID;
  io.out(`${positionals[0]}: valid (feed "${spec.feed}")\n`);
  if (!values.sample) return EXIT_OK;
  const maxPages = Number(values.pages ?? 1);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new UsageError(`--pages must be a whole number of at least 1 (got "${values.pages}")`);
  // The records as the API sends them: the transform and the schema are applied to them here.
  const { records, summary } = await sampleRecords({ ...spec, transform: undefined, schema: undefined }, values, redactor, logger, SAMPLE_MAX_RECORDS,
    ({ pages }) => (pages >= maxPages ? `validate --sample reads ${maxPages} page(s)` : undefined));
  const findings = await sampleFindings(spec, records);
  if (summary.status === 'failed' || summary.status === 'partial') findings.unshift(`the sample run was ${summary.status}: ${summary.failures.map((f) => f.error).join('; ')}`);
  if (findings.length === 0) {
    io.out(`  sample of ${records.length} record(s) from ${summary.pages} page(s): every field the transform reads is there, every column has values\n`);
    return EXIT_OK;
  }
  io.out(`  sample of ${records.length} record(s) from ${summary.pages} page(s):\n${findings.map((finding) => `  - ${cellSafe(finding)}`).join('\n')}\n`);
  return EXIT_PARTIAL;
}

/** The most records `validate --sample` checks. */
const SAMPLE_MAX_RECORDS = 1000;

/** `preview SPEC`: a dry run that stops at its limits; the first records, as a table or JSON lines. */
async function previewCommand(
  values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger,
): Promise<number | undefined> {
  if (positionals.length !== 1) return undefined;
  const spec = loadSpec(positionals[0], io);
  if (!spec) return EXIT_INVALID;
  const limits: PreviewLimits = { maxPages: Number(values.pages ?? 2), maxRecords: Number(values.records ?? 20) };
  const { records, summary } = await sampleRecords(spec, values, redactor, logger, limits.maxRecords,
    ({ pages, records: seen }) => (pages >= limits.maxPages ? `preview limit of ${limits.maxPages} page(s)`
      : seen >= limits.maxRecords ? `preview limit of ${limits.maxRecords} record(s)` : undefined));
  if (io.isTTY) {
    io.out(`${formatTable(records)}\n\n${records.length} record(s) from ${summary.pages} page(s); nothing was written\n`);
  } else {
    for (const record of records) io.json(record);
  }
  // What the destination would get wrong (a column empty in every row shown, a short read), on stderr.
  for (const warning of summary.warnings ?? []) io.err(`warning: ${cellSafe(warning)}\n`);
  return exitCodeOf(summary);
}

/**
 * A dry run of the spec that keeps the first `maxRecords` records and stops when `stopWhen`
 * says: what preview and infer-schema read. Nothing is written, no state is kept.
 */
async function sampleRecords(
  spec: FeedSpec, values: Values, redactor: Redactor, logger: Logger, maxRecords: number, stopWhen: EngineOptions['stopWhen'],
  extra: Pick<EngineOptions, 'runTime' | 'wrapExchange'> = {},
): Promise<{ records: unknown[]; summary: RunSummary }> {
  const { secrets, rotatingSecrets } = await specSecrets(spec, values, redactor);
  // With a schema, its columns (the envelope's are the same in every row and left out; extra_fields is kept).
  const columns = spec.schema ? rowColumnNames(spec.schema).filter((name) => !ENVELOPE_COLUMNS.some(([envelope]) => envelope === name)) : undefined;
  const sink = new PreviewSink(maxRecords, columns);
  const summary = await runFeed(spec, {
    sink,
    state: new MemoryStateStore(),
    logger,
    redactor,
    secrets,
    rotatingSecrets,
    allowLoopback: values['allow-loopback'],
    deadline: Date.now() + timeBudgetSeconds(values) * 1000,
    dryRun: true,
    stopWhen,
    ...replayOptions(values, redactor),
    ...extra,
  });
  return { records: sink.records, summary };
}

/**
 * `infer-schema SPEC`: a dry run over a few pages, and the schema their records suggest. Printed
 * as JSON (conflicts on stderr); `--write` puts it into the spec file as its `schema`.
 */
async function inferSchemaCommand(
  values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger,
): Promise<number | undefined> {
  if (positionals.length !== 1) return undefined;
  const file = positionals[0];
  const spec = loadSpec(file, io);
  if (!spec) return EXIT_INVALID;
  const maxPages = Number(values.pages ?? 5);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new UsageError(`--pages must be a whole number of at least 1 (got "${values.pages}")`);
  // The records as the schema sees them (after the spec's transform), not as rows of a schema the spec may already have.
  const { records, summary } = await sampleRecords({ ...spec, schema: undefined }, values, redactor, logger, Number.MAX_SAFE_INTEGER,
    ({ pages }) => (pages >= maxPages ? `infer-schema reads ${maxPages} page(s)` : undefined));
  if (records.length === 0) {
    io.err(`api-ingest infer-schema: no records in ${summary.pages} page(s) (${summary.status}); nothing to infer a schema from\n`);
    return summary.status === 'succeeded' ? EXIT_FAILED : exitCodeOf(summary);
  }
  const inferred = inferSchema(records);
  const schema = { columns: inferred.columns, contract: spec.schema?.contract ?? 'evolve' };
  for (const conflict of inferred.conflicts) {
    io.err(`conflict at ${conflict.path}: values of ${conflict.seen.join(' and ')}; typed json (set its type in the schema to choose)\n`);
  }
  for (const skipped of inferred.skipped) {
    io.err(`left out ${JSON.stringify(skipped.path)}: ${skipped.reason} (the evolve contract keeps its values in extra_fields)\n`);
  }
  if (values.write) {
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    const written = { ...raw, schema };
    // Never write a spec that validate then refuses: the file keeps its old content instead.
    const check = validateFeedSpec(written);
    if (!check.ok) {
      io.err(`${file}: not written: the proposed schema does not validate:\n${formatSpecProblems(check.problems)}\n`);
      return EXIT_FAILED;
    }
    writeFileSync(file, `${JSON.stringify(written, null, 2)}\n`);
    io.err(`${file}: schema written from ${inferred.records} record(s) of ${summary.pages} page(s)\n`);
  } else {
    io.json(schema);
  }
  return EXIT_OK;
}

/** `redrive`: the feed's dead letters back into its delivery stream, payloads read only from its bucket. */
async function redriveCommand(values: Values, io: Output, logger: Logger): Promise<number> {
  const missing = (['feed', 'dlq', 'dlq-bucket', 'firehose'] as const).filter((name) => !values[name]);
  if (missing.length > 0) {
    throw new UsageError(`needs ${missing.map((m) => `--${m}`).join(', ')}: the feed whose dead letters are redriven, its queue, its bucket (the only place payloads are read from) and the delivery stream`);
  }
  const report = await redrive({
    sqs: new SQSClient(sqsClientConfig()),
    s3: new S3Client({}),
    queueUrl: values.dlq!,
    feed: values.feed!,
    bucket: values['dlq-bucket']!,
    logger,
    sink: new FirehoseSink({ client: createFirehoseClient(), deliveryStreamName: values.firehose!, logger }),
  });
  if (values.json) {io.json(report);} else {
    io.out(`redriven ${report.messagesRedriven} dead letter(s), ${report.linesRedriven} line(s); left in the queue: ${report.messagesLeft}`
    + `${report.messagesRefused > 0 ? ` (${report.messagesRefused} refused: payload outside the feed's bucket and prefix)` : ''}\n`);
  }
  return report.deliveryFailed || report.messagesRefused > 0 ? EXIT_FAILED : EXIT_OK;
}

/** A month of the feed's cost if every run were like this one, in one line. */
function costText(cost: MonthlyCostEstimate): string {
  return `  estimated monthly cost at ${cost.runsPerMonth} runs (${cost.lambdaMemoryMb} MB Lambda): $${cost.totalUsd.toFixed(2)} `
    + `(Firehose $${cost.firehoseUsd.toFixed(2)}, Lambda $${cost.lambdaUsd.toFixed(2)}, S3 $${cost.s3Usd.toFixed(2)}; ${LIST_PRICES.region} list prices)`;
}

function positiveNumber(values: Values, name: 'runs-per-month' | 'memory-mb', fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number (got "${text}")`);
  return value;
}

function timeBudgetSeconds(values: Values): number {
  const budget = Number(values['time-budget'] ?? DEFAULT_TIME_BUDGET_SECONDS);
  if (!Number.isFinite(budget) || budget <= 0) throw new UsageError(`--time-budget must be a number of seconds above 0 (got ${values['time-budget']})`);
  return budget;
}

/** Where a run's records go, as the command line says: checked before anything is fetched. */
function outputFormat(values: Values): 'json' | 'parquet' {
  if (!values.out && !values.firehose) throw new UsageError('say where the records go: --out DIR (local files) or --firehose STREAM (a delivery stream)');
  if (values.out && values.firehose) throw new UsageError('give one of --out DIR or --firehose STREAM, not both');
  if (values.dlq && !values['dlq-bucket']) throw new UsageError('--dlq needs --dlq-bucket BUCKET, where dead letters too large for SQS are written');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'parquet') throw new UsageError(`--format must be json or parquet (got "${format}")`);
  if (format === 'parquet' && !values.out) throw new UsageError('--format parquet is for --out DIR; a delivery stream converts with the construct\'s Format.parquet()');
  return format;
}

/**
 * Which time the local files' time folders follow (`--time-folders event|arrival`): a run's default
 * is arrival time, as the deployed feed's; a backfill's is the records' event time wherever the
 * spec has one (a schema's timestamp column that reads the datetime cursor's field, or that field).
 */
function timeFoldersOf(spec: FeedSpec, values: Values, fallback: 'event' | 'arrival'): EventTimeSource | undefined {
  const chosen = values['time-folders'];
  if (chosen !== undefined && chosen !== 'event' && chosen !== 'arrival') throw new UsageError(`--time-folders must be event or arrival (got "${chosen}")`);
  if (chosen !== undefined && !values.out) {
    throw new UsageError('--time-folders is for --out DIR: a delivery stream files records as the construct\'s timePartitioning says');
  }
  if (!values.out || (chosen ?? fallback) === 'arrival') return undefined;
  const source = eventTimeSource(spec);
  if (typeof source === 'string') {
    if (chosen === 'event') throw new UsageError(`--time-folders event: ${source}`);
    return undefined;
  }
  return source;
}

/** The spec of a command that writes records: valid, and with a schema when Parquet is asked for. */
function loadRunSpec(file: string, format: 'json' | 'parquet', io: Output): FeedSpec | undefined {
  const spec = loadSpec(file, io);
  if (spec && format === 'parquet' && !spec.schema) {
    throw new UsageError(`--format parquet needs the spec's schema, which gives the file its columns: run "api-ingest infer-schema ${file} --write" to propose one`);
  }
  return spec;
}

/**
 * The sinks, state and dead letters of a run or a backfill: local files with state beside them
 * (--out), or a delivery stream with the feed's state table and queue. Each call of `sinkFor`
 * makes a sink of its own (a backfill's windows each count their own records).
 */
function destinationOf(spec: FeedSpec, values: Values, format: 'json' | 'parquet', redactor: Redactor, logger: Logger, deadline: number,
  eventTime?: EventTimeSource) {
  if (values.out) {
    const dir = path.resolve(values.out);
    const fileSink = (now?: () => Date): RecordSink => (format === 'parquet' ? new LocalParquetSink({ directory: dir, feed: spec.feed, schema: spec.schema!, now })
      : new LocalFileSink({ directory: dir, feed: spec.feed, now }));
    return {
      sinkFor: (): RecordSink => (eventTime ? new EventTimeSink({ source: eventTime, logger, sinkAt: (at) => fileSink(() => at) }) : fileSink()),
      state: new FileStateStore(path.join(dir, '.state', `${spec.feed}.json`), { deadline }) as StateStore,
      deadLetters: new RedactingDeadLetterWriter(new FileDeadLetterWriter(path.join(dir, 'dead-letters'), spec.feed), redactor) as DeadLetterWriter,
    };
  }
  const deadLetters: DeadLetterWriter | undefined = values.dlq
    ? new RedactingDeadLetterWriter(new SqsDeadLetterWriter({ sqs: lazySqsClient(), s3: lazyS3Client(), queueUrl: values.dlq, bucket: values['dlq-bucket']!, feed: spec.feed }), redactor)
    : undefined;
  const client = createFirehoseClient();
  return {
    sinkFor: (): RecordSink => new FirehoseSink({ client, deliveryStreamName: values.firehose!, deadLetters, logger }),
    state: (values['state-table'] ? new DynamoDbStateStore(new DynamoDBClient({}), values['state-table']) : new MemoryStateStore()) as StateStore,
    deadLetters,
  };
}

async function runCommand(values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger): Promise<number | undefined> {
  if (positionals.length !== 1) return undefined;
  const format = outputFormat(values);
  const deadline = Date.now() + timeBudgetSeconds(values) * 1000;
  const runsPerMonth = positiveNumber(values, 'runs-per-month', DEFAULT_RUNS_PER_MONTH);
  const memoryMb = positiveNumber(values, 'memory-mb', 512);
  const spec = loadRunSpec(positionals[0], format, io);
  if (!spec) return EXIT_INVALID;
  const { secrets, rotatingSecrets } = await specSecrets(spec, values, redactor);
  const replay = replayOptions(values, redactor);
  const { sinkFor, state, deadLetters } = destinationOf(spec, values, format, redactor, logger, deadline, timeFoldersOf(spec, values, 'arrival'));
  const sink = sinkFor();
  const display = progress(io, io.isTTY && !values.json);
  let summary: RunSummary;
  try {
    summary = await runFeed(spec, {
      sink,
      state,
      deadLetters,
      logger,
      redactor,
      secrets,
      rotatingSecrets,
      deadline,
      allowLoopback: values['allow-loopback'],
      onPage: display.onPage,
      ...replay,
    });
  } catch (err) {
    display.done();
    io.err(`api-ingest: the run failed and committed nothing: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
  display.done();
  const cost = monthlyCost(summary, runsPerMonth, memoryMb);
  if (values.json) io.json({ ...summary, costEstimate: cost });
  else io.out(`${summaryText(summary)}\n${costText(cost)}${values.out ? `\n  output in ${values.out}` : ''}\n`);
  return exitCodeOf(summary);
}

/**
 * `trigger --schedule NAME` (and `backfill --schedule NAME`): a run of the deployed feed, started
 * as its schedule starts one; with --wait, followed to its end and its summary printed.
 */
async function deployedRunCommand(values: Values, io: Output, run: { backfill?: BackfillRequest } = {}): Promise<number> {
  if (!values.schedule) throw new UsageError('needs --schedule NAME: the feed\'s schedule (its input carries the spec and says what to start)');
  // The default credential chain and region; AWS_ENDPOINT_URL is honoured (moto in the tests).
  const result = await startDeployedRun(defaultClients(), {
    scheduleName: values.schedule,
    scheduleGroup: values.group,
    partitions: values.partitions === undefined ? undefined : partitionsOption(values.partitions),
    backfill: run.backfill,
    wait: values.wait,
  }, { intervalMs: 5000, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) }).catch((err: Error) => {
    if (err instanceof DeployedRunError) throw new UsageError(err.message);
    throw err;
  });
  const summary = result.summary as RunSummary | undefined;
  if (values.json) {
    io.json(result);
  } else {
    const what = 'executionArn' in result.started ? `execution ${result.started.executionArn}` : `function ${result.started.functionArn}`;
    io.out(`started ${what}${values.wait ? `: ${result.status}` : ' (not waiting; --wait follows it to its end)'}\n`);
    if (result.error) io.out(`  ${result.error}\n`);
    if (summary && typeof summary.recordsFetched === 'number') io.out(`${summaryText(summary)}\n`);
    else if (summary?.skipped) io.out(`  skipped: ${summary.skipped}\n`);
  }
  if (!values.wait) return EXIT_OK;
  if (result.status !== 'SUCCEEDED') return EXIT_FAILED;
  return summary?.status ? exitCodeOf(summary) : EXIT_OK;
}

/** `--partitions '[{"station":"KSEA"}]'`: objects of strings, checked here; the poller checks they are the feed's own. */
function partitionsOption(text: string): ReadonlyArray<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--partitions must be JSON: a list of partitions, e.g. \'[{"station": "KSEA"}]\'');
  }
  if (!isPartitionList(parsed)) throw new UsageError('--partitions must be a non-empty list of objects of strings, e.g. \'[{"station": "KSEA"}]\'');
  return parsed;
}

/** `backfill SPEC --from --to`: the range's windows into local files or a delivery stream, resumable, apart from the live cursor. */
async function backfillCommand(values: Values, positionals: string[], io: Output, redactor: Redactor, logger: Logger): Promise<number | undefined> {
  if (positionals.length !== (values.schedule ? 0 : 1)) return undefined;
  if (!values.from || !values.to) throw new UsageError('needs --from and --to (ISO 8601 dates or date-times): the range [from, to) to backfill');
  let request: BackfillRequest;
  try {
    request = backfillRequest(values.from, values.to, values.window ?? '1d');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.schedule) return deployedRunCommand(values, io, { backfill: request });
  const format = outputFormat(values);
  if (values.firehose && !values['state-table']) {
    throw new UsageError('a backfill into a delivery stream needs --state-table TABLE (the feed\'s state table): it is how a stopped backfill resumes '
      + 'and never fetches a window twice');
  }
  const concurrency = wholeNumber(values, 'concurrency', DEFAULT_BACKFILL_CONCURRENCY);
  const checkpointPages = wholeNumber(values, 'checkpoint-pages', CHECKPOINT_PAGES);
  // The same budget as a run (default 900 s): without one, a Retry-After of a day would be waited out.
  // A backfill stopped by it resumes where it stopped when run again.
  const deadline = Date.now() + timeBudgetSeconds(values) * 1000;
  const spec = loadRunSpec(positionals[0], format, io);
  if (!spec) return EXIT_INVALID;
  const problems = backfillProblems(spec);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const { secrets, rotatingSecrets } = await specSecrets(spec, values, redactor);
  // A backfill files what it fetches under the records' own time wherever the spec has one: a month
  // backfilled today belongs to that month's folders.
  const { sinkFor, state, deadLetters } = destinationOf(spec, values, format, redactor, logger, deadline, timeFoldersOf(spec, values, 'event'));
  const windows = backfillWindows(request).length;
  let ended = 0;
  const summary = await runBackfill(spec, {
    request,
    sinkFor,
    state,
    deadLetters,
    logger,
    redactor,
    secrets,
    rotatingSecrets,
    deadline,
    concurrency,
    checkpointPages,
    allowLoopback: values['allow-loopback'],
    onWindow: () => {
      ended += 1;
      if (io.isTTY && !values.json) io.progress(`\r  ${ended}/${windows} windows   `);
    },
  });
  if (io.isTTY && !values.json && ended > 0) io.progress('\n');
  if (values.json) {
    io.json(summary);
  } else {
    io.out(`${[
      `backfill of feed ${spec.feed} from ${request.from} to ${request.to} in ${windows} window(s): ${summary.status}`,
      `  windows done ${summary.windowsDone}, already done before ${summary.windowsAlreadyDone}, incomplete ${summary.windowsIncomplete}`
        + `${summary.windowsHeld > 0 ? `, run by another process ${summary.windowsHeld}` : ''}`,
      `  records fetched ${summary.runs.recordsFetched}, delivered ${summary.runs.recordsDelivered}, dead-lettered ${summary.runs.recordsDeadLettered}; `
        + `requests ${summary.runs.requests}, retries ${summary.runs.retries}`,
      ...summary.incomplete.map(({ window, reason }) => `  incomplete ${window.start} to ${window.end}: ${reason}`),
      ...(summary.status === 'partial' ? ['  run the same command again to resume: done windows are skipped, stopped ones resume from their checkpoints'] : []),
    ].join('\n')}\n`);
  }
  // Failed only when no window could be completed; windows left to another process, or to the next run, are partial.
  return summary.status === 'succeeded' ? (summary.runs.recordsDeadLettered > 0 ? EXIT_PARTIAL : EXIT_OK)
    : summary.windowsIncomplete === summary.windows ? EXIT_FAILED : EXIT_PARTIAL;
}

function wholeNumber(values: Values, name: 'concurrency' | 'checkpoint-pages', fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a whole number of at least 1 (got "${text}")`);
  return value;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
    // main redacts what it throws; the text is still API content for a terminal.
    process.stderr.write(`api-ingest: ${terminalSafe(err.message)}\n`);
    process.exitCode = EXIT_FAILED;
  });
}
