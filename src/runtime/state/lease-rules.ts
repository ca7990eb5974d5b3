/**
 * The run lease's rules, one implementation for the stores that keep it themselves (in memory, in
 * a local file); DynamoDB's store writes the same rules as a condition expression.
 */
import type { LeaseResult } from '../ports/state-store';

export interface LeaseRecord {
  readonly holder?: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly lastCompleted?: string;
}

/** Taking the lease: refused while another holder's is live, or when `executionId` is the last completed one. */
export function takeLease(
  current: LeaseRecord | undefined, holder: string, expiresAt: Date, executionId: string | undefined, now: number,
): { result: LeaseResult; next?: LeaseRecord } {
  if (executionId !== undefined && current?.lastCompleted === executionId) {
    return { result: { acquired: false, reason: 'duplicate', executionId } };
  }
  if (current?.holder && current.holder !== holder && current.expiresAt > now) {
    return { result: { acquired: false, reason: 'held', heldBy: current.holder, expiresAt: new Date(current.expiresAt).toISOString() } };
  }
  return { result: { acquired: true }, next: { ...current, holder, expiresAt: expiresAt.getTime() } };
}

/** Giving it back (only its holder can), recording the completed execution. */
export function giveLeaseBack(current: LeaseRecord | undefined, holder: string, completedExecutionId: string | undefined): LeaseRecord | undefined {
  if (current?.holder !== holder) return undefined;
  return { expiresAt: 0, lastCompleted: completedExecutionId ?? current.lastCompleted };
}
