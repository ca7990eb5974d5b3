/**
 * Kinesis Data Firehose PutRecordBatch limits (Firehose API reference, PutRecordBatch): at most
 * 500 records and 4 MiB per call, each record at most 1,000 KiB before base64. Decimal values
 * are used where AWS's units are ambiguous, so a batch is always under the limit.
 */
export const FIREHOSE_MAX_RECORDS_PER_BATCH = 500;
export const FIREHOSE_MAX_BATCH_BYTES = 4_000_000;
export const FIREHOSE_MAX_RECORD_BYTES = 1_000_000;
/** Firehose bills ingestion per record, each rounded up to the next multiple of this. */
export const FIREHOSE_BILLING_STEP_BYTES = 5 * 1024;

/** What Firehose bills for a record of `bytes`: the size rounded up to 5 KB. */
export function billedBytes(bytes: number): number {
  return Math.ceil(bytes / FIREHOSE_BILLING_STEP_BYTES) * FIREHOSE_BILLING_STEP_BYTES;
}
