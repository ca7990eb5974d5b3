/**
 * The feed's Firehose delivery stream to S3: prefixes, buffering, compression, encryption and
 * optional dynamic partitioning, each checked against Firehose's limits before CloudFormation
 * sees them.
 */
import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DynamicPartitioning } from './dynamic-partitioning';
import { FeedDeliveryOptions } from './feed-delivery-options';
import { IcebergDestination } from './iceberg-destination';
import { DEAD_LETTER_FOLDER, feedFolder, FIREHOSE_TIME_FOLDERS } from '../feed-spec/poller-contract';
import { LOG_GROUP_ENCRYPTION, skipCheckovChecks } from '../private/checkov';
import { acknowledgeFindings, nagResource } from '../private/nag-acknowledgements';

/** Firehose's limit on the length of an S3 prefix. */
const PREFIX_MAX_LENGTH = 1024;

export interface FeedDeliveryStreamProps extends FeedDeliveryOptions {
  readonly feed: string;
  readonly bucket: s3.IBucket;
  /** Customer-managed key for the stream's server-side encryption; an AWS-owned key otherwise. */
  readonly encryptionKey?: kms.IKey;
  /**
   * Firehose record format conversion (`Format.parquet()`): the stream's compression is then the
   * serializer's, and the buffering at least 64 MiB.
   */
  readonly dataFormatConversion?: firehose.DataFormatConversionProps;
  /** With a schema, the columns of the rows the poller writes (dynamic partitioning reads them). */
  readonly rowColumns?: string[];
  /**
   * Deliver into this Iceberg table (`Format.iceberg()`) instead of S3 objects: in the feed's
   * bucket, or in S3 Tables (`lakeFormation`), reached through a Glue resource link.
   */
  readonly icebergTable?: { readonly databaseName: string; readonly tableName: string; readonly lakeFormation?: boolean };
  /** Deliver to this HTTP endpoint (`Destination.httpEndpoint()`) instead of S3 objects. */
  readonly httpEndpoint?: {
    readonly url: string;
    readonly accessKey?: secretsmanager.ISecret;
    readonly name?: string;
    readonly retryDuration?: Duration;
  };
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: (message: string) => never;
}


export interface FeedDeliveryStream {
  readonly deliveryStream: firehose.DeliveryStream;
  /** The role Firehose writes an Iceberg table with. */
  readonly icebergRole?: iam.IRole;
  readonly dataOutputPrefix: string;
  readonly errorOutputPrefix: string;
}

/** The fixed folder a prefix starts with (`feed=weather/` of `feed=weather/year=!{…}/`), or ''. */
export function fixedFolder(prefix: string): string {
  const fixed = prefix.split('!{')[0];
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

/** What Firehose does on the bucket itself for an S3 destination (AWS's documented role policy). */
const BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'];
/** What it does on objects: write them (multipart included) and read back what it wrote. No delete. */
const OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

/**
 * The bucket as the Firehose destination sees it. aws-cdk-lib's `S3Bucket` destination calls
 * `bucket.grantReadWrite(role)`, which grants `s3:DeleteObject*` and the `s3:GetObject*` /
 * `s3:List*` wildcards on every object of the bucket, and offers no way to grant less. This view
 * is the bucket itself except for that one call, which grants instead the actions AWS documents
 * for an S3 destination, on the objects under the stream's own data and error folders, plus
 * `kms:Decrypt` / `kms:GenerateDataKey` on the bucket's key.
 */
function deliveryView(bucket: s3.IBucket, prefixes: ReadonlyArray<string>): s3.IBucket {
  const grantDelivery = (grantee: iam.IGrantable): iam.Grant => {
    const onBucket = iam.Grant.addToPrincipal({ grantee, actions: BUCKET_ACTIONS, resourceArns: [bucket.bucketArn] });
    const onObjects = iam.Grant.addToPrincipal({
      grantee,
      actions: OBJECT_ACTIONS,
      resourceArns: [...new Set(prefixes.map((prefix) => bucket.arnForObjects(`${fixedFolder(prefix)}*`)))],
    });
    bucket.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
    return onBucket.combine(onObjects);
  };
  return new Proxy(bucket, {
    get(target, property) {
      if (property === 'grantReadWrite') return grantDelivery;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The default data prefix: per feed, then the dynamic partition keys, then time. */
export function defaultDataOutputPrefix(feed: string, dynamicPartitioning?: DynamicPartitioning): string {
  return `${feedFolder(feed)}${dynamicPartitioning?._prefixLevels() ?? ''}${FIREHOSE_TIME_FOLDERS}`;
}

/** The default error prefix: per feed and error type, then time. */
export function defaultErrorOutputPrefix(feed: string): string {
  return `errors/${feedFolder(feed)}!{firehose:error-output-type}/${FIREHOSE_TIME_FOLDERS}`;
}

/**
 * Creates the delivery stream in `scope` (ids `DeliveryLogs` and `DeliveryStream`, so the
 * logical ids of existing stacks stay the same).
 */
export function createFeedDeliveryStream(scope: Construct, props: FeedDeliveryStreamProps): FeedDeliveryStream {
  const synthError = props.synthError;
  const partitioning = props.dynamicPartitioning;
  // Buffering limits (0-900 s, 1-128 MiB, at least 60 s and 64 MiB with dynamic partitioning,
  // at least 64 MiB with format conversion) are aws-cdk-lib's to check: its DeliveryStream validates them with messages of its own.
  const interval = props.bufferingInterval ?? Duration.seconds(300);
  const size = props.bufferingSize ?? Size.mebibytes(64);

  const dataOutputPrefix = props.dataOutputPrefix ?? defaultDataOutputPrefix(props.feed, partitioning);
  const errorOutputPrefix = props.errorOutputPrefix ?? defaultErrorOutputPrefix(props.feed);
  checkPrefixes(dataOutputPrefix, errorOutputPrefix, partitioning, synthError);
  const conversion = props.dataFormatConversion;
  if (props.icebergTable) checkIceberg(props, synthError);
  if (props.httpEndpoint) checkHttpEndpoint(props, synthError);
  if (conversion && props.compression) {
    // The stream would ignore it (the serializer compresses); say so rather than drop it.
    synthError('compression is for JSON lines: with Format.parquet() Firehose\'s Parquet serializer compresses the files. '
      + 'Remove compression and set Format.parquet({ compression: ParquetCompression.GZIP }) to choose');
  }

  const deliveryLogGroup = new logs.LogGroup(scope, 'DeliveryLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  skipCheckovChecks(deliveryLogGroup, [LOG_GROUP_ENCRYPTION]);
  // In the order Firehose runs them: deaggregation, the user's processor, partition keys.
  const userProcessor = props.processorFunction ? new firehose.LambdaFunctionProcessor(props.processorFunction) : undefined;
  const processors: firehose.IDataProcessor[] = partitioning ? [
    // The poller packs up to 500 JSON lines per Firehose record; split them, so each record is
    // partitioned on its own values.
    firehose.RecordDeAggregationProcessor.json(),
    ...(userProcessor ? [userProcessor] : []),
    firehose.MetadataExtractionProcessor.jq16(partitioning._queriesFor(props.rowColumns, synthError)),
    // Deaggregated records lose their newline; put it back, so objects stay JSON lines (Parquet
    // conversion reads the JSON objects and needs none).
    ...(conversion ? [] : [new firehose.AppendDelimiterToRecordProcessor()]),
  ] : userProcessor ? [userProcessor] : [];
  const iceberg = props.icebergTable ? new IcebergDestination({
    bucket: props.bucket,
    tableFolder: props.icebergTable.lakeFormation ? undefined : fixedFolder(dataOutputPrefix),
    lakeFormation: props.icebergTable.lakeFormation,
    errorOutputPrefix,
    databaseName: props.icebergTable.databaseName,
    tableName: props.icebergTable.tableName,
    bufferingInterval: interval,
    bufferingSize: size,
    logGroup: deliveryLogGroup,
    processorFunction: props.processorFunction,
  }) : undefined;
  const backupPrefix = `backups/${feedFolder(props.feed)}`;
  const http = props.httpEndpoint ? new firehose.HttpEndpoint({
    endpointConfig: { url: props.httpEndpoint.url, secret: props.httpEndpoint.accessKey, name: props.httpEndpoint.name },
    backupMode: firehose.HttpBackupMode.FAILED,
    requestCompression: firehose.HttpCompression.GZIP,
    bufferingHints: { interval, size },
    retryOptions: props.httpEndpoint.retryDuration ? { duration: props.httpEndpoint.retryDuration } : undefined,
    loggingConfig: new firehose.EnableLogging(deliveryLogGroup),
    processors: processors.length > 0 ? processors : undefined,
    // What the endpoint did not accept, kept in the feed's bucket (under the backup and error folders only).
    s3Backup: {
      bucket: deliveryView(props.bucket, [backupPrefix, errorOutputPrefix]),
      dataOutputPrefix: `${backupPrefix}${FIREHOSE_TIME_FOLDERS}`,
      errorOutputPrefix,
      compression: firehose.Compression.GZIP,
      encryptionKey: props.bucket.encryptionKey,
      loggingConfig: new firehose.EnableLogging(deliveryLogGroup),
    },
  }) : undefined;
  const objects = deliveryView(props.bucket, [dataOutputPrefix, errorOutputPrefix]);
  const destination: firehose.IDestination = iceberg ?? http ?? new firehose.S3Bucket(objects, {
    // With conversion, the Parquet serializer compresses; Firehose refuses a second compression.
    compression: conversion ? undefined : props.compression ?? firehose.Compression.GZIP,
    dataFormatConversion: conversion,
    dataOutputPrefix,
    errorOutputPrefix,
    bufferingInterval: interval,
    bufferingSize: size,
    // Objects are written with the bucket's own key when it has one (also for imported buckets).
    encryptionKey: props.bucket.encryptionKey,
    loggingConfig: new firehose.EnableLogging(deliveryLogGroup),
    processors: processors.length > 0 ? processors : undefined,
    dynamicPartitioning: partitioning ? { enabled: true, retryDuration: partitioning._retryDuration } : undefined,
  });
  const deliveryStream = new firehose.DeliveryStream(scope, 'DeliveryStream', {
    encryption: props.encryptionKey
      ? firehose.StreamEncryption.customerManagedKey(props.encryptionKey)
      : firehose.StreamEncryption.awsOwnedKey(),
    destination,
  });
  if (props.processorFunction) {
    acknowledgeFindings(deliveryStream, [`AwsSolutions-IAM5[${nagResource(scope, `${props.processorFunction.functionArn}:*`)}]`],
      'lambda:InvokeFunction on the processorFunction and its versions/aliases (function:NAME:*), granted by aws-cdk-lib\'s LambdaFunctionProcessor; no other function.');
  }
  if (props.encryptionKey) {
    acknowledgeFindings(deliveryStream, ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]'],
      'aws-cdk-lib grants Firehose kms:GenerateDataKey* and kms:ReEncrypt* on the stream\'s own key, to encrypt the records it buffers; no other key.');
  }
  // Objects only under the feed's own data and error folders: a wildcard within each folder is
  // what writing time-partitioned keys needs.
  // The folders Firehose writes: the data (or, for an HTTP endpoint, the backup) and the errors.
  const written = [props.httpEndpoint ? backupPrefix : dataOutputPrefix, errorOutputPrefix];
  acknowledgeFindings(deliveryStream,
    [...new Set(written.map((prefix) => `AwsSolutions-IAM5[${nagResource(scope, props.bucket.arnForObjects(`${fixedFolder(prefix)}*`))}]`))],
    props.icebergTable
      ? 'Firehose writes the Iceberg table\'s data and metadata files under the table\'s folder (the feed\'s; s3:DeleteObject there only, for Iceberg\'s own files) and failed records under the feed\'s error folder; no other folder.'
      : 'Firehose writes time-partitioned object keys under the feed\'s own data and error folders of its bucket (s3:PutObject, s3:GetObject, s3:AbortMultipartUpload, as AWS documents for an S3 destination); no other folder, no delete.');
  if (props.icebergTable?.lakeFormation) {
    acknowledgeFindings(deliveryStream, ['AwsSolutions-IAM5[Resource::*]'],
      'lakeformation:GetDataAccess supports no resource-level permission; Lake Formation vends credentials only for the table it granted the role.');
  }
  return { deliveryStream, dataOutputPrefix, errorOutputPrefix, icebergRole: iceberg?.role };
}

/** What Firehose's Iceberg destination does not have: dynamic partitioning, a compression of S3 objects. */
function checkIceberg(props: FeedDeliveryStreamProps, synthError: (message: string) => never): void {
  if (props.dynamicPartitioning) {
    synthError('dynamicPartitioning is for S3 objects: Firehose\'s Iceberg destination writes into the table, which queries filter by column. Remove dynamicPartitioning');
  }
  if (props.compression) {
    synthError('compression is for JSON lines: Iceberg writes Parquet data files of its own. Remove compression');
  }
}

/** What Firehose's HTTP endpoint destination does not have: dynamic partitioning, a compression of S3 objects. */
function checkHttpEndpoint(props: FeedDeliveryStreamProps, synthError: (message: string) => never): void {
  if (props.dynamicPartitioning) {
    synthError('dynamicPartitioning is for S3 objects: Firehose allows it only with an S3 destination. Remove dynamicPartitioning, or deliver to S3');
  }
  if (props.compression) {
    synthError('compression is for S3 objects: Firehose GZIP-compresses the requests to the HTTP endpoint. Remove compression');
  }
  if (!Token.isUnresolved(props.httpEndpoint!.url) && !/^https:\/\//.test(props.httpEndpoint!.url)) {
    synthError(`Destination.httpEndpoint() url '${props.httpEndpoint!.url}' must be an https:// URL: Firehose delivers over HTTPS only`);
  }
}

function checkPrefixes(data: string, error: string, partitioning: DynamicPartitioning | undefined, synthError: (message: string) => never): void {
  for (const [name, prefix] of [['dataOutputPrefix', data], ['errorOutputPrefix', error]]) {
    if (prefix.length === 0 || prefix.length > PREFIX_MAX_LENGTH) {
      synthError(`${name} must be 1-${PREFIX_MAX_LENGTH} characters (got ${prefix.length})`);
    }
    if (prefix.startsWith('/')) {
      synthError(`${name} '${prefix}' starts with '/'; S3 keys would begin with an empty folder. Remove the leading '/'`);
    }
    if (prefix.startsWith(DEAD_LETTER_FOLDER)) {
      synthError(`${name} '${prefix}' is inside ${DEAD_LETTER_FOLDER}, where the poller keeps oversized dead letters; choose another prefix`);
    }
  }
  if (!error.includes('!{firehose:error-output-type}') && error.includes('!{')) {
    synthError(`errorOutputPrefix '${error}' uses expressions, so Firehose requires it to include !{firehose:error-output-type}`);
  }
  if (error.includes('!{partitionKeyFrom')) {
    synthError(`errorOutputPrefix '${error}' uses a partition key; Firehose allows them only in dataOutputPrefix`);
  }
  const used = [...data.matchAll(/!\{partitionKeyFromQuery:([^}]*)\}/g)].map((match) => match[1]);
  if (!partitioning && used.length > 0) {
    synthError(`dataOutputPrefix '${data}' uses partition keys (${used.join(', ')}) but dynamicPartitioning is not set; set dynamicPartitioning, or remove them from the prefix`);
  }
  if (partitioning) {
    const missing = partitioning._keys.filter((key) => !used.includes(key));
    if (missing.length > 0) {
      synthError(`dataOutputPrefix '${data}' does not use the dynamic partition key(s) ${missing.join(', ')}; add ${missing.map((key) => `!{partitionKeyFromQuery:${key}}`).join(', ')} to it`);
    }
    const unknown = used.filter((key) => !partitioning._keys.includes(key));
    if (unknown.length > 0) {
      synthError(`dataOutputPrefix '${data}' uses partition key(s) ${unknown.join(', ')} that dynamicPartitioning does not define`);
    }
  }
}
