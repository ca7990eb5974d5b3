/**
 * `api-ingest`: try a spec before deploying it, run it locally, or run it into real AWS
 * resources: the same engine and sinks as the poller Lambda.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startDemoApi } from './demo-api';
import { FeedSpec, formatSpecProblems, validateFeedSpec } from '../../spec/feed-spec';
import type { DeadLetterWriter } from '../dead-letters/dead-letter';
import { FileDeadLetterWriter } from '../dead-letters/file-dead-letter-writer';
import { redrive } from '../dead-letters/redrive';
import { SqsDeadLetterWriter } from '../dead-letters/sqs-dead-letter-writer';
import { runFeed, RunSummary } from '../engine/engine';
import { jsonLogger, Logger } from '../engine/logger';
import { Redactor } from '../engine/redactor';
import { CachingSecretResolver, SecretStringSource } from '../secrets/secret-resolver';
import { secretsManagerSource } from '../secrets/secrets-manager-source';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';
import { LocalFileSink } from '../sinks/local-file-sink';
import type { RecordSink, SinkLine, SinkReport } from '../sinks/record-sink';
import { DynamoDbStateStore } from '../state/dynamodb-state-store';
import { FileStateStore } from '../state/file-state-store';
import { MemoryStateStore, StateStore } from '../state/state-store';

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
/** The run failed: every partition failed, or the destination refused records. */
export const EXIT_FAILED = 1;
/** The spec is invalid, or the command line is. */
export const EXIT_INVALID = 2;
/** Some partitions failed; the others were delivered. */
export const EXIT_PARTIAL = 3;

export const USAGE = `api-ingest: validate, preview and run cdk-api-ingestion feed specs

usage:
  api-ingest validate SPEC
  api-ingest preview SPEC [--pages N] [--records N] [--secrets FILE]
  api-ingest run SPEC --out DIR [--secrets FILE] [--json]
  api-ingest run SPEC --firehose STREAM [--dlq QUEUE_URL --dlq-bucket BUCKET] [--state-table TABLE] [--secrets FILE] [--json]
  api-ingest redrive --dlq QUEUE_URL --firehose STREAM [--json]
  api-ingest demo-api [--port 8787]        a demo weather API on loopback, for trying specs

Secrets are read from AWS Secrets Manager with the default credential chain, or from
--secrets FILE (a JSON object of secret ARN or name -> secret string). AWS_ENDPOINT_URL is honoured.

exit codes: 0 success, 1 run failed, 2 invalid spec or usage, 3 some partitions failed`;

interface Io {
  readonly isTTY: boolean;
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
};

function loadSpec(file: string, io: Io): FeedSpec | undefined {
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

function secretSource(file: string | undefined): SecretStringSource {
  if (!file) return secretsManagerSource(new SecretsManagerClient({ maxAttempts: 3 }));
  const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return async (arn) => {
    const value = values[arn];
    if (value === undefined) throw new Error(`secret ${arn} is not in ${file}`);
    return value;
  };
}

/** Collects records for a preview; prints nothing until the end. */
class PreviewSink implements RecordSink {
  public readonly records: unknown[] = [];
  public async write(line: SinkLine): Promise<void> {
    this.records.push(JSON.parse(line.toString()).record);
  }
  public async flush(): Promise<SinkReport> {
    return { linesDelivered: 0, linesDeadLettered: 0, calls: 0, failedPuts: 0 };
  }
}

function cell(value: unknown): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 28 ? `${text.slice(0, 27)}…` : text;
}

/** A plain text table of the first fields of each record. */
export function formatTable(records: unknown[]): string {
  const columns = [...new Set(records.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])))].slice(0, 6);
  const rows = records.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function summaryText(s: RunSummary): string {
  return [
    `feed ${s.feed}: ${s.status}${s.skipped ? ` (${s.skipped})` : ''}`,
    `  records fetched ${s.recordsFetched}, delivered ${s.recordsDelivered}, dead-lettered ${s.recordsDeadLettered}`,
    `  pages ${s.pages}, partitions ${s.partitions} (${s.partitionsFailed} failed), requests ${s.requests}, retries ${s.retries}`,
    `  duration ${(s.durationMs / 1000).toFixed(1)} s${s.stoppedEarly ? `, stopped early: ${s.stoppedEarly}` : ''}`,
    ...s.failures.map((f) => `  failed partition ${JSON.stringify(f.partition)}: ${f.error}`),
  ].join('\n');
}

function exitCodeOf(summary: RunSummary): number {
  return summary.status === 'failed' ? EXIT_FAILED : summary.status === 'partial' ? EXIT_PARTIAL : EXIT_OK;
}

/** Pages, records and rate on a terminal, rewritten in place; nothing when piped. */
function progress(io: Io, enabled: boolean) {
  const started = Date.now();
  let last = 0;
  return {
    onPage: ({ pages, records }: { pages: number; records: number }) => {
      if (!enabled || Date.now() - last < 200) return;
      last = Date.now();
      const rate = records / Math.max((Date.now() - started) / 1000, 0.001);
      io.err(`\r  ${pages} pages, ${records} records, ${Math.round(rate)} records/s   `);
    },
    done: () => { if (enabled && last > 0) io.err('\n'); },
  };
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(`${USAGE}\n`);
    return command === undefined ? EXIT_INVALID : EXIT_OK;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        'dlq': { type: 'string' },
        'dlq-bucket': { type: 'string' },
        'firehose': { type: 'string' },
        'state-table': { type: 'string' },
        'out': { type: 'string' },
        'pages': { type: 'string' },
        'records': { type: 'string' },
        'secrets': { type: 'string' },
        'json': { type: 'boolean' },
        'help': { type: 'boolean' },
        'port': { type: 'string' },
      },
    });
  } catch (err) {
    io.out(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT_INVALID;
  }
  const { values, positionals } = parsed;
  const redactor = new Redactor();
  const logger: Logger = jsonLogger(redactor, (line) => io.err(`${line}\n`));

  switch (command) {
    case 'validate': {
      if (positionals.length !== 1) break;
      const spec = loadSpec(positionals[0], io);
      if (!spec) return EXIT_INVALID;
      io.out(`${positionals[0]}: valid (feed "${spec.feed}")\n`);
      return EXIT_OK;
    }
    case 'preview': {
      if (positionals.length !== 1) break;
      const spec = loadSpec(positionals[0], io);
      if (!spec) return EXIT_INVALID;
      const sink = new PreviewSink();
      const summary = await runFeed(spec, {
        sink,
        state: new MemoryStateStore(),
        logger,
        redactor,
        secrets: new CachingSecretResolver(secretSource(values.secrets), redactor),
        preview: { maxPages: Number(values.pages ?? 2), maxRecords: Number(values.records ?? 20) },
      });
      if (io.isTTY) {
        io.out(`${formatTable(sink.records)}\n\n${sink.records.length} record(s) from ${summary.pages} page(s); nothing was written\n`);
      } else {
        for (const record of sink.records) io.out(`${JSON.stringify(record)}\n`);
      }
      return exitCodeOf(summary);
    }
    case 'run': {
      if (positionals.length !== 1 || (!values.out === !values.firehose)) break;
      const spec = loadSpec(positionals[0], io);
      if (!spec) return EXIT_INVALID;
      let sink: RecordSink;
      let state: StateStore;
      let deadLetters: DeadLetterWriter | undefined;
      if (values.out) {
        const dir = path.resolve(values.out);
        sink = new LocalFileSink({ directory: dir, feed: spec.feed });
        state = new FileStateStore(path.join(dir, '.state', `${spec.feed}.json`));
        deadLetters = new FileDeadLetterWriter(path.join(dir, 'dead-letters'), spec.feed);
      } else {
        if (values.dlq && !values['dlq-bucket']) break;
        deadLetters = values.dlq
          ? new SqsDeadLetterWriter({ sqs: new SQSClient({}), s3: new S3Client({}), queueUrl: values.dlq, bucket: values['dlq-bucket']!, feed: spec.feed })
          : undefined;
        sink = new FirehoseSink({ client: createFirehoseClient(), deliveryStreamName: values.firehose!, deadLetters, logger });
        state = values['state-table'] ? new DynamoDbStateStore(new DynamoDBClient({}), values['state-table']) : new MemoryStateStore();
      }
      const display = progress(io, io.isTTY && !values.json);
      let summary: RunSummary;
      try {
        summary = await runFeed(spec, {
          sink,
          state,
          deadLetters,
          logger,
          redactor,
          onPage: display.onPage,
          secrets: new CachingSecretResolver(secretSource(values.secrets), redactor),
        });
      } catch (err) {
        display.done();
        io.err(`api-ingest: the run failed and committed nothing: ${redactor.redact((err as Error).message)}\n`);
        return EXIT_FAILED;
      }
      display.done();
      io.out(values.json ? `${JSON.stringify(summary)}\n` : `${summaryText(summary)}${values.out ? `\n  output in ${values.out}` : ''}\n`);
      return exitCodeOf(summary);
    }
    case 'redrive': {
      if (!values.dlq || !values.firehose) break;
      const report = await redrive({
        sqs: new SQSClient({}),
        s3: new S3Client({}),
        queueUrl: values.dlq,
        logger,
        sink: new FirehoseSink({ client: createFirehoseClient(), deliveryStreamName: values.firehose, logger }),
      });
      io.out(values.json ? `${JSON.stringify(report)}\n`
        : `redriven ${report.messagesRedriven} dead letter(s), ${report.linesRedriven} line(s); left in the queue: ${report.messagesLeft}\n`);
      return report.deliveryFailed ? EXIT_FAILED : EXIT_OK;
    }
    case 'demo-api': {
      const port = Number(values.port ?? 8787);
      await startDemoApi(port);
      io.err(`demo weather API on http://127.0.0.1:${port}/v1/stations (Ctrl-C to stop)\n`);
      return new Promise<number>(() => undefined); // serves until killed
    }
  }
  io.out(`${USAGE}\n`);
  return values.help ? EXIT_OK : EXIT_INVALID;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
    process.stderr.write(`api-ingest: ${err.message}\n`);
    process.exitCode = EXIT_FAILED;
  });
}
