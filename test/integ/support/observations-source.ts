/**
 * The feed every integration test deploys: the fixture API's stations (a parent request), each
 * station's observations page by page, with an incremental cursor and an API key from Secrets
 * Manager. The typed variant declares the columns the typed destinations need.
 */
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ApiSource, Auth, Column, Incremental, Pagination, Partitions, Records, RecordSchema, SchemaContract,
} from '../../../src';

export interface ObservationsSourceOptions {
  /** Declare the columns (Parquet, Iceberg, OpenSearch mappings, Redshift). */
  readonly typed?: boolean;
  /** Ask for a backfill window (`from`/`to`) instead of the cursor. */
  readonly windowed?: boolean;
  /** Declare the stations as a static list instead of asking the parent request for them. */
  readonly listedStations?: string[];
  /** A request budget (a distributed run's workers share it through the state table). */
  readonly requestsPerSecond?: number;
}

/** Where the observations are served: the fixture API (or, in the local test of these parts, a loopback server). */
export interface ObservationsApi {
  /** The API's base URL, ending in `/`. */
  readonly url: string;
  /** The API key, sent in `x-api-key`. */
  readonly apiKey: ISecret;
}

export function observationsSource(api: ObservationsApi, options: ObservationsSourceOptions = {}): ApiSource {
  return ApiSource.http({
    url: `${api.url}stations/{{ partition.station }}/observations`,
    query: options.windowed ? { from: '{{ window.start }}', to: '{{ window.end }}' } : { since: '{{ cursor }}' },
    auth: Auth.apiKeyHeader('x-api-key', api.apiKey),
    records: Records.at('data'),
    pagination: Pagination.pageNumber({ param: 'page', hasMorePath: 'has_more' }),
    partitions: options.listedStations
      ? Partitions.list(options.listedStations.map((station) => ({ station })))
      : Partitions.fromParent({ url: `${api.url}stations`, records: Records.at('stations'), fields: { station: 'id' } }),
    incremental: Incremental.datetime({ recordPath: 'observed_at', start: '2025-01-01T00:00:00Z' }),
    ...(options.requestsPerSecond ? { limits: { requestsPerSecond: options.requestsPerSecond } } : {}),
    ...(options.typed ? {
      schema: RecordSchema.of({
        id: Column.string(),
        station: Column.string(),
        observed_at: Column.timestamp(),
        temperature_c: Column.number(),
        humidity_pct: Column.integer(),
      }, { contract: SchemaContract.FREEZE }),
    } : {}),
  });
}
