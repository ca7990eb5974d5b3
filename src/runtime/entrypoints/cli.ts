/**
 * `api-ingest`: the poller's engine and sinks from the command line.
 *
 *   api-ingest validate SPEC                                   check a spec file (exit 2 when invalid)
 *   api-ingest redrive --dlq QUEUE_URL --firehose STREAM       re-ingest dead letters
 *
 * Exit codes: 0 success, 1 failure (run or redrive), 2 invalid spec or usage.
 * AWS access uses the default credential chain; AWS_ENDPOINT_URL is honoured.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { formatSpecProblems, validateFeedSpec } from '../../spec/feed-spec';
import { redrive } from '../dead-letters/redrive';
import { jsonLogger } from '../engine/logger';
import { Redactor } from '../engine/redactor';
import { createFirehoseClient } from '../sinks/firehose-client';
import { FirehoseSink } from '../sinks/firehose-sink';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

const USAGE = `usage:
  api-ingest validate SPEC
  api-ingest redrive --dlq QUEUE_URL --firehose STREAM [--json]`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { dlq: { type: 'string' }, firehose: { type: 'string' }, json: { type: 'boolean' } },
  });
  switch (command) {
    case 'validate': {
      if (positionals.length !== 1) break;
      let input: unknown;
      try {
        input = JSON.parse(readFileSync(positionals[0], 'utf8'));
      } catch (err) {
        out(`${positionals[0]}: not readable as JSON: ${(err as Error).message}`);
        return EXIT_INVALID;
      }
      const result = validateFeedSpec(input);
      if (!result.ok) {
        out(`${positionals[0]}: invalid (${result.problems.length} problem(s)):\n${formatSpecProblems(result.problems)}`);
        return EXIT_INVALID;
      }
      out(`${positionals[0]}: valid (feed "${result.spec.feed}")`);
      return EXIT_OK;
    }
    case 'redrive': {
      if (!values.dlq || !values.firehose) break;
      const logger = jsonLogger(new Redactor(), (line) => process.stderr.write(`${line}\n`));
      const report = await redrive({
        sqs: new SQSClient({}),
        s3: new S3Client({}),
        queueUrl: values.dlq,
        sink: new FirehoseSink({ client: createFirehoseClient(), deliveryStreamName: values.firehose, logger }),
        logger,
      });
      out(values.json ? JSON.stringify(report)
        : `redriven ${report.messagesRedriven} dead letter(s), ${report.linesRedriven} line(s); left in the queue: ${report.messagesLeft}`);
      return report.messagesLeft > 0 && report.messagesRedriven === 0 && report.linesRedriven === 0 ? EXIT_FAILED : EXIT_OK;
    }
  }
  out(USAGE);
  return EXIT_INVALID;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
    process.stderr.write(`api-ingest: ${err.message}\n`);
    process.exitCode = EXIT_FAILED;
  });
}
