/**
 * moto in server mode on loopback: the AWS that the runtime's real SDK clients talk to.
 *
 * `.ci/run` starts one and exports MOTO_ENDPOINT; when it is absent (a developer running jest
 * directly) the test setup starts one from the project's virtualenv.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const VENV_BIN = path.join(PROJECT_ROOT, '.venv', 'bin');
/** checkov's own virtualenv (it pins a boto3 that moto's need not match). */
export const CHECKOV_BIN = path.join(PROJECT_ROOT, '.venv-checkov', 'bin', 'checkov');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function isMotoUp(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function startMoto(): Promise<{ endpoint: string; process: ChildProcess }> {
  const motoServer = path.join(VENV_BIN, 'moto_server');
  if (!existsSync(motoServer)) {
    throw new Error(`${motoServer} is missing: run "npm run test:all" (or scripts/setup-python.sh), which installs moto into .venv`);
  }
  const port = await freePort();
  const child = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await isMotoUp(endpoint)) {
      return { endpoint, process: child };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
}
