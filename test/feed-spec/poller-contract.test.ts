/**
 * The construct and the poller agree on the contract between them: the bundled poller runs with
 * exactly the environment a synthesized template gives it (its references resolved to moto's
 * resources), and publishes the metrics the template's alarms and dashboard read, under the
 * namespace the template sets.
 */
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { ApiSource, ApiToFirehoseIngestion, Column, Destination, DynamicPartitioning, Incremental, Records, RecordSchema, Transform } from '../../src';
import { METRICS_NAMESPACE, POLLER_ENV, RUN_METRICS } from '../../src/feed-spec/poller-contract';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, FeedResources, motoEnv, readAllObjects } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

/** The template's value for a poller variable, with references to the feed's resources replaced by moto's. */
function resolveAgainst(value: unknown, resources: Record<string, any>, moto: FeedResources): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: string }).Ref;
  const type = ref ? resources[ref]?.Type : undefined;
  switch (type) {
    case 'AWS::KinesisFirehose::DeliveryStream': return moto.streamName;
    case 'AWS::SQS::Queue': return moto.queueUrl;
    case 'AWS::DynamoDB::Table': return moto.tableName;
    case 'AWS::S3::Bucket': return moto.bucketName;
    default: throw new Error(`the poller's environment has a value the test cannot resolve: ${JSON.stringify(value)}`);
  }
}

describe('the poller contract', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await startLoopbackApi({ '/v1/prices': (_req, res) => json(res, 200, { data: [{ exchange: 'KRX', price: 1, at: '2026-11-25T11:00:00Z' }, { exchange: 'NYSE', price: 2, at: '2026-11-25T11:30:00Z' }] }) });
  });
  afterAll(() => api.close());

  test.each([
    ['envelopes', false, false],
    ['rows of a schema with a JSONata transform, with the drift alarm', true, false],
    ['documents for OpenSearch', false, true],
  ])('the bundled poller runs on exactly the template\'s environment and publishes the metrics its alarms and dashboard read (%s)', async (_name, typed, search) => {
    const stack = testStack();
    const domain = opensearch.Domain.fromDomainAttributes(stack, 'Search', {
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/search', domainEndpoint: 'https://search-abc.us-east-1.es.amazonaws.com',
    });
    new ApiToFirehoseIngestion(stack, 'Prices', {
      feedName: 'prices',
      // Incremental, so the run also publishes its cursor lag, which the dashboard reads.
      source: ApiSource.http({
        url: `${api.url}/v1/prices`,
        query: { since: '{{ cursor }}' },
        records: Records.at('data'),
        incremental: Incremental.datetime({ recordPath: 'at', start: '2026-11-01T00:00:00Z' }),
        limits: { allowPrivateAddresses: true },
        schema: typed ? RecordSchema.of({ exchange: Column.string(), price: Column.number(), at: Column.timestamp() }) : undefined,
        // The bundled poller loads JSONata on first use: the transform proves it is in the bundle.
        transform: typed ? Transform.jsonata('$merge([$, { "price": price * 100 }])') : undefined,
      }),
      // Dynamic partitioning is for S3; OpenSearch takes one document per record instead.
      dynamicPartitioning: search ? undefined : DynamicPartitioning.byRecordFields({ exchange: 'exchange' }),
      destination: search ? Destination.openSearch({ domain, indexName: 'prices' }) : undefined,
      dashboardEnabled: true,
      schemaDriftAlarmEnabled: typed || undefined,
    });
    const template = templateOf(stack).toJSON();
    const resources = template.Resources as Record<string, any>;
    const poller = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.[POLLER_ENV.deliveryStreamName]);
    const variables = poller.Properties.Environment.Variables as Record<string, unknown>;
    // Every variable of the contract is set, but for the one the other kind of destination sets, the
    // distributed run's control bucket (test/execution/distributed-flow.test.ts runs that contract),
    // shared rate budgets (test/execution/shared-rate-budget.test.ts runs that one), a spec's
    // deploy-time values (test/runtime/spec-binding.e2e.test.ts) and a durable poller's backfill
    // concurrency (test/runtime/durable-poller.e2e.test.ts). The spec's fingerprint is here:
    // the run below passes the binding check with the schedule's own event.
    const elsewhere: string[] = [
      POLLER_ENV.controlBucket, POLLER_ENV.sharedRateBudgets, POLLER_ENV.specTokenPaths, POLLER_ENV.specTokenValues, POLLER_ENV.backfillConcurrency,
      POLLER_ENV.durableExecutionTimeout,
    ];
    const expected = Object.values(POLLER_ENV)
      .filter((name) => name !== (search ? POLLER_ENV.maxLinesPerRecord : POLLER_ENV.documentPerRecord) && !elsewhere.includes(name));
    expect(Object.keys(variables).filter((name) => name !== 'NODE_OPTIONS').sort()).toEqual([...expected].sort());

    const moto = await createFeedResources('prices/');
    const env: Record<string, string> = { ...motoEnv() };
    for (const name of expected) env[name] = resolveAgainst(variables[name], resources, moto);
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-11-25T12:00:00Z', 'exec-contract'), env);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ status: 'succeeded', recordsDelivered: 2 });
    const objects = await readAllObjects(moto.bucketName);
    const delivered = [...objects.entries()].filter(([key]) => key.startsWith('prices/'));
    expect(delivered).toHaveLength(1);
    if (typed) {
      // Rows of the transformed records (moto stores the Firehose records as sent, JSON lines).
      const rows = delivered[0][1].trim().split('\n').map((line) => JSON.parse(line));
      expect(rows.map((row) => [row.exchange, row.price, row.at])).toEqual([['KRX', 100, '2026-11-25T11:00:00.000Z'], ['NYSE', 200, '2026-11-25T11:30:00.000Z']]);
    }
    if (search) {
      // One document per Firehose record, without a newline: moto stores the records back to back.
      const text = delivered[0][1];
      expect(text).not.toContain('\n');
      expect(JSON.parse(`[${text.replace(/}{"feed"/g, '},{"feed"')}]`).map((doc: any) => doc.record.exchange)).toEqual(['KRX', 'NYSE']);
    }

    // The EMF document the poller printed: its namespace and metric names.
    const documents = outcome.logs.split('\n').filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
    const emf = documents[0];
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe(variables[POLLER_ENV.metricsNamespace]);
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    // The run's document, and with a schema one per column (dimensions Feed and Column).
    const published = documents.flatMap((doc) => doc._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name));
    expect(emf).toMatchObject({ Feed: 'prices', service: 'cdk-api-ingestion', ShortReads: 0, PartitionsHeld: 0 });
    if (typed) {
      const columns = documents.slice(1);
      expect(columns.map((doc) => doc._aws.CloudWatchMetrics[0].Dimensions[0].sort())).toEqual(columns.map(() => ['Column', 'Feed', 'service']));
      expect(Object.fromEntries(columns.map((doc) => [doc.Column, doc.ColumnFilledPercent]))).toMatchObject({ exchange: 100, price: 100 });
      expect(emf.EmptyColumns).toBe(0);
    }

    // What the template reads: alarm metrics and dashboard metrics in the poller's namespace.
    const read = new Set<string>();
    for (const alarm of Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      if (alarm.Properties.Namespace === METRICS_NAMESPACE) read.add(alarm.Properties.MetricName);
    }
    const dashboard = JSON.stringify(Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const match of dashboard.matchAll(new RegExp(`\\\\"${METRICS_NAMESPACE}\\\\",\\\\"(\\w+)\\\\"`, 'g'))) read.add(match[1]);
    expect(read.size).toBeGreaterThanOrEqual(5);
    expect([...read]).toEqual(expect.arrayContaining([RUN_METRICS.shortReads]));
    if (typed) {
      const typedMetrics = [RUN_METRICS.schemaDrift, RUN_METRICS.schemaRejectedRecords, RUN_METRICS.emptyColumns, RUN_METRICS.columnFilled];
      expect([...read]).toEqual(expect.arrayContaining(typedMetrics));
    }
    for (const name of read) expect(published).toContain(name);
    // And the poller publishes nothing outside the contract.
    for (const name of published) expect(Object.values(RUN_METRICS)).toContain(name);
  });
});
