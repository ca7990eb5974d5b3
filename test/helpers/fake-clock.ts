/**
 * A clock whose time moves only when the code under test sleeps on it: a test asserts the waits
 * the code scheduled (Retry-After, request spacing), never how long a busy machine took.
 */
import type { Clock } from '../../src/runtime/engine/http-client';

export class FakeClock implements Clock {
  /** Every wait the code asked for, in milliseconds, in order. */
  public readonly sleeps: number[] = [];
  private time: number;

  constructor(start: Date | number = Date.parse('2026-11-25T12:00:00Z')) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  public now(): number {
    return this.time;
  }

  /** Moves time on by itself (the API's side of a test: a token that ages between pages). */
  public advance(ms: number): void {
    this.time += ms;
  }

  public async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    const wake = this.time + ms;
    // Other callers run meanwhile and see the time the sleep started at, as with a real timer;
    // then the time is where this sleep ends (sleeps that overlap end at the latest of them).
    await new Promise((resolve) => setImmediate(resolve));
    this.time = Math.max(this.time, wake);
  }
}
