/**
 * `api-ingest backfill`, the shipped command run as a process against a loopback API that
 * holds 92 days of hourly observations for two stations: 90 days backfilled in one-day windows,
 * the process killed (SIGKILL) mid-window, then run again. Every record arrives; the only
 * duplicates are a window's records after its last checkpoint at the moment of the kill; a window
 * completed before the kill is not fetched again; the live cursor never moves.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { PROJECT_ROOT } from '../../setup/moto-server';

const CLI = path.join(PROJECT_ROOT, 'assets', 'cli', 'api-ingest.js');
const DAY = 86_400_000;
const DATA_FROM = Date.parse('2026-03-01T00:00:00Z');
const DATA_DAYS = 92;
const PAGE_SIZE = 4;
const STATIONS = ['A', 'B'];
/** The backfill: 90 days; the live feed starts after it. */
const BACKFILL_FROM = '2026-03-01';
const BACKFILL_TO = '2026-05-30';
const LIVE_START = '2026-05-30T00:00:00Z';
/** The window and page whose request kills the first backfill: after its checkpoint at page 4. */
const KILL_AT = { from: '2026-04-15T00:00:00.000Z', station: 'A', page: '6' };

interface Observation { id: string; station: string; observedAt: string; value: number }

function observations(station: string, from: number, to: number): Observation[] {
  const found: Observation[] = [];
  for (let t = Math.max(from, DATA_FROM); t < Math.min(to, DATA_FROM + DATA_DAYS * DAY); t += 3_600_000) {
    const observedAt = new Date(t).toISOString();
    found.push({ id: `${station}@${observedAt}`, station, observedAt, value: t % 97 });
  }
  return found;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every line of the run's whole output files (`.partial` files are not output), by record id. */
function recordsIn(out: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ndjson')) continue;
    const text = readFileSync(path.join((entry as any).parentPath ?? (entry as any).path, entry.name), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter(Boolean)) {
      const { id } = JSON.parse(line).record as Observation;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

interface StateFile { cursors: Record<string, string>; checkpoints: Record<string, { pagesDone: number }> }

describe('api-ingest backfill', () => {
  let api: LoopbackApi;
  let work: string;
  let spec: string;
  let out: string;
  /** Called on each request; the test sets it to kill the backfill. */
  let onRequest: (url: URL, res: ServerResponse) => boolean = () => false;

  beforeAll(async () => {
    api = await startLoopbackApi({
      '/v1/observations': (_req, res, url) => {
        if (onRequest(url, res)) return;
        const q = url.searchParams;
        const all = observations(q.get('station')!, Date.parse(q.get('from')!), Date.parse(q.get('to') ?? new Date().toISOString()));
        const page = Number(q.get('page') ?? 1);
        json(res, 200, { items: all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE) });
      },
    });
    work = mkdtempSync(path.join(tmpdir(), 'backfill-'));
    out = path.join(work, 'out');
    spec = path.join(work, 'observations.json');
    writeFileSync(spec, JSON.stringify({
      version: 1,
      feed: 'observations',
      request: {
        url: `${api.url}/v1/observations`,
        query: { station: '{{ partition.station }}', from: '{{ window.start }}', to: '{{ window.end }}' },
      },
      records: { path: '$.items' },
      pagination: { type: 'pageNumber', param: 'page', stop: { emptyPage: true } },
      partitions: { type: 'list', values: STATIONS.map((station) => ({ station })) },
      incremental: { cursorPath: '$.observedAt', type: 'datetime', start: LIVE_START },
    }));
  });
  afterAll(() => api.close());

  test('90 one-day windows, killed mid-window and resumed: every record once but for the killed windows\' pages after their checkpoints', async () => {
    // The live feed first: its window runs from its cursor to the run's time.
    const live = await cli(['run', spec, '--out', out, '--allow-loopback', '--json']);
    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout)).toMatchObject({ status: 'succeeded', recordsDelivered: 2 * 2 * 24 });
    expect(api.requests[0].path).toContain(`from=${encodeURIComponent('2026-05-30T00:00:00.000Z')}&to=`);
    const stateFile = path.join(out, '.state', 'observations.json');
    const liveCursors = () => Object.fromEntries(Object.entries((JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile).cursors)
      .filter(([key]) => key.startsWith('observations|')));
    const liveBefore = liveCursors();
    expect(liveBefore).toEqual({
      'observations|{"station":"A"}': '2026-05-31T23:00:00.000Z',
      'observations|{"station":"B"}': '2026-05-31T23:00:00.000Z',
    });

    // The backfill, killed when window 2026-04-15's station A asks for page 6 (its checkpoint after page 4 is saved).
    const args = ['backfill', spec, '--from', BACKFILL_FROM, '--to', BACKFILL_TO, '--window', '1d', '--out', out,
      '--allow-loopback', '--checkpoint-pages', '2', '--json'];
    let child: ChildProcess | undefined;
    const killed = new Promise<void>((resolve) => {
      onRequest = (url, res) => {
        const q = url.searchParams;
        if (q.get('from') !== KILL_AT.from || q.get('station') !== KILL_AT.station || q.get('page') !== KILL_AT.page) return false;
        child!.kill('SIGKILL');
        res.destroy();
        resolve();
        return true;
      };
    });
    child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await killed;
    expect(await exited).toBeNull(); // killed by the signal, not finished
    onRequest = () => false;

    // What the state said when the process died: windows complete, and where the others had got to.
    const atKill = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
    const windowOf = (key: string) => /#backfill#([^/]+)\//.exec(key)?.[1];
    const completeAtKill = new Set(Object.entries(atKill.cursors).filter(([key]) => key.endsWith('|(window done)')).map(([key]) => windowOf(key)!));
    const checkpointAtKill = new Map(Object.entries(atKill.checkpoints).map(([key, checkpoint]) => {
      const station = JSON.parse(key.slice(key.indexOf('|') + 1)).station;
      return [`${windowOf(key)} ${station}`, checkpoint.pagesDone] as const;
    }));
    expect(completeAtKill.size).toBeGreaterThan(0);
    expect(completeAtKill.size).toBeLessThan(90);
    expect(checkpointAtKill.get(`${KILL_AT.from} A`)).toBe(4);
    const requestsBefore = api.requests.length;

    // Run again: it resumes.
    const resumed = await cli(args);
    expect(resumed.stderr).not.toMatch(/"level":"(ERROR|WARN)"/);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ status: 'succeeded', windows: 90, windowsAlreadyDone: completeAtKill.size, windowsDone: 90 - completeAtKill.size });

    // No completed window was fetched again.
    const again = api.requests.slice(requestsBefore).map((r) => new URL(r.path, api.url).searchParams.get('from')!);
    expect(again.filter((from) => completeAtKill.has(from))).toEqual([]);

    // Every record of the 90 days, plus the live feed's 2 days, is there; duplicates only past a checkpoint at the kill.
    const counts = recordsIn(out);
    const expected = STATIONS.flatMap((station) => observations(station, DATA_FROM, DATA_FROM + DATA_DAYS * DAY));
    expect(expected).toHaveLength(2 * 92 * 24);
    const missing = expected.filter((o) => !counts.has(o.id));
    expect(missing).toEqual([]);
    expect(counts.size).toBe(expected.length);
    const duplicated = expected.filter((o) => counts.get(o.id)! > 1);
    const notPastACheckpoint = duplicated.filter((o) => {
      const windowStart = new Date(Math.floor(Date.parse(o.observedAt) / DAY) * DAY).toISOString();
      const page = Math.floor((Date.parse(o.observedAt) - Date.parse(windowStart)) / 3_600_000 / PAGE_SIZE) + 1;
      const pagesDone = checkpointAtKill.get(`${windowStart} ${o.station}`) ?? 0;
      return counts.get(o.id) !== 2 || completeAtKill.has(windowStart) || page <= pagesDone;
    });
    expect(notPastACheckpoint.map((o) => o.id)).toEqual([]);
    // The killed window's pages 1-4 were delivered once; only what came after them can repeat.
    expect(duplicated.filter((o) => o.id.startsWith('A@2026-04-15T0')).map((o) => o.id)).toEqual([]);

    // The live cursor never moved; the backfill's state is its own.
    expect(liveCursors()).toEqual(liveBefore);

    // A third run has nothing to do and asks the API nothing.
    const requestsThen = api.requests.length;
    const third = await cli(args);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ status: 'succeeded', windowsAlreadyDone: 90, windowsDone: 0 });
    expect(api.requests.length).toBe(requestsThen);
  }, 120_000);

  test('two backfill processes on one folder share the windows: every page is asked for once, every record written once', async () => {
    const shared = path.join(work, 'shared-out');
    const before = api.requests.length;
    const args = ['backfill', spec, '--from', '2026-03-01', '--to', '2026-03-31', '--window', '1d', '--out', shared, '--allow-loopback', '--json'];
    const [a, b] = await Promise.all([cli(args), cli(args)]);
    const summaries = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    // Each exits 0 (it did every window) or 3 (it left some to the other, which held them): never 1.
    for (const [result, summary] of [[a, summaries[0]], [b, summaries[1]]] as const) {
      expect(result.code).toBe(summary.windowsHeld > 0 ? 3 : 0);
    }
    // Each window was run by one of them: the other found it held (its lease is in the state file) or done.
    expect(summaries[0].windowsDone + summaries[1].windowsDone).toBe(30);
    const pages = api.requests.slice(before).map((r) => r.path);
    expect(new Set(pages).size).toBe(pages.length);
    const counts = recordsIn(shared);
    expect(counts.size).toBe(2 * 30 * 24);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Run again: both windows' sets are done, whichever process ran them.
    expect(JSON.parse((await cli(args)).stdout)).toMatchObject({ status: 'succeeded', windowsAlreadyDone: 30 });
  }, 120_000);

  test('a spec whose request has no {{ window.end }} cannot be backfilled: the windows would overlap', async () => {
    const noEnd = path.join(work, 'no-end.json');
    const parsed = JSON.parse(readFileSync(spec, 'utf8'));
    writeFileSync(noEnd, JSON.stringify({ ...parsed, request: { ...parsed.request, query: { station: '{{ partition.station }}', since: '{{ cursor }}' } } }));
    const result = await cli(['backfill', noEnd, '--from', BACKFILL_FROM, '--to', BACKFILL_TO, '--out', path.join(work, 'x')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not send {{ window.end }}');
    expect(result.stderr).toContain('"to": "{{ window.end }}"');
  });

  test('without --time-budget a backfill has run\'s default budget: a Retry-After of a day fails the window at once instead of being waited out', async () => {
    let asked = 0;
    const throttled = await startLoopbackApi({
      '/obs': (_req, res: ServerResponse) => { asked += 1; res.writeHead(429, { 'retry-after': '86400' }).end('slow down'); },
    });
    try {
      const file = path.join(work, 'throttled.json');
      const parsed = JSON.parse(readFileSync(spec, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...parsed, feed: 'throttled', partitions: undefined, request: { url: `${throttled.url}/obs`, query: { from: '{{ window.start }}', to: '{{ window.end }}' } } }));
      const result = await cli(['backfill', file, '--from', '2026-03-01', '--to', '2026-03-02', '--out', path.join(work, 'throttled-out'), '--allow-loopback', '--json']);
      expect(result.code).toBe(1);
      expect(asked).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', windowsIncomplete: 1 });
      expect(result.stdout + result.stderr).toMatch(/Retry-After/i);
    } finally {
      await throttled.close();
    }
  }, 60_000);

  test.each([
    [['--from', '2026-05-01', '--to', '2026-04-01'], 'must be after from'],
    [['--from', 'yesterday', '--to', '2026-04-01'], 'from "yesterday" is not an ISO 8601 date'],
    [['--from', '2026-01-01', '--to', '2026-04-01', '--window', '1 week'], 'window "1 week" is not a length'],
    [['--from', '2026-01-01', '--to', '2026-04-01', '--window', '1s'], 'choose a longer window'],
    [['--to', '2026-04-01'], 'needs --from and --to'],
  ])('usage: %j is refused with exit 2 (%s)', async (range, message) => {
    const result = await cli(['backfill', spec, ...range, '--out', path.join(work, 'y')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
