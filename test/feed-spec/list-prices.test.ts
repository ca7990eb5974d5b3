import { DEFAULT_RUNS_PER_MONTH, LIST_PRICES, monthlyCost } from '../../src/feed-spec/list-prices';

const GIB = 1024 ** 3;

describe('monthlyCost', () => {
  test('Firehose from the bytes billed, Lambda from duration and memory, S3 from the bytes stored', () => {
    const cost = monthlyCost({ bytesBilled: GIB, bytesDelivered: GIB / 2, durationMs: 60_000 }, 100, 1024);
    expect(cost.firehoseUsd).toBe(Math.round(100 * LIST_PRICES.firehosePerGiB * 100) / 100); // 100 GiB billed
    expect(cost.lambdaUsd).toBe(Math.round(100 * (60 * LIST_PRICES.lambdaArmPerGbSecond + LIST_PRICES.lambdaPerRequest) * 100) / 100);
    // 50 GiB stored, 100 runs each writing one 64 MiB object at most: 800 PUTs.
    expect(cost.s3Usd).toBe(Math.round((50 * LIST_PRICES.s3StandardPerGiBMonth + 800 * LIST_PRICES.s3PerPut) * 100) / 100);
    expect(cost.totalUsd).toBeCloseTo(cost.firehoseUsd + cost.lambdaUsd + cost.s3Usd, 1);
  });

  test('a local run (nothing billed yet) is billed as Firehose would pack it: 1 MB records, each rounded up to 5 KB', () => {
    const local = monthlyCost({ bytesBilled: 0, bytesDelivered: 10_000_000, durationMs: 0 }, DEFAULT_RUNS_PER_MONTH, 512);
    const asFirehose = monthlyCost({ bytesBilled: 10_000_000 + 10 * 5120, bytesDelivered: 10_000_000, durationMs: 0 }, DEFAULT_RUNS_PER_MONTH, 512);
    expect(local.firehoseUsd).toBe(asFirehose.firehoseUsd);
    expect(local.runsPerMonth).toBe(730);
  });

  test('a run that delivered nothing costs only its invocations', () => {
    const idle = monthlyCost({ bytesBilled: 0, bytesDelivered: 0, durationMs: 0 }, 1_000_000, 512);
    expect(idle).toMatchObject({ firehoseUsd: 0, s3Usd: 0, lambdaUsd: 0.2 });
  });
});
