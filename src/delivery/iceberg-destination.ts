/**
 * Firehose's Apache Iceberg destination, which aws-cdk-lib's Firehose L2 does not have (only the
 * L1 `IcebergDestinationConfiguration` exists): an `IDestination` for the L2 `DeliveryStream`, so
 * the stream keeps the L2's encryption, grants and metrics. Its role may write only the table's
 * folder and the error folder of the bucket, and read and update only the feed's Glue table.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  bufferingHints, cloudWatchLogging, firehoseRole, grantFolders, OBJECT_ACTIONS, processingConfiguration, roleDependables, s3Configuration,
} from './destination-role';

export interface IcebergDestinationProps {
  readonly bucket: s3.IBucket;
  /** The table's folder in the bucket (its location), e.g. `feed=quotes/`. @default none: the table is in S3 Tables */
  readonly tableFolder?: string;
  /** The table is reached through Lake Formation (S3 Tables): the role asks it for data access. */
  readonly lakeFormation?: boolean;
  /** Where Firehose writes the records it could not deliver (S3 backup of failed data). */
  readonly errorOutputPrefix: string;
  readonly databaseName: string;
  readonly tableName: string;
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly logGroup: logs.ILogGroup;
  /** Your Lambda function as a data processor. */
  readonly processorFunction?: lambda.IFunction;
}

/** What Firehose does in an Iceberg table's folder: write data and metadata files, read them back, list them. */
const TABLE_OBJECT_ACTIONS = [...OBJECT_ACTIONS, 's3:DeleteObject'];

export class IcebergDestination implements firehose.IDestination {
  /** The role Firehose writes with, once the stream has bound the destination. */
  public role?: iam.IRole;

  constructor(private readonly props: IcebergDestinationProps) {}

  public bind(scope: Construct, _options: firehose.DestinationBindOptions): firehose.DestinationConfig {
    const { props } = this;
    const stack = Stack.of(scope);
    const role = firehoseRole(scope, 'Iceberg Destination Role');
    this.role = role;
    // The table's folder (data and metadata files, which Iceberg also deletes) and the error folder.
    if (props.tableFolder !== undefined) grantFolders(role, props.bucket, [props.tableFolder], TABLE_OBJECT_ACTIONS);
    grantFolders(role, props.bucket, [props.errorOutputPrefix]);
    if (props.lakeFormation) {
      // S3 Tables data is reached with credentials Lake Formation vends for the granted table.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }));
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${props.tableName}` }),
      ],
    }));
    const buffering = { interval: props.bufferingInterval, size: props.bufferingSize };
    const config = {
      icebergDestinationConfiguration: {
        roleArn: role.roleArn,
        catalogConfiguration: { catalogArn: stack.formatArn({ service: 'glue', resource: 'catalog' }) },
        destinationTableConfigurationList: [{
          destinationDatabaseName: props.databaseName,
          destinationTableName: props.tableName,
          // A record delivered twice replaces the first (an update), instead of duplicating it.
          uniqueKeys: ['record_id'],
          s3ErrorOutputPrefix: props.errorOutputPrefix,
        }],
        bufferingHints: bufferingHints(buffering),
        cloudWatchLoggingOptions: cloudWatchLogging(scope, 'IcebergDestination', props.logGroup, role),
        retryOptions: { durationInSeconds: 300 },
        // Only what failed is backed up to S3, under the error prefix.
        s3BackupMode: 'FailedDataOnly',
        s3Configuration: s3Configuration({ bucket: props.bucket, role, errorOutputPrefix: props.errorOutputPrefix, buffering }),
        ...processingConfiguration(role, props.processorFunction),
      },
      // The stream waits for the role's policy, as aws-cdk-lib's own destinations do.
      dependables: roleDependables(role),
    };
    // DestinationConfig names only the L2's own destinations; the DeliveryStream passes every key on to its L1.
    return config as unknown as firehose.DestinationConfig;
  }
}
