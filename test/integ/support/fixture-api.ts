/**
 * The integration tests' own third-party API: a Lambda function URL that serves the fixed data set
 * (fixture-data.ts) the way SaaS APIs do, so each test knows exactly which records must arrive.
 *
 * - `GET /stations` lists the stations (the feed's parent request).
 * - `GET /stations/{id}/observations?page=N[&since=ISO][&from=ISO&to=ISO]` pages through one
 *   station's observations, `PAGE_SIZE` a page, with `has_more`; `since` is the incremental
 *   cursor (observations at or after it), `from`/`to` a backfill window ([from, to)).
 * - Every request must carry `x-api-key` equal to the secret's value, read from Secrets Manager by
 *   the function itself (the key is never in the template or the environment).
 */
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FIRST_OBSERVATION, OBSERVATIONS_PER_STATION, PAGE_SIZE, STATIONS } from './fixture-data';

export const FIXTURE_HANDLER = `
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const STATIONS = ${JSON.stringify(STATIONS)};
const PER_STATION = ${OBSERVATIONS_PER_STATION};
const PAGE_SIZE = ${PAGE_SIZE};
const FIRST = Date.parse(${JSON.stringify(FIRST_OBSERVATION)});
let apiKey;
const answer = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const observation = (station, index) => ({
  id: station + '-' + String(index).padStart(3, '0'),
  station,
  observed_at: new Date(FIRST + index * 3600000).toISOString(),
  temperature_c: ((index * 7) % 30) - 5 + 0.5,
  humidity_pct: 40 + (index % 50),
});
exports.handler = async (event) => {
  apiKey ??= (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: process.env.API_KEY_SECRET_ARN }))).SecretString;
  if ((event.headers ?? {})['x-api-key'] !== apiKey) return answer(401, { error: 'missing or wrong x-api-key' });
  const path = event.rawPath ?? '/';
  const query = event.queryStringParameters ?? {};
  if (path === '/stations') return answer(200, { stations: STATIONS.map((id) => ({ id })) });
  const match = /^\\/stations\\/([a-z]+)\\/observations$/.exec(path);
  if (!match || !STATIONS.includes(match[1])) return answer(404, { error: 'no such resource: ' + path });
  const since = query.since ? Date.parse(query.since) : -Infinity;
  const from = query.from ? Date.parse(query.from) : -Infinity;
  const to = query.to ? Date.parse(query.to) : Infinity;
  if ([since, from, to].some(Number.isNaN)) return answer(400, { error: 'since, from and to must be ISO 8601 times' });
  const all = Array.from({ length: PER_STATION }, (_, index) => observation(match[1], index))
    .filter((o) => { const at = Date.parse(o.observed_at); return at >= since && at >= from && at < to; });
  const page = Number(query.page ?? '1');
  if (!Number.isInteger(page) || page < 1) return answer(400, { error: 'page must be 1 or more' });
  const data = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return answer(200, { data, page, has_more: page * PAGE_SIZE < all.length });
};
`;

export class FixtureApi extends Construct {
  /** The API's base URL, ending in `/` (a deploy-time value). */
  public readonly url: string;
  /** The API key the feed sends in `x-api-key`. */
  public readonly apiKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.apiKey = new secretsmanager.Secret(this, 'ApiKey', {
      description: 'The integration test API key',
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
    });
    const fn = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(FIXTURE_HANDLER),
      timeout: Duration.seconds(10),
      environment: { API_KEY_SECRET_ARN: this.apiKey.secretArn },
      description: 'Serves the integration tests\' fixed data set',
    });
    this.apiKey.grantRead(fn);
    // The poller calls it as any third-party API: over HTTPS with its key, no AWS signature.
    this.url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url;
    new CfnOutput(this, 'Url', { value: this.url });
  }
}
