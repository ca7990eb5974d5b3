/**
 * `npm run reliability`: runs every reliability scenario (test/reliability/scenarios.ts) against
 * moto behind the fault-injecting proxy and writes docs/RELIABILITY.md with the counts.
 */
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runScenario, SCENARIOS, ScenarioResult } from '../test/reliability/scenarios';
import { isMotoUp, startMoto } from '../test/setup/moto-server';

async function main(): Promise<void> {
  let stop = () => {};
  if (!process.env.MOTO_ENDPOINT || !(await isMotoUp(process.env.MOTO_ENDPOINT))) {
    const moto = await startMoto();
    process.env.MOTO_ENDPOINT = moto.endpoint;
    stop = () => moto.process.kill();
  }
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const result = await runScenario(scenario);
      results.push(result);
      console.log(`${result.lost === 0 && result.duplicates <= result.duplicatesAllowed ? 'ok  ' : 'FAIL'} ${result.name}: `
        + `served ${result.served}, S3 ${result.inS3}, DLQ ${result.inDlq}, lost ${result.lost}, duplicates ${result.duplicates}`);
    }
  } finally {
    stop();
  }
  const rows = results.map((r) => `| ${r.name} | ${r.served} | ${r.inS3} | ${r.inDlq} | ${r.requestDeadLetters} | **${r.lost}** | ${r.duplicates} (≤ ${r.duplicatesAllowed}) | ${r.runs} | ${r.putRecordBatchCalls} | ${r.notes} |`);
  const doc = `# Reliability

Every scenario below runs the real engine, Firehose sink, SQS dead-letter writer and DynamoDB
state against moto (server mode), with a fault-injecting proxy between the AWS SDK and moto
and a loopback HTTP server as the API. The "handler killed" and "overlapping" scenarios run
the bundled Lambda handler (\`assets/poller/index.js\`) as separate Node.js processes.

Each scenario accounts for every record the API served: **served = found in S3 ∪ found in the
dead-letter queue**; *lost* is what is in neither. *Duplicates* are lines found more than once;
the bound is what the scenario's faults can force: batches that reached Firehose although the
connection dropped before the answer (the client cannot know they landed), and at most one
checkpoint interval (50 pages) per killed run.

Produced by \`npm run reliability\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node.js ${process.version}).
The same scenarios run as assertions in \`test/reliability/reliability.test.ts\`.

| scenario | served | in S3 | in DLQ | request letters | lost | duplicates | runs | PutRecordBatch calls | what happened |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

## What each mechanism covers

- **Partial batch failures** (\`FailedPutCount > 0\`): only the failed entries are resent, with
  exponential backoff and jitter; records still failing when the retries are spent go to the
  dead-letter queue with the error and the number of attempts.
- **Throttling**: the sink halves its PutRecordBatch calls in flight (down to one) and raises
  them again after successes; nothing is dropped.
- **Dropped connections and slow responses**: the SDK's own retries (explicit timeouts) and the
  sink's backoff. A batch that landed although its answer was lost is sent again: the
  duplicates carry the same \`record_id\`.
- **API failures**: 429/5xx and timeouts are retried (Retry-After honoured); a request that
  still fails is reported to the dead-letter queue as a \`request\` letter with its partition and
  URL, the partition's cursor stays, and the other partitions go on.
- **Records over the Firehose limit**: dead-lettered; payloads too large for an SQS message are
  written under \`dead-letters/\` in the bucket and referenced from the message.
- **Time budget**: the poller stops fetching well before the Lambda timeout, flushes, and saves a
  checkpoint (next page's request, highest cursor so far); the next run continues there.
- **Killed runs**: every ~4 MB or 50 pages the engine flushes and checkpoints, so a rerun repeats
  at most one interval.
- **Overlapping invocations**: a conditional write on the run lease lets one run; the other exits
  with status \`skipped\`. A late duplicate of a completed scheduler execution is skipped too.
- **Records that break the schema's \`freeze\` contract, and records the transform fails on**:
  dead-lettered as their envelope lines (the record as the API sent it), with the fields that
  broke the contract or JSONata's error; the rest of the page is delivered and the cursor moves.

## Redrive

Dead letters of kind \`records\` hold the lines exactly as they would have landed in S3 (for a
record the schema or the transform rejected: its envelope line, which redrive sends as it is).
\`npx api-ingest redrive --dlq <queue URL> --firehose <stream>\` (see the README) puts them back
through the same Firehose sink and deletes each message only after Firehose accepted all of its
lines; \`request\` letters are left in the queue for an operator (an incremental feed refetches
them by itself, since its cursor did not move).
`;
  writeFileSync(path.join(__dirname, '..', 'docs', 'RELIABILITY.md'), doc);
  console.log('wrote docs/RELIABILITY.md');
  if (results.some((r) => r.lost > 0 || r.duplicates > r.duplicatesAllowed)) process.exitCode = 1;
}

void main();
