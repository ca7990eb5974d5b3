/**
 * Runs the engine (the same code the Lambda and the CLI run) against loopback APIs, collecting
 * what it writes. Secrets come from a map through the real caching resolver and redactor.
 */
import type { IncomingMessage } from 'node:http';
import { FeedSpecInput, parseFeedSpec } from '../../src/feed-spec/feed-spec';
import { EngineOptions, RunSummary, runFeed } from '../../src/runtime/engine/engine';
import type { RecordEnvelope } from '../../src/runtime/engine/envelope';
import type { Clock } from '../../src/runtime/engine/http-client';
import { jsonLogger } from '../../src/runtime/logging/json-logger';
import type { DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from '../../src/runtime/ports/dead-letters';
import type { RecordSink, SinkLine, SinkReport } from '../../src/runtime/ports/record-sink';
import { StateStore } from '../../src/runtime/ports/state-store';
import { SecretRedactor } from '../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver } from '../../src/runtime/secrets/secret-resolver';
import { MemoryStateStore } from '../../src/runtime/state/memory-state-store';

/** A sink that keeps every line (and can be told to fail, like a Firehose that gave up). */
export class CollectingSink implements RecordSink {
  public readonly lines: string[] = [];
  public failWith: Error | undefined;

  public async write(line: SinkLine): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.lines.push(line.toString());
  }

  public async flush(): Promise<SinkReport> {
    if (this.failWith) throw this.failWith;
    return { linesDelivered: this.lines.length, linesDeadLettered: 0, calls: this.lines.length > 0 ? 1 : 0, failedPuts: 0 };
  }

  public get envelopes(): RecordEnvelope[] {
    return this.lines.map((l) => JSON.parse(l));
  }

  public get records(): any[] {
    return this.envelopes.map((e) => e.record);
  }
}

/** A dead-letter writer that keeps what it is sent: records (sink or run rejections) and requests. */
export class CollectingDeadLetters implements DeadLetterWriter {
  public readonly records: RecordsDeadLetter[] = [];
  public readonly requests: RequestDeadLetter[] = [];

  public async sendRecords(letter: RecordsDeadLetter): Promise<void> {
    this.records.push(letter);
  }

  public async sendRequest(letter: RequestDeadLetter): Promise<void> {
    this.requests.push(letter);
  }
}

export interface HarnessOptions {
  readonly secrets?: Record<string, string>;
  readonly state?: StateStore;
  readonly sink?: CollectingSink;
  readonly runTime?: Date;
  readonly deadline?: number;
  readonly dryRun?: boolean;
  readonly stopWhen?: EngineOptions['stopWhen'];
  /** Loopback APIs are what these tests call: allowed unless a test says otherwise. @default true */
  readonly allowLoopback?: boolean;
  readonly clock?: Clock;
  readonly deadLetters?: DeadLetterWriter;
  readonly repeat?: EngineOptions['repeat'];
  readonly rotatingSecrets?: EngineOptions['rotatingSecrets'];
  /** Engine options a test sets beyond these (a durable pass's). */
  readonly engine?: Pick<EngineOptions, 'holdOnRetryAfter' | 'checkpointPages' | 'onlyPartitions' | 'holder' | 'keepLease' | 'longestWaitMs'>;
}

export interface HarnessResult {
  readonly summary: RunSummary;
  readonly sink: CollectingSink;
  readonly logs: Array<{ level: string; message: string; fields: Record<string, unknown> }>;
  /** Everything the run logged (as the real, redacting JSON logger wrote it) and its summary, for redaction checks. */
  readonly logText: string;
}

export function baseSpec(url: string, overrides: Partial<FeedSpecInput> = {}): FeedSpecInput {
  return { version: 1, feed: 'test-feed', request: { url }, records: { path: 'data' }, ...overrides } as FeedSpecInput;
}

export async function runSpec(input: FeedSpecInput, options: HarnessOptions = {}): Promise<HarnessResult> {
  const redactor = new SecretRedactor();
  const lines: string[] = [];
  const logger = jsonLogger(redactor, (line) => lines.push(line));
  const sink = options.sink ?? new CollectingSink();
  const secrets = new CachingSecretResolver(async (arn) => {
    const value = options.secrets?.[arn];
    if (value === undefined) throw new Error(`no such secret: ${arn}`);
    return value;
  }, redactor);
  const summary = await runFeed(parseFeedSpec(input), {
    sink,
    state: options.state ?? new MemoryStateStore(),
    secrets,
    logger,
    redactor,
    runTime: options.runTime,
    deadline: options.deadline,
    dryRun: options.dryRun,
    stopWhen: options.stopWhen,
    minBackoffMs: 5,
    allowLoopback: options.allowLoopback ?? true,
    clock: options.clock,
    deadLetters: options.deadLetters,
    repeat: options.repeat,
    rotatingSecrets: options.rotatingSecrets,
    ...options.engine,
  });
  const logs = lines.map((line) => {
    const { level, message, timestamp: _timestamp, ...fields } = JSON.parse(line);
    return { level, message, fields };
  });
  return { summary, sink, logs, logText: lines.join('\n') + JSON.stringify(summary) };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
