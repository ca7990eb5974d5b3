/** The in-memory state store keeps the same lease, cursor and checkpoint semantics as DynamoDB's. */
import { MemoryStateStore } from '../../../src/runtime/state/memory-state-store';

describe('MemoryStateStore', () => {
  const later = () => new Date(Date.now() + 60_000);

  test('a held lease refuses another holder until released; the holder may take it again', async () => {
    const state = new MemoryStateStore();
    expect(await state.acquireLease('f', 'a', later())).toEqual({ acquired: true });
    expect(await state.acquireLease('f', 'b', later())).toMatchObject({ acquired: false, reason: 'held', heldBy: 'a' });
    expect(await state.acquireLease('f', 'a', later())).toEqual({ acquired: true });
    await state.releaseLease('f', 'a');
    expect(await state.acquireLease('f', 'b', later())).toEqual({ acquired: true });
  });

  test('an expired lease is taken over', async () => {
    const state = new MemoryStateStore();
    await state.acquireLease('f', 'a', new Date(Date.now() - 1));
    expect(await state.acquireLease('f', 'b', later())).toEqual({ acquired: true });
  });

  test('a completed execution is not run twice (a late duplicate delivery)', async () => {
    const state = new MemoryStateStore();
    await state.acquireLease('f', 'a', later(), 'exec-1');
    await state.releaseLease('f', 'a', 'exec-1');
    expect(await state.acquireLease('f', 'b', later(), 'exec-1')).toEqual({ acquired: false, reason: 'duplicate', executionId: 'exec-1' });
    expect(await state.acquireLease('f', 'b', later(), 'exec-2')).toEqual({ acquired: true });
  });

  test('cursors and checkpoints are kept per feed and partition', async () => {
    const state = new MemoryStateStore();
    await state.putCursor('f', 'p1', '2026-11-01T00:00:00Z');
    await state.putCheckpoint('f', 'p1', { next: { url: 'https://x/y', query: {} }, pagesDone: 3, savedAt: 'now' });
    expect(await state.getCursor('f', 'p1')).toBe('2026-11-01T00:00:00Z');
    expect(await state.getCursor('f', 'p2')).toBeUndefined();
    expect(await state.getCursor('g', 'p1')).toBeUndefined();
    expect((await state.getCheckpoint('f', 'p1'))?.pagesDone).toBe(3);
    await state.clearCheckpoint('f', 'p1');
    expect(await state.getCheckpoint('f', 'p1')).toBeUndefined();
  });
});
