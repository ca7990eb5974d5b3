/**
 * The local state file: the lease rules of every store, kept in the file so that processes
 * sharing it (two backfills on one folder) exclude each other, and freed at once when the process
 * holding a lease or the file's lock has ended. Processes are real child processes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileStateStore } from '../../../src/runtime/state/file-state-store';

const later = () => new Date(Date.now() + 60_000);
const stateFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'file-state-')), '.state', 'feed.json');

/** A process that has run and ended: its pid names no running process. */
async function endedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('FileStateStore', () => {
  let sleeper: ChildProcess | undefined;
  afterEach(() => { sleeper?.kill(); sleeper = undefined; });

  test('two stores on one file see each other\'s lease and cursors', async () => {
    const file = stateFile();
    const a = new FileStateStore(file);
    const b = new FileStateStore(file);
    expect(await a.acquireLease('f', 'a', later())).toEqual({ acquired: true });
    expect(await b.acquireLease('f', 'b', later())).toMatchObject({ acquired: false, reason: 'held', heldBy: 'a' });
    await a.putCursor('f', 'p1', '2026-01-01T00:00:00Z');
    await b.putCursor('f', 'p2', '2026-01-02T00:00:00Z');
    expect([await b.getCursor('f', 'p1'), await a.getCursor('f', 'p2')]).toEqual(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']);
    await a.releaseLease('f', 'a', 'exec-1');
    expect(await b.acquireLease('f', 'b', later(), 'exec-1')).toEqual({ acquired: false, reason: 'duplicate', executionId: 'exec-1' });
    expect(await b.acquireLease('f', 'b', later())).toEqual({ acquired: true });
  });

  test('a lease held by a process of this machine that has ended is free at once; one of a running process is not', async () => {
    const file = stateFile();
    const store = new FileStateStore(file);
    await store.putCursor('f', 'p', 1);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    const leaseOf = (pid: number) => ({ holder: 'killed-run', expiresAt: Date.now() + 3_600_000, pid, host: hostname() });

    writeFileSync(file, JSON.stringify({ ...state, leases: { f: leaseOf(await endedPid()) } }));
    expect(await store.acquireLease('f', 'next-run', later())).toEqual({ acquired: true });

    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(file, JSON.stringify({ ...state, leases: { f: leaseOf(sleeper.pid!) } }));
    expect(await store.acquireLease('f', 'next-run', later())).toMatchObject({ acquired: false, reason: 'held', heldBy: 'killed-run' });
  });

  test('a lock left by a process killed while it held it is taken over at once', async () => {
    const file = stateFile();
    const store = new FileStateStore(file);
    await store.putCursor('f', 'p', 1);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: await endedPid(), host: hostname() }));
    await store.putCursor('f', 'p', 2);
    expect(await store.getCursor('f', 'p')).toBe(2);
  });
});
