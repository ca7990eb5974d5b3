/**
 * Runs the poller exactly as it ships: the bundled `assets/poller/index.js`, in its own Node.js
 * process, with the event the schedule would send. (Invoking a Lambda inside moto needs Docker,
 * which these machines lack.) The AWS SDK is resolved from the project's node_modules, as the
 * Lambda runtime provides it in AWS.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../setup/moto-server';

export const BUNDLED_HANDLER = path.join(PROJECT_ROOT, 'assets', 'poller', 'index.js');

export interface HandlerOutcome {
  readonly ok: boolean;
  readonly result?: any;
  readonly error?: { name: string; message: string };
  readonly logs: string;
}

const RUNNER = `
const { handler } = require(process.argv[1]);
// With a Lambda timeout (ms): the context Lambda gives, counting down from the start.
const timeoutMs = Number(process.argv[3] ?? '0');
const started = Date.now();
const context = timeoutMs > 0 ? { awsRequestId: 'local-' + started, getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started) } : undefined;
handler(JSON.parse(process.argv[2]), context).then(
  (result) => process.stdout.write('\\n@@RESULT@@' + JSON.stringify({ ok: true, result })),
  (err) => process.stdout.write('\\n@@RESULT@@' + JSON.stringify({ ok: false, error: { name: err.name, message: err.message } })),
);`;

/** Runs the bundled poller with `event`; with `lambdaTimeoutMs`, with a Lambda context whose remaining time counts down from it. */
export async function invokeBundledHandler(event: unknown, env: Record<string, string>, lambdaTimeoutMs?: number): Promise<HandlerOutcome> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', RUNNER, BUNDLED_HANDLER, JSON.stringify(event), ...(lambdaTimeoutMs ? [String(lambdaTimeoutMs)] : [])], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const marker = stdout.lastIndexOf('\n@@RESULT@@');
      if (marker < 0) {
        reject(new Error(`the handler process produced no result: ${err?.message}\n${stderr}`));
        return;
      }
      resolve({ ...JSON.parse(stdout.slice(marker + '\n@@RESULT@@'.length)), logs: stdout.slice(0, marker) + stderr });
    });
  });
}

/** What EventBridge Scheduler does to the input before invoking: fills in its context attributes. */
export function asScheduled(input: string, scheduledTime: string, executionId: string): unknown {
  return JSON.parse(input
    .replace('<aws.scheduler.scheduled-time>', scheduledTime)
    .replace('<aws.scheduler.execution-id>', executionId));
}
