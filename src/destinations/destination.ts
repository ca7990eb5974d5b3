import type { Duration } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { OpenSearchDestinationProps, OpenSearchServerlessDestinationProps } from './opensearch';
import type { RedshiftDestinationProps } from './redshift';

/** Where Firehose delivers a feed. */
export enum DestinationKind {
  /** The feed's S3 bucket, in the feed's `format`. */
  S3 = 's3',
  /** An HTTP endpoint (Firehose's HTTP endpoint destination). */
  HTTP_ENDPOINT = 'httpEndpoint',
  /** An Amazon OpenSearch Service domain. */
  OPENSEARCH = 'openSearch',
  /** An Amazon OpenSearch Serverless collection. */
  OPENSEARCH_SERVERLESS = 'openSearchServerless',
  /** An Amazon Redshift cluster or Serverless workgroup, through S3 and COPY. */
  REDSHIFT = 'redshift',
}

/**
 * Properties of `Destination.httpEndpoint()`.
 */
export interface HttpEndpointDestinationProps {
  /** The endpoint's URL: HTTPS, as Firehose requires. */
  readonly url: string;

  /**
   * The secret holding the endpoint's access key, which Firehose reads from Secrets Manager and
   * sends in the `X-Amz-Firehose-Access-Key` header: it is never in the template.
   *
   * @default - no access key
   */
  readonly accessKey?: secretsmanager.ISecret;

  /**
   * A name for the endpoint, shown in the Firehose console and logs.
   *
   * @default - none
   */
  readonly name?: string;

  /**
   * How long Firehose retries a request the endpoint did not acknowledge, before the data goes to
   * the S3 backup (0 to 7200 seconds).
   *
   * @default Duration.seconds(300)
   */
  readonly retryDuration?: Duration;
}

/**
 * Where Firehose delivers the feed's records: the feed's S3 bucket (the default), or another of
 * Firehose's destinations. Whatever the destination, the bucket keeps the records Firehose could
 * not deliver (S3 backup of failed data) and the poller's oversized dead letters.
 */
export class Destination {
  /** The feed's S3 bucket, in the feed's `format` (JSON lines, Parquet, Iceberg). */
  public static s3(): Destination {
    return new Destination(DestinationKind.S3);
  }

  /**
   * An HTTP endpoint: Firehose posts the records (GZIP-compressed) to the URL, with the access key
   * from Secrets Manager, and backs up what the endpoint did not accept to the feed's bucket
   * under `backups/feed=NAME/`. Each Firehose record holds up to 500 newline-terminated JSON
   * lines (the poller packs them to save Firehose's 5 KB rounding): the endpoint splits them at
   * newlines. Not with `format` other than JSON lines, dynamic partitioning or a data prefix.
   */
  public static httpEndpoint(props: HttpEndpointDestinationProps): Destination {
    return new Destination(DestinationKind.HTTP_ENDPOINT, { httpEndpoint: props });
  }

  /**
   * An Amazon OpenSearch Service domain: one document per record (the poller sends each JSON line
   * as its own Firehose record), into `indexName` rotated by `indexRotation`, public or in a VPC.
   * Documents the domain refused are backed up to the feed's bucket under `backups/feed=NAME/`.
   * `ApiToFirehoseIngestion.openSearchIndexTemplate` maps the spec's schema. JSON lines only.
   */
  public static openSearch(props: OpenSearchDestinationProps): Destination {
    return new Destination(DestinationKind.OPENSEARCH, { openSearch: props });
  }

  /**
   * An Amazon OpenSearch Serverless collection: as `openSearch()`, with a data access policy for
   * Firehose's role created in the stack. Collections have no index rotation, and OpenSearch
   * generates the documents' ids.
   */
  public static openSearchServerless(props: OpenSearchServerlessDestinationProps): Destination {
    return new Destination(DestinationKind.OPENSEARCH_SERVERLESS, { openSearchServerless: props });
  }

  /**
   * An Amazon Redshift cluster or Serverless workgroup: Firehose writes the rows to the feed's
   * bucket (the usual data folder) and COPYs each file into `tableName` with the credentials from
   * Secrets Manager. `ApiToFirehoseIngestion.redshiftTableDdl` is the table's DDL, generated
   * from the spec's schema (envelope and `record` as SUPER without one). JSON lines only.
   */
  public static redshift(props: RedshiftDestinationProps): Destination {
    return new Destination(DestinationKind.REDSHIFT, { redshift: props });
  }

  /** Which destination this is. */
  public readonly kind: DestinationKind;

  /**
   * The props of `Destination.httpEndpoint()`.
   * @internal
   */
  public readonly _httpEndpoint?: HttpEndpointDestinationProps;
  /** @internal */
  public readonly _openSearch?: OpenSearchDestinationProps;
  /** @internal */
  public readonly _openSearchServerless?: OpenSearchServerlessDestinationProps;
  /** @internal */
  public readonly _redshift?: RedshiftDestinationProps;

  private constructor(kind: DestinationKind, props: {
    httpEndpoint?: HttpEndpointDestinationProps;
    openSearch?: OpenSearchDestinationProps;
    openSearchServerless?: OpenSearchServerlessDestinationProps;
    redshift?: RedshiftDestinationProps;
  } = {}) {
    this.kind = kind;
    this._httpEndpoint = props.httpEndpoint;
    this._openSearch = props.openSearch;
    this._openSearchServerless = props.openSearchServerless;
    this._redshift = props.redshift;
  }
}
