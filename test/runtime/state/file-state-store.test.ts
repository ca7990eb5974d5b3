/**
 * The local state file: the lease rules of every store, kept in the file so that processes
 * sharing it (two backfills on one folder) exclude each other, and freed at once when the process
 * holding a lease or the file's lock has ended. Processes are real child processes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileStateStore, previousStateFile } from '../../../src/runtime/state/file-state-store';

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

  test('a file or symlink planted where a temporary file could go is never written through', async () => {
    const file = stateFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const victim = path.join(path.dirname(file), '..', 'victim.txt');
    writeFileSync(victim, 'keep me');
    // Every name the old code used (`<file>.<pid>.tmp`), and a few more, point at the victim.
    for (const pid of [process.pid, process.pid + 1]) symlinkSync(victim, `${file}.${pid}.tmp`);
    const store = new FileStateStore(file);
    await store.putCursor('f', 'p', 3);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(await store.getCursor('f', 'p')).toBe(3);
  });

  test('a truncated state file stops the run with how to recover, instead of resetting every cursor', async () => {
    const file = stateFile();
    const store = new FileStateStore(file);
    await store.putCursor('f', 'p', '2026-11-01T00:00:00Z');
    await store.putCursor('f', 'q', '2026-11-02T00:00:00Z');
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, whole.slice(0, whole.length / 2));
    await expect(store.getCursor('f', 'p')).rejects.toThrow(/is not valid JSON .*truncated\?\)\. The run stops rather than start every partition again.*restore it from .*feed\.json\.previous/);
    await expect(store.putCursor('f', 'p', '2026-11-03T00:00:00Z')).rejects.toThrow(/is not valid JSON/);
    // The previous version is the state before the last change: restoring it loses one change, not every cursor.
    expect(JSON.parse(readFileSync(previousStateFile(file), 'utf8')).cursors).toEqual({ 'f|p': '2026-11-01T00:00:00Z' });
    writeFileSync(file, '[]');
    await expect(store.getCursor('f', 'p')).rejects.toThrow(/is not a state file of api-ingest/);
  });

  test('a lock another process keeps fresh fails the change at the run\'s deadline instead of blocking it', async () => {
    const file = stateFile();
    await new FileStateStore(file).putCursor('f', 'p', 1);
    const lock = `${file}.lock`;
    // A live process that holds the lock and touches it every 100 ms (it is never stale).
    sleeper = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      fs.writeFileSync(${JSON.stringify(lock)}, JSON.stringify({ pid: process.pid, host: require('os').hostname() }));
      setInterval(() => { const now = new Date(); fs.utimesSync(${JSON.stringify(lock)}, now, now); }, 100);
      process.stdout.write('locked');`]);
    await new Promise((resolve) => sleeper!.stdout!.once('data', resolve));
    const store = new FileStateStore(file, { deadline: Date.now() + 300 });
    await expect(store.putCursor('f', 'p', 2)).rejects.toThrow(new RegExp(`is locked by process ${sleeper.pid}, which kept it past this run's time budget`));
    expect(readdirSync(path.dirname(file)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(lock)).toBe(true);
  });
});
