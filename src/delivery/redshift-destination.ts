/**
 * Firehose's Amazon Redshift destination, which aws-cdk-lib's Firehose L2 does not have (only the
 * L1 `RedshiftDestinationConfiguration` exists): an `IDestination` for the L2 `DeliveryStream`.
 * Firehose writes the rows to the feed's bucket (the usual data folder, so the bucket keeps
 * them), then COPYs each file into the table with the credentials it reads from Secrets Manager.
 */
import { Duration, Size } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  cloudWatchLogging, firehoseRole, grantFolders, processingConfiguration, roleDependables, s3Configuration,
} from './destination-role';

export interface RedshiftDeliveryProps {
  readonly bucket: s3.IBucket;
  /** Where Firehose writes the files it COPYs from (the feed's data prefix). */
  readonly dataOutputPrefix: string;
  readonly errorOutputPrefix: string;
  /** With `backup`: where every source record is also written. */
  readonly backupPrefix?: string;
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly logGroup: logs.ILogGroup;
  readonly processorFunction?: lambda.IFunction;
  readonly jdbcUrl: string;
  readonly tableName: string;
  readonly columns: string;
  readonly copyOptions: string;
  readonly credentials: secretsmanager.ISecret;
  readonly retryDuration?: Duration;
}

export class RedshiftDestination implements firehose.IDestination {
  /** The role Firehose delivers with, once the stream has bound the destination. */
  public role?: iam.Role;

  constructor(private readonly props: RedshiftDeliveryProps) {}

  public bind(scope: Construct, _options: firehose.DestinationBindOptions): firehose.DestinationConfig {
    const { props } = this;
    const role = firehoseRole(scope, 'Redshift Destination Role');
    this.role = role;
    // COPY reads the files with the role's credentials: s3:GetObject under the data folder is what it needs.
    grantFolders(role, props.bucket, [props.dataOutputPrefix, props.errorOutputPrefix, ...(props.backupPrefix ? [props.backupPrefix] : [])]);
    props.credentials.grantRead(role);
    const buffering = { interval: props.bufferingInterval, size: props.bufferingSize };
    const logging = cloudWatchLogging(scope, 'RedshiftDestination', props.logGroup, role);
    const config = {
      redshiftDestinationConfiguration: {
        clusterJdbcurl: props.jdbcUrl,
        roleArn: role.roleArn,
        copyCommand: { dataTableName: props.tableName, dataTableColumns: props.columns, copyOptions: props.copyOptions },
        // Firehose reads the user and password from Secrets Manager when it connects.
        secretsManagerConfiguration: { enabled: true, secretArn: props.credentials.secretArn, roleArn: role.roleArn },
        retryOptions: { durationInSeconds: (props.retryDuration ?? Duration.seconds(3600)).toSeconds() },
        cloudWatchLoggingOptions: logging,
        s3Configuration: s3Configuration({
          bucket: props.bucket, role, prefix: props.dataOutputPrefix, errorOutputPrefix: props.errorOutputPrefix, buffering,
        }),
        s3BackupMode: props.backupPrefix ? 'Enabled' : 'Disabled',
        ...(props.backupPrefix ? {
          s3BackupConfiguration: s3Configuration({
            bucket: props.bucket, role, prefix: props.backupPrefix, errorOutputPrefix: props.errorOutputPrefix, buffering, logging,
          }),
        } : {}),
        ...processingConfiguration(role, props.processorFunction),
      },
      dependables: roleDependables(role),
    };
    // DestinationConfig names only the L2's own destinations; the DeliveryStream passes every key on to its L1.
    return config as unknown as firehose.DestinationConfig;
  }
}
