/**
 * What every destination of the L1 kind (Iceberg, OpenSearch, Redshift) builds the same way: the
 * role Firehose assumes, confined to the account, its access to the feed's bucket folders, the S3
 * configuration (backup or intermediate files), logging and the user's processor.
 */
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { fixedFolder } from './prefixes';

/** What Firehose does on the bucket itself for an S3 destination (AWS's documented role policy). */
export const BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'];
/** What Firehose does on objects: write them (multipart included) and read back what it wrote. No delete. */
export const OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

/** A role only Firehose, on behalf of this account, can assume. */
export function firehoseRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
  });
}

/** Lets the role write objects under each prefix's fixed folder of the bucket, and use the bucket's key. */
export function grantFolders(role: iam.IRole, bucket: s3.IBucket, prefixes: ReadonlyArray<string>, actions: string[] = OBJECT_ACTIONS): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: BUCKET_ACTIONS, resources: [bucket.bucketArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions,
    resources: [...new Set(prefixes.map((prefix) => bucket.arnForObjects(`${fixedFolder(prefix)}*`)))],
  }));
  bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
}

export interface Buffering {
  readonly interval: Duration;
  readonly size: Size;
}

export function bufferingHints(buffering: Buffering): { intervalInSeconds: number; sizeInMBs: number } {
  return { intervalInSeconds: buffering.interval.toSeconds(), sizeInMBs: buffering.size.toMebibytes() };
}

/** Logging into the stream's log group, in a log stream of its own per destination part. */
export function cloudWatchLogging(scope: Construct, id: string, logGroup: logs.ILogGroup, role: iam.IRole) {
  logGroup.grantWrite(role);
  const logStream = new logs.LogStream(scope, id, { logGroup, removalPolicy: RemovalPolicy.RETAIN });
  return { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName };
}

/** The L1 S3 configuration: GZIP objects under `prefix`, failures under `errorOutputPrefix`, the bucket's key. */
export function s3Configuration(props: {
  readonly bucket: s3.IBucket;
  readonly role: iam.IRole;
  readonly prefix?: string;
  readonly errorOutputPrefix: string;
  readonly buffering: Buffering;
  readonly logging?: ReturnType<typeof cloudWatchLogging>;
}) {
  return {
    bucketArn: props.bucket.bucketArn,
    roleArn: props.role.roleArn,
    ...(props.prefix ? { prefix: props.prefix } : {}),
    errorOutputPrefix: props.errorOutputPrefix,
    bufferingHints: bufferingHints(props.buffering),
    compressionFormat: 'GZIP',
    ...(props.bucket.encryptionKey
      ? { encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.bucket.encryptionKey.keyArn } } }
      : {}),
    ...(props.logging ? { cloudWatchLoggingOptions: props.logging } : {}),
  };
}

/** The user's function as Firehose's data processor, which the role may invoke. */
export function processingConfiguration(role: iam.IRole, fn: lambda.IFunction | undefined) {
  if (!fn) return {};
  fn.grantInvoke(role);
  return {
    processingConfiguration: {
      enabled: true,
      processors: [{ type: 'Lambda', parameters: [{ parameterName: 'LambdaArn', parameterValue: fn.functionArn }] }],
    },
  };
}

/** The stream waits for the role's policy, as aws-cdk-lib's own destinations do. */
export function roleDependables(role: iam.Role): Construct[] {
  return [role.node.findChild('DefaultPolicy') as Construct];
}
