/**
 * The envelope and record id as the README and SPEC.md define them, written plainly and
 * independently of the engine's EnvelopeWriter, so tests can hold the writer to the contract:
 * record_id = the first 32 hex characters of SHA-256 over `feed \n canonical-partition \n record-JSON`.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, RecordEnvelope } from '../../src/runtime/engine/envelope';

export function recordId(feed: string, partition: Readonly<Record<string, string>> | null, record: unknown): string {
  return createHash('sha256').update(`${feed}\n${canonicalJson(partition)}\n${JSON.stringify(record)}`).digest('hex').slice(0, 32);
}

export interface EnvelopeContext {
  readonly feed: string;
  readonly fetchedAt: Date;
  readonly sourceUrl: string;
  readonly partition: Readonly<Record<string, string>> | null;
}

export function envelope(context: EnvelopeContext, record: unknown): RecordEnvelope {
  return {
    feed: context.feed,
    record_id: recordId(context.feed, context.partition, record),
    fetched_at: context.fetchedAt.toISOString(),
    source_url: context.sourceUrl,
    partition: context.partition,
    record,
  };
}
