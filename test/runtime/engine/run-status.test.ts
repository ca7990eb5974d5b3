/**
 * The run's status says what happened to its records: a run whose records went to the dead-letter
 * queue does not report plain success.
 */
import type { SinkReport } from '../../../src/runtime/ports/record-sink';
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';
import { baseSpec, CollectingSink, runSpec } from '../../helpers/engine-harness';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

/** A sink that, like the Firehose sink after its retries, dead-letters some lines (payload kept). */
class DeadLetteringSink extends CollectingSink {
  constructor(private readonly deadLettered: number) { super(); }
  public async flush(): Promise<SinkReport> {
    const report = await super.flush();
    return { ...report, linesDelivered: report.linesDelivered - this.deadLettered, linesDeadLettered: this.deadLettered };
  }
}

describe('run status', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/items': (_req, res) => json(res, 200, { data: [{ id: 1, at: '2026-11-01T00:00:00Z' }, { id: 2, at: '2026-11-02T00:00:00Z' }] }) });
  });
  afterAll(() => api.close());

  const incremental = { cursorPath: 'at', type: 'datetime' as const, start: '2026-01-01T00:00:00Z' };

  test('every record delivered: succeeded', async () => {
    const { summary } = await runSpec(baseSpec(`${api.url}/items?since={{ cursor }}`, { incremental }));
    expect(summary.status).toBe('succeeded');
  });

  test('records in the dead-letter queue: completedWithDeadLetters, and the cursor moves past them (redrive is the way back)', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runSpec(baseSpec(`${api.url}/items?since={{ cursor }}`, { incremental }), { sink: new DeadLetteringSink(1), state });
    expect(summary).toMatchObject({ status: 'completedWithDeadLetters', recordsDelivered: 1, recordsDeadLettered: 1, cursorsCommitted: 1 });
    expect(await state.getCursor('test-feed', '-')).toBe('2026-11-02T00:00:00Z');
  });
});
