import type { Duration } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Properties of `RedshiftTarget.cluster()`. */
export interface RedshiftClusterTargetProps {
  /** The cluster's identifier (the Redshift Data API names it, to create the table). */
  readonly clusterIdentifier: string;
  /** The cluster's endpoint address (`Cluster.clusterEndpoint.hostname`). */
  readonly endpointAddress: string;
  /**
   * The cluster's port.
   *
   * @default 5439
   */
  readonly port?: number;
}

/** Properties of `RedshiftTarget.serverlessWorkgroup()`. */
export interface RedshiftServerlessTargetProps {
  /** The workgroup's name (the Redshift Data API names it, to create the table). */
  readonly workgroupName: string;
  /** The workgroup's endpoint address (`CfnWorkgroup.attrWorkgroupEndpointAddress`). */
  readonly endpointAddress: string;
  /**
   * The workgroup's port.
   *
   * @default 5439
   */
  readonly port?: number;
}

/** The Redshift warehouse Firehose copies into: a provisioned cluster or a Serverless workgroup. */
export class RedshiftTarget {
  /** A provisioned cluster. */
  public static cluster(props: RedshiftClusterTargetProps): RedshiftTarget {
    return new RedshiftTarget(props.endpointAddress, props.port ?? 5439, { ClusterIdentifier: props.clusterIdentifier });
  }

  /** A Redshift Serverless workgroup. */
  public static serverlessWorkgroup(props: RedshiftServerlessTargetProps): RedshiftTarget {
    return new RedshiftTarget(props.endpointAddress, props.port ?? 5439, { WorkgroupName: props.workgroupName });
  }

  /** The endpoint's address. */
  public readonly endpointAddress: string;
  /** The endpoint's port. */
  public readonly port: number;
  /**
   * How the Redshift Data API names the warehouse (`ClusterIdentifier` or `WorkgroupName`).
   * @internal
   */
  public readonly _dataApiTarget: Record<string, string>;

  private constructor(endpointAddress: string, port: number, dataApiTarget: Record<string, string>) {
    this.endpointAddress = endpointAddress;
    this.port = port;
    this._dataApiTarget = dataApiTarget;
  }
}

/** Properties of `Destination.redshift()`. */
export interface RedshiftDestinationProps {
  /** The cluster or Serverless workgroup. */
  readonly target: RedshiftTarget;

  /** The database the table is in. */
  readonly database: string;

  /**
   * The table Firehose copies into, optionally with its schema (`analytics.prices`). Its columns
   * are the rows' (`ApiToFirehoseIngestion.redshiftTableDdl` creates it).
   */
  readonly tableName: string;

  /**
   * The database user's credentials: a secret with `username` and `password`, which Firehose
   * reads from Secrets Manager; they are never in the template.
   */
  readonly credentials: secretsmanager.ISecret;

  /**
   * Create the table at deployment, with the Redshift Data API in a custom resource
   * (`CREATE TABLE IF NOT EXISTS`, with the same credentials). Otherwise run
   * `redshiftTableDdl` yourself before the first delivery.
   *
   * @default false
   */
  readonly createTable?: boolean;

  /**
   * The COPY options: they must read GZIP-compressed JSON (what Firehose writes to the
   * intermediate bucket).
   *
   * @default "FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' DATEFORMAT 'auto'"
   */
  readonly copyOptions?: string;

  /**
   * How long Firehose retries a COPY that failed, before it records the files in the error
   * folder's manifest (0 to 7200 seconds).
   *
   * @default Duration.seconds(3600)
   */
  readonly retryDuration?: Duration;

  /**
   * Also back up every source record to the bucket, under `backups/feed=NAME/`. The intermediate
   * files Firehose copies from already stay under the feed's data folder.
   *
   * @default false
   */
  readonly backup?: boolean;
}
