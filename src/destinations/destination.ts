import type { Duration } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Where Firehose delivers a feed. */
export enum DestinationKind {
  /** The feed's S3 bucket, in the feed's `format`. */
  S3 = 's3',
  /** An HTTP endpoint (Firehose's HTTP endpoint destination). */
  HTTP_ENDPOINT = 'httpEndpoint',
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
    return new Destination(DestinationKind.HTTP_ENDPOINT, props);
  }

  /** Which destination this is. */
  public readonly kind: DestinationKind;

  /**
   * The props of `Destination.httpEndpoint()`.
   * @internal
   */
  public readonly _httpEndpoint?: HttpEndpointDestinationProps;

  private constructor(kind: DestinationKind, httpEndpoint?: HttpEndpointDestinationProps) {
    this.kind = kind;
    this._httpEndpoint = httpEndpoint;
  }
}
