/**
 * The layering rules of docs/ARCHITECTURE.md are lint rules: each import below, linted as if it
 * stood in the named file (a file of the layer that typescript-eslint's project knows), is refused
 * with the rule's reason; the allowed arrows pass.
 */
import * as path from 'node:path';
// eslint 9 runs this project's .eslintrc.json through its legacy API.
import { LegacyESLint } from 'eslint/use-at-your-own-risk';
import { PROJECT_ROOT } from '../setup/moto-server';

async function importErrors(file: string, source: string): Promise<string[]> {
  const eslint = new LegacyESLint({
    cwd: PROJECT_ROOT,
    useEslintrc: true,
    // With CI set, typescript-eslint infers a single run and parses files from disk, not this text.
    overrideConfig: { parserOptions: { disallowAutomaticSingleRunInference: true } },
  });
  const [result] = await eslint.lintText(`${source}\nexport const used = imported;\n`, { filePath: path.join(PROJECT_ROOT, file) });
  return result.messages
    .filter((m) => m.ruleId === 'import/no-restricted-paths' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('layering, enforced by lint', () => {
  test.each([
    ['src/storage/feed-bucket.ts', "import { runFeed as imported } from '../runtime/engine/engine';", /The construct never imports the runtime/],
    ['src/delivery/dynamic-partitioning.ts', "import { ApiToFirehoseIngestion as imported } from '../ingestion/api-to-firehose-ingestion';", /shared construct helpers go to src\/private/],
    ['src/feed-spec/poller-event.ts', "import { feedMetric as imported } from '../monitoring/feed-metrics';", /import neither side/],
    ['src/runtime/ports/logger.ts', "import { SecretRedactor as imported } from '../redaction/secret-redactor';", /Ports are leaves/],
    ['src/runtime/engine/prefetch.ts', "import { FirehoseSink as imported } from '../sinks/firehose-sink';", /The engine depends on ports only/],
    ['src/runtime/engine/prefetch.ts', "import { MemoryStateStore as imported } from '../state/memory-state-store';", /The engine depends on ports only/],
    ['src/runtime/engine/prefetch.ts', "import { SQSClient as imported } from '@aws-sdk/client-sqs';", /know nothing of AWS/],
    ['src/runtime/engine/prefetch.ts', "import { sqsModule as imported } from '../aws-sdk/sdk-modules';", /The engine depends on ports only/],
    ['src/runtime/aws-sdk/sdk-modules.ts', "import { SecretRedactor as imported } from '../redaction/secret-redactor';", /The SDK loader is a leaf/],
    ['src/runtime/sinks/firehose-limits.ts', "import { SqsDeadLetterWriter as imported } from '../dead-letters/sqs-dead-letter-writer';", /Adapters know each other only through ports/],
    ['src/runtime/dead-letters/dead-letter.ts', "import { jsonLogger as imported } from '../logging/json-logger';", /Adapters know each other only through ports/],
  ])('%s: %s is refused', async (file, source, reason) => {
    const errors = await importErrors(file, source);
    expect(errors).toEqual([expect.stringMatching(reason)]);
  });

  test.each([
    ['src/runtime/engine/prefetch.ts', "import type { RecordSink as imported } from '../ports/record-sink';"],
    ['src/runtime/entrypoints/aws-clients.ts', "import { FirehoseSink as imported } from '../sinks/firehose-sink';"],
    ['src/runtime/dead-letters/dead-letter.ts', "import { sqsModule as imported } from '../aws-sdk/sdk-modules';"],
    ['src/ingestion/index.ts', "import { POLLER_ENV as imported } from '../feed-spec/poller-contract';"],
    ['src/runtime/sinks/firehose-limits.ts', "import { feedFolder as imported } from '../../feed-spec/poller-contract';"],
    ['src/storage/feed-bucket.ts', "import { skipCheckovChecks as imported } from '../private/checkov';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await importErrors(file, source)).toEqual([]);
  });
});
