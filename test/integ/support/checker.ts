/**
 * The integration tests' checker: a Lambda function the assertions invoke, which reads what a feed
 * delivered and the feed's own state, and answers one JSON verdict the assertion compares exactly:
 *
 *   { "ids": [...sorted record ids found at the destination...], "deadLetters": 0,
 *     "leaseHeld": false, "alarmsNotOk": [] }
 *
 * plus `firehoseMetrics`, the metric names Firehose published for the stream.
 *
 * Reading the destination needs the services' own clients (S3 objects, an Athena query, an
 * OpenSearch search signed with SigV4, the Redshift Data API), which `awsApiCall` alone cannot
 * chain; everything runs on the Lambda runtime's AWS SDK. Duplicates stay in `ids`, so a record
 * delivered twice fails the comparison.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const CHECKER_HANDLER = `
const zlib = require('node:zlib');
const { S3Client, ListObjectsV2Command, GetObjectCommand } = require('@aws-sdk/client-s3');
const { SQSClient, GetQueueAttributesCommand } = require('@aws-sdk/client-sqs');
const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const { CloudWatchClient, DescribeAlarmsCommand, ListMetricsCommand } = require('@aws-sdk/client-cloudwatch');
const { AthenaClient, StartQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand } = require('@aws-sdk/client-athena');
const { RedshiftDataClient, ExecuteStatementCommand, DescribeStatementCommand, GetStatementResultCommand } = require('@aws-sdk/client-redshift-data');
const { SchedulerClient, GetScheduleCommand } = require('@aws-sdk/client-scheduler');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const crypto = require('node:crypto');
// @aws-sdk/core's own signer; the hash is Node's, as @smithy/hash-node implements it.
const { SignatureV4 } = require('@smithy/signature-v4');
class Sha256 {
  constructor(secret) { this.hash = secret ? crypto.createHmac('sha256', secret) : crypto.createHash('sha256'); }
  update(data) { this.hash.update(typeof data === 'string' ? Buffer.from(data) : data); }
  async digest() { return new Uint8Array(this.hash.digest()); }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const field = (object, path) => path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), object);

async function signedFetch(url, { method = 'GET', body, service }) {
  const target = new URL(url);
  const signer = new SignatureV4({
    service, region: process.env.AWS_REGION, sha256: Sha256,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN },
  });
  const query = Object.fromEntries(target.searchParams.entries());
  // As the SDK does: the path is sent encoded once (RFC 3986, so observations-* is observations-%2A)
  // and the signer encodes it again, as SigV4 asks of every service but S3.
  const strict = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const path = target.pathname.split('/').map((segment) => strict(decodeURIComponent(segment))).join('/');
  const request = await signer.sign({
    method, protocol: target.protocol, hostname: target.hostname, path, query,
    headers: { host: target.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(target.protocol + '//' + target.host + path + target.search, { method, headers: request.headers, body });
  const text = await response.text();
  return { status: response.status, text };
}

async function s3Ids({ bucket, prefix, idPath }) {
  const s3 = new S3Client({});
  const ids = [];
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      let bytes = Buffer.from(await got.Body.transformToByteArray());
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
      for (const line of bytes.toString('utf8').split('\\n')) if (line.trim()) ids.push(String(field(JSON.parse(line), idPath)));
    }
    token = page.NextContinuationToken;
  } while (token);
  return ids;
}

// The distinct year=/month=/day= folders of a bucket's objects under a prefix: where the rows were filed.
async function dayFolders({ bucket, prefix }) {
  const s3 = new S3Client({});
  const days = new Set();
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const day = /year=\\d{4}\\/month=\\d{2}\\/day=\\d{2}/.exec(object.Key);
      if (day) days.add(day[0]);
    }
    token = page.NextContinuationToken;
  } while (token);
  return [...days].sort();
}

async function athenaIds({ database, table, column, workGroup, output }) {
  // database may name a Glue resource link (S3 Tables): Athena follows it, with Lake Formation's grants.
  const athena = new AthenaClient({});
  const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({
    QueryString: 'SELECT "' + column + '" FROM "' + database + '"."' + table + '"',
    WorkGroup: workGroup, ResultConfiguration: { OutputLocation: output },
  }));
  for (;;) {
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const state = QueryExecution.Status.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') throw new Error('Athena query ' + state + ': ' + QueryExecution.Status.StateChangeReason);
    await sleep(1000);
  }
  const ids = [];
  let token;
  let header = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId, NextToken: token }));
    for (const row of page.ResultSet.Rows) {
      if (header) { header = false; continue; }
      ids.push(row.Data[0].VarCharValue);
    }
    token = page.NextToken;
  } while (token);
  return ids;
}

async function searchIds({ endpoint, index, idPath, service, setup, checkDocumentIds }) {
  const base = endpoint.startsWith('https://') ? endpoint : 'https://' + endpoint;
  for (const step of setup ?? []) {
    const put = await signedFetch(base + step.path, { method: 'PUT', body: step.body, service });
    if (put.status >= 300) throw new Error('PUT ' + step.path + ': ' + put.status + ' ' + put.text.slice(0, 500));
  }
  if (setup) return { ids: [], setUp: setup.map((step) => step.path) };
  const search = await signedFetch(base + '/' + index + '/_search', { method: 'POST', body: JSON.stringify({ size: 1000, query: { match_all: {} } }), service });
  if (search.status === 404) return { ids: [] };
  if (search.status >= 300) throw new Error('search: ' + search.status + ' ' + search.text.slice(0, 500));
  const hits = JSON.parse(search.text).hits.hits;
  return {
    ids: hits.map((hit) => String(field(hit._source, idPath))),
    // Whether each document's _id is its record_id (the ingest pipeline's set processor), or Firehose's own id.
    ...(checkDocumentIds ? { documentIdIsRecordId: hits.length > 0 && hits.every((hit) => hit._id === hit._source.record_id) } : {}),
  };
}

async function redshiftIds({ workgroupName, database, sql, secretArn }) {
  const data = new RedshiftDataClient({});
  const { Id } = await data.send(new ExecuteStatementCommand({ WorkgroupName: workgroupName, Database: database, Sql: sql, SecretArn: secretArn }));
  for (;;) {
    const statement = await data.send(new DescribeStatementCommand({ Id }));
    if (statement.Status === 'FINISHED') break;
    if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') throw new Error('Redshift: ' + statement.Error);
    await sleep(1000);
  }
  const ids = [];
  let token;
  do {
    const page = await data.send(new GetStatementResultCommand({ Id, NextToken: token }));
    for (const record of page.Records) ids.push(record[0].stringValue);
    token = page.NextToken;
  } while (token);
  return ids;
}

async function firehoseMetricNames(deliveryStreamName) {
  const names = new Set();
  let token;
  do {
    const page = await new CloudWatchClient({}).send(new ListMetricsCommand({
      Namespace: 'AWS/Firehose', Dimensions: [{ Name: 'DeliveryStreamName', Value: deliveryStreamName }], NextToken: token,
    }));
    for (const metric of page.Metrics ?? []) names.add(metric.MetricName);
    token = page.NextToken;
  } while (token);
  return [...names].sort();
}

async function feedState({ queueUrl, stateTable, feed, alarmNames, deliveryStreamName }) {
  const attributes = (await new SQSClient({}).send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }))).Attributes;
  const lease = (await new DynamoDBClient({}).send(new GetItemCommand({
    TableName: stateTable, Key: { pk: { S: 'feed#' + feed }, sk: { S: 'lease' } }, ConsistentRead: true,
  }))).Item;
  const alarms = alarmNames.length
    ? (await new CloudWatchClient({}).send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }))).MetricAlarms
    : [];
  return {
    deadLetters: Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible),
    leaseHeld: Boolean(lease && lease.holder),
    alarmsNotOk: alarms.filter((alarm) => alarm.StateValue !== 'OK').map((alarm) => alarm.AlarmName + ': ' + alarm.StateValue).sort(),
    // The metrics Firehose published for the stream: the feed's alarms and dashboard read some of them by name.
    firehoseMetrics: await firehoseMetricNames(deliveryStreamName),
  };
}

exports.handler = async (event) => {
  if (event.runScheduled) {
    // One run exactly as the schedule starts it: the poller invoked with the schedule's own input.
    const { scheduleName, functionName } = event.runScheduled;
    const schedule = await new SchedulerClient({}).send(new GetScheduleCommand({ Name: scheduleName, GroupName: 'default' }));
    const invoked = await new LambdaClient({}).send(new InvokeCommand({ FunctionName: functionName, Payload: schedule.Target.Input }));
    const text = Buffer.from(invoked.Payload ?? []).toString('utf8');
    if (invoked.FunctionError) return { status: 'error', error: text.slice(0, 2000) };
    const summary = JSON.parse(text);
    return { status: summary.status, ...(summary.status === 'succeeded' ? {} : { summary }) };
  }
  if (event.post) {
    // A request signed as the caller's role would sign it (the run endpoint's AWS_IAM function URL).
    const response = await signedFetch(event.post.url, { method: 'POST', body: JSON.stringify(event.post.body), service: 'lambda' });
    return { status: response.status };
  }
  const read = event.read;
  let found;
  if (read.kind === 's3') found = { ids: await s3Ids(read) };
  else if (read.kind === 'athena') found = { ids: await athenaIds(read), ...(read.folders ? { dayFolders: await dayFolders(read.folders) } : {}) };
  else if (read.kind === 'search') found = await searchIds(read);
  else if (read.kind === 'redshift') found = { ids: await redshiftIds(read) };
  else throw new Error('unknown read kind ' + read.kind);
  if (read.setup) return found;
  return { ...found, ids: found.ids.sort(), ...(event.state ? await feedState(event.state) : {}) };
};
`;

export class Checker extends Construct {
  public readonly fn: lambda.Function;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.fn = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(CHECKER_HANDLER),
      // A run of the poller, awaited, fits in it (the poller's own timeout is at most 15 minutes).
      timeout: Duration.minutes(15),
      memorySize: 512,
      description: 'Reads what an integration test feed delivered, and its state',
    });
  }

  public grant(...statements: iam.PolicyStatement[]): void {
    for (const statement of statements) this.fn.addToRolePolicy(statement);
  }
}
