/**
 * Near-real-time polling: with `repeat`, one invocation polls the API every interval under the
 * same lease, committing the cursor and flushing the sink after each pass. A fake clock: the test
 * asserts the passes the engine scheduled, not how long they took.
 */
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, runSpec } from '../../helpers/engine-harness';
import { FakeClock } from '../../helpers/fake-clock';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

describe('polling every 10 s within a one-minute tick', () => {
  let api: LoopbackApi;
  let tick = 0;
  beforeAll(async () => {
    // Each poll sees one new price, newer than the cursor it was asked for.
    api = await startLoopbackApi({
      '/prices': (_req, res, url) => {
        tick += 1;
        const since = url.searchParams.get('since');
        json(res, 200, { data: [{ id: tick, at: new Date(Date.parse('2026-11-25T12:00:00Z') + tick * 10_000).toISOString(), since }] });
      },
    });
  });
  afterAll(() => api.close());

  test('six passes 10 s apart, each resuming from the cursor the last one committed, one lease for them all', async () => {
    tick = 0;
    const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
    const state = new MemoryStateStore();
    const started = clock.now();
    const { summary, sink } = await runSpec(baseSpec(`${api.url}/prices`, {
      request: { url: `${api.url}/prices`, query: { since: '{{ cursor }}' } },
      incremental: { cursorPath: 'at', type: 'datetime', start: '2026-11-25T00:00:00Z' },
    } as any), { clock, state, repeat: { intervalMs: 10_000, untilMs: started + 60_000 } });

    expect(summary.passes).toBe(6);
    expect(summary.status).toBe('succeeded');
    expect(summary.recordsDelivered).toBe(6);
    expect(summary.requests).toBe(6);
    expect(summary.cursorsCommitted).toBe(6);
    // Each pass asked from the cursor the one before committed (the first from the spec's start).
    const sinces = sink.lines.map((line) => JSON.parse(line).record.since);
    expect(sinces[0]).toBe('2026-11-25T00:00:00Z');
    for (let i = 1; i < 6; i += 1) expect(Date.parse(sinces[i])).toBe(Date.parse('2026-11-25T12:00:00Z') + i * 10_000);
    // The waits it scheduled: five, up to the next 10 s mark each.
    expect(clock.sleeps.filter((ms) => ms > 1000)).toHaveLength(5);
    expect(clock.now() - started).toBeLessThan(60_000);
    // The lease was taken once and given back.
    expect(await state.acquireLease('test-feed', 'next-run', new Date(clock.now() + 60_000))).toEqual({ acquired: true });
  });

  test('without repeat, one pass, as before', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/prices`), { clock: new FakeClock() });
    expect(summary.passes).toBeUndefined();
    expect(summary.requests).toBe(1);
  });

  test('a pass that fails ends the loop: the next tick starts over', async () => {
    const clock = new FakeClock();
    const { summary } = await runSpec(baseSpec(`${api.url}/missing`, { limits: { maxRetries: 0 } } as any),
      { clock, repeat: { intervalMs: 10_000, untilMs: clock.now() + 60_000 } });
    expect(summary.status).toBe('failed');
    expect(summary.passes).toBeUndefined();
    expect(summary.requests).toBe(1);
  });
});
