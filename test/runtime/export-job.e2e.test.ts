/**
 * An export job through the bundled poller Lambda (state in DynamoDB, secret in Secrets Manager,
 * records into Firehose and S3, all moto): a report API that is polled until ready and lists
 * pre-signed result files on another host, which get no credentials.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Duration } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiSource, ApiToFirehoseIngestion, Auth, ExportJob, ExportResults, HttpMethod, Records } from '../../src';
import { DynamoDbStateStore } from '../../src/runtime/state/dynamodb-state-store';
import { asScheduled, invokeBundledHandler } from '../helpers/bundled-handler';
import { json, LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createFeedResources, drainQueue, dynamoDbClient, motoEndpoint, pollerEnv, readAllObjects, TEST_REGION } from '../helpers/moto-aws';
import { templateOf, testStack } from '../helpers/synth';

describe('bundled poller Lambda: an export job', () => {
  let api: LoopbackApi;
  let files: LoopbackApi;
  let polls = 0;
  let stateTable: string | undefined;
  let keptWhileRunning: unknown;
  beforeAll(async () => {
    files = await startLoopbackApi({
      '/exports/*': (req, res, url) => {
        if (req.headers.authorization !== undefined || url.searchParams.get('sig') !== 'ok') return json(res, 403, { error: 'forbidden' });
        const part = Number(url.pathname.match(/part-(\d)/)![1]);
        return res.writeHead(200, { 'content-type': 'application/x-ndjson' })
          .end([1, 2].map((i) => JSON.stringify({ id: `r${part}-${i}`, updated: `2026-12-0${part}T0${i}:00:00Z` })).join('\n'));
      },
    });
    api = await startLoopbackApi({
      '/reports': (req, res) => (req.headers.authorization === 'Bearer rpt-token' ? json(res, 202, { reportId: 'rpt-42' }) : json(res, 401, {})),
      '/reports/rpt-42': async (req, res) => {
        if (req.headers.authorization !== 'Bearer rpt-token') return json(res, 401, {});
        polls += 1;
        // While the job runs, the poller's state holds it (what a later run would resume).
        if (polls === 2) keptWhileRunning = (await new DynamoDbStateStore(dynamoDbClient(), stateTable!).getCheckpoint('reports', '-'))?.job;
        if (polls < 3) return json(res, 200, { processingStatus: 'IN_PROGRESS' });
        return json(res, 200, {
          processingStatus: 'DONE',
          documents: [1, 2].map((part) => ({ url: `${files.url}/exports/rpt-42/part-${part}.ndjson?sig=ok` })),
        });
      },
    });
  });
  afterAll(async () => { await api.close(); await files.close(); });

  test('created, polled until DONE, both result files delivered without credentials; no checkpoint left, nothing dead-lettered', async () => {
    const secrets = new SecretsManagerClient({ endpoint: motoEndpoint(), region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const { ARN } = await secrets.send(new CreateSecretCommand({ Name: `reports-${Date.now()}`, SecretString: 'rpt-token' }));
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Reports', {
      feedName: 'reports',
      source: ApiSource.http({
        url: `${api.url}/reports`,
        method: HttpMethod.POST,
        body: { reportType: 'GET_ORDERS', dataStartTime: '{{ run.time | add: -P1D }}' },
        auth: Auth.bearer(secretsmanager.Secret.fromSecretCompleteArn(stack, 'Token', ARN!)),
        records: Records.ndjson(),
        exportJob: ExportJob.poll({
          jobIdPath: 'reportId',
          statusUrl: `${api.url}/reports/{{ job.id }}`,
          statusPath: 'processingStatus',
          readyStates: ['DONE'],
          failedStates: ['CANCELLED', 'FATAL'],
          results: ExportResults.listedAt('documents[*].url'),
          pollInterval: Duration.millis(50),
        }),
        limits: { allowPrivateAddresses: true, allowedHosts: [new URL(files.url).host] },
      }),
    });
    const schedule = Object.values(templateOf(stack).findResources('AWS::Scheduler::Schedule'))[0];
    const resources = await createFeedResources();
    stateTable = resources.tableName;
    const outcome = await invokeBundledHandler(asScheduled(schedule.Properties.Target.Input, '2026-12-07T05:00:00Z', 'exec-report'), pollerEnv(resources));
    expect(outcome.result).toMatchObject({ status: 'succeeded', pages: 2, recordsDelivered: 4 });
    expect(polls).toBe(3);
    const ids = [...(await readAllObjects(resources.bucketName)).values()].join('').trim().split('\n').map((line) => JSON.parse(line).record.id);
    expect(ids.sort()).toEqual(['r1-1', 'r1-2', 'r2-1', 'r2-2']);
    expect(files.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(await drainQueue(resources.queueUrl)).toEqual([]);
    // The job was kept in DynamoDB while it ran, and is gone once its files were delivered.
    expect(keptWhileRunning).toMatchObject({ id: 'rpt-42', filesDone: 0 });
    expect(await new DynamoDbStateStore(dynamoDbClient(), resources.tableName).getCheckpoint('reports', '-')).toBeUndefined();
    expect(outcome.logs).not.toContain('rpt-token');
  });
});
