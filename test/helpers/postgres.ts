/**
 * A PostgreSQL server on loopback (Debian's package), started by the test that needs it in a
 * throwaway data directory and stopped after. PostgreSQL refuses to run as root: as root the
 * server runs as the package's `postgres` user. `.ci/run` installs the package when it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '../setup/moto-server';

export interface Postgres {
  /** Runs SQL with psql (stops at the first error); returns its output, unaligned, tuples only. */
  sql(text: string): string;
  stop(): void;
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  if (!version) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run does)');
  return path.join(root, version, 'bin');
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-'));
  const data = path.join(dir, 'data');
  const run = (cmd: string, args: string[]) => (asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
    : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' }));
  if (asRoot) {
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const port = await freePort();
  // `-l`: the server's output goes to a file, not to the pipes this process waits on.
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  return {
    sql(text: string): string {
      const result = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'],
        { input: text, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    stop(): void {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
