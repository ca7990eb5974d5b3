/**
 * What the benchmarks share: moto (the one `.ci/run` or jest started, or one of their own) and
 * their sections of docs/BENCHMARKS.md, each between `<!-- NAME:start -->` and `<!-- NAME:end -->`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMotoUp, startMoto } from '../test/setup/moto-server';

const BENCHMARKS = path.resolve(__dirname, '..', 'docs', 'BENCHMARKS.md');

/** Makes sure moto answers at `MOTO_ENDPOINT`, starting one if not; returns how to stop the one it started. */
export async function ensureMoto(): Promise<() => void> {
  if (process.env.MOTO_ENDPOINT && await isMotoUp(process.env.MOTO_ENDPOINT)) return () => undefined;
  const moto = await startMoto();
  process.env.MOTO_ENDPOINT = moto.endpoint;
  return () => { moto.process.kill(); };
}

/** Replaces the benchmark's section (markers included in `section`), or appends it. */
export function writeBenchmarksSection(name: string, section: string): void {
  const text = readFileSync(BENCHMARKS, 'utf8');
  const startMarker = `<!-- ${name}:start -->`;
  const endMarker = `<!-- ${name}:end -->`;
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  writeFileSync(BENCHMARKS, start >= 0 ? `${text.slice(0, start)}${section}${text.slice(end + endMarker.length)}` : `${text.trimEnd()}\n\n${section}\n`);
}
