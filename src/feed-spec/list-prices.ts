/**
 * AWS list prices for estimates of a feed's cost, in US dollars, us-east-1, as published in
 * December 2026. The dashboard (construct) and `api-ingest run --json` (poller) both use them, so
 * the two estimates agree. Other regions and tiers differ: an estimate, not a bill.
 */
export const LIST_PRICES = {
  region: 'us-east-1',
  /** Firehose Direct PUT ingestion, per GiB billed (first 500 TB a month; records rounded up to 5 KB). */
  firehosePerGiB: 0.029,
  /** Lambda on arm64, per GB-second of duration. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda, per request (invocation). */
  lambdaPerRequest: 0.0000002,
  /** S3 Standard storage, per GiB-month (first 50 TB). */
  s3StandardPerGiBMonth: 0.023,
  /** S3 PUT requests, per request (Firehose writes one object per buffer). */
  s3PerPut: 0.000005,
} as const;

/** Firehose writes an object when its buffer fills (64 MiB by default) or its interval passes. */
export const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;

/** The schedule the construct uses unless told otherwise: once an hour, about 730 runs a month. */
export const DEFAULT_RUNS_PER_MONTH = 730;

const GIB = 1024 ** 3;

export interface RunCostSample {
  /** Bytes Firehose bills for one run (records rounded up to 5 KB). */
  readonly bytesBilled: number;
  /** Bytes of the lines delivered in one run. */
  readonly bytesDelivered: number;
  /** How long the run took. */
  readonly durationMs: number;
}

export interface MonthlyCostEstimate {
  readonly runsPerMonth: number;
  readonly lambdaMemoryMb: number;
  readonly firehoseUsd: number;
  readonly lambdaUsd: number;
  /** S3 storage the month's data adds (before GZIP, so an upper bound), for one month. */
  readonly s3Usd: number;
  readonly totalUsd: number;
  readonly assumptions: string;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** A month of a feed's Firehose, Lambda and S3 cost, from one sample run and its schedule. */
export function monthlyCost(sample: RunCostSample, runsPerMonth: number, lambdaMemoryMb: number): MonthlyCostEstimate {
  const p = LIST_PRICES;
  // Firehose bills at least one 5 KB record per call; a run that delivered bytes without billing
  // them (local files) is billed as Firehose would pack it: ~1 MB records, each rounded up.
  const billed = sample.bytesBilled > 0 ? sample.bytesBilled
    : sample.bytesDelivered + Math.ceil(sample.bytesDelivered / 1_000_000) * 5 * 1024;
  const firehose = (billed * runsPerMonth / GIB) * p.firehosePerGiB;
  const lambda = runsPerMonth * ((sample.durationMs / 1000) * (lambdaMemoryMb / 1024) * p.lambdaArmPerGbSecond + p.lambdaPerRequest);
  const objects = runsPerMonth * Math.max(1, Math.ceil(sample.bytesDelivered / DEFAULT_BUFFER_BYTES));
  const s3 = (sample.bytesDelivered * runsPerMonth / GIB) * p.s3StandardPerGiBMonth + (sample.bytesDelivered > 0 ? objects * p.s3PerPut : 0);
  return {
    runsPerMonth,
    lambdaMemoryMb,
    firehoseUsd: cents(firehose),
    lambdaUsd: cents(lambda),
    s3Usd: cents(s3),
    totalUsd: cents(firehose + lambda + s3),
    assumptions: `${p.region} list prices (Firehose $${p.firehosePerGiB}/GiB billed, Lambda arm64 $${p.lambdaArmPerGbSecond}/GB-s, `
      + `S3 Standard $${p.s3StandardPerGiBMonth}/GiB-month before GZIP); every run like this one; no free tier`,
  };
}
