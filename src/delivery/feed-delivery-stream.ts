/**
 * The feed's Firehose delivery stream to S3: prefixes, buffering, compression, encryption and
 * optional dynamic partitioning, each checked against Firehose's limits before CloudFormation
 * sees them.
 */
import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { BUCKET_ACTIONS, OBJECT_ACTIONS } from './destination-role';
import { DynamicPartitioning } from './dynamic-partitioning';
import { FeedDeliveryOptions } from './feed-delivery-options';
import { IcebergDestination } from './iceberg-destination';
import { OpenSearchDeliveryProps, OpenSearchDestination } from './opensearch-destination';
import { fixedFolder } from './prefixes';
import { RedshiftDeliveryProps, RedshiftDestination } from './redshift-destination';
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
  /** Deliver to this OpenSearch domain or collection (`Destination.openSearch()`, `.openSearchServerless()`). */
  readonly openSearch?: Omit<OpenSearchDeliveryProps, keyof DeliveryCommon | 'backupPrefix'>;
  /** Deliver to this Redshift table (`Destination.redshift()`), through the bucket and COPY. */
  readonly redshift?: Omit<RedshiftDeliveryProps, keyof DeliveryCommon | 'dataOutputPrefix' | 'backupPrefix'> & { readonly backup?: boolean };
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: (message: string) => never;
}

/** What the construct gives every destination of the L1 kind. */
interface DeliveryCommon {
  readonly bucket: s3.IBucket;
  readonly errorOutputPrefix: string;
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly logGroup: logs.ILogGroup;
  readonly processorFunction?: lambda.IFunction;
}


export interface FeedDeliveryStream {
  readonly deliveryStream: firehose.DeliveryStream;
  /** The role Firehose writes an Iceberg table with. */
  readonly icebergRole?: iam.IRole;
  /** For an OpenSearch domain: the statements its access policy needs (added to a domain the stack owns). */
  readonly accessStatements: iam.PolicyStatement[];
  readonly dataOutputPrefix: string;
  readonly errorOutputPrefix: string;
}

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
  // With event time, the time folders are among the dynamic keys (last), in place of the arrival time's.
  return `${feedFolder(feed)}${dynamicPartitioning?._prefixLevels() ?? ''}${dynamicPartitioning?._eventTime ? '' : FIREHOSE_TIME_FOLDERS}`;
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
  // Buffering limits (0-900 s, 1-128 MiB, at least 60 s and 64 MiB with dynamic partitioning,
  // at least 64 MiB with format conversion) are aws-cdk-lib's to check: its DeliveryStream validates them with messages of its own.
  const interval = props.bufferingInterval ?? Duration.seconds(300);
  // OpenSearch takes bulk requests of at most 10 MiB on its smaller instance types: Firehose's own default, 5 MiB, fits every domain.
  const size = props.bufferingSize ?? (props.openSearch ? Size.mebibytes(5) : Size.mebibytes(64));
  const folders: DeliveryFolders = {
    data: props.dataOutputPrefix ?? defaultDataOutputPrefix(props.feed, props.dynamicPartitioning),
    errors: props.errorOutputPrefix ?? defaultErrorOutputPrefix(props.feed),
    backups: `backups/${feedFolder(props.feed)}`,
  };
  checkDeliveryProps(props, folders, size);

  const deliveryLogGroup = new logs.LogGroup(scope, 'DeliveryLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  skipCheckovChecks(deliveryLogGroup, [LOG_GROUP_ENCRYPTION]);
  const common: DeliveryCommon = {
    bucket: props.bucket,
    errorOutputPrefix: folders.errors,
    bufferingInterval: interval,
    bufferingSize: size,
    logGroup: deliveryLogGroup,
    processorFunction: props.processorFunction,
  };
  const { destination, iceberg, openSearch } = deliveryDestination(props, folders, common);
  const deliveryStream = new firehose.DeliveryStream(scope, 'DeliveryStream', {
    encryption: props.encryptionKey
      ? firehose.StreamEncryption.customerManagedKey(props.encryptionKey)
      : firehose.StreamEncryption.awsOwnedKey(),
    destination,
  });
  acknowledgeDeliveryFindings(scope, deliveryStream, props, folders);
  if (openSearch) acknowledgeOpenSearch(scope, deliveryStream, props.openSearch!);
  return {
    deliveryStream,
    dataOutputPrefix: folders.data,
    errorOutputPrefix: folders.errors,
    icebergRole: iceberg?.role,
    accessStatements: openSearch?.accessStatements ?? [],
  };
}

/** The folders of the feed's bucket that Firehose writes. */
interface DeliveryFolders {
  readonly data: string;
  readonly errors: string;
  /** What an HTTP endpoint, OpenSearch or Redshift (with backup) did not take, or all of it. */
  readonly backups: string;
}

/** Combinations of props Firehose refuses or would silently ignore: errors at synth that say what to change. */
function checkDeliveryProps(props: FeedDeliveryStreamProps, folders: DeliveryFolders, size: Size): void {
  const { synthError } = props;
  checkPrefixes(folders.data, folders.errors, props.dynamicPartitioning, synthError);
  if (props.icebergTable) checkIceberg(props, synthError);
  if (props.httpEndpoint) checkHttpEndpoint(props, synthError);
  if (props.openSearch || props.redshift) checkNotS3Objects(props, props.openSearch ? 'OpenSearch' : 'Redshift', synthError);
  if (props.openSearch && size.toMebibytes() > 100) {
    synthError(`bufferingSize ${size.toMebibytes()} MiB is over the 100 MiB Firehose allows for OpenSearch (and a domain takes bulk requests of 10 to 100 MiB, by instance type); set at most Size.mebibytes(100)`);
  }
  if (props.dataFormatConversion && props.compression) {
    // The stream would ignore it (the serializer compresses); say so rather than drop it.
    synthError('compression is for JSON lines: with Format.parquet() Firehose\'s Parquet serializer compresses the files. '
      + 'Remove compression and set Format.parquet({ compression: ParquetCompression.GZIP }) to choose');
  }
}

/** The record processors, in the order Firehose runs them: deaggregation, the user's processor, partition keys. */
function deliveryProcessors(props: FeedDeliveryStreamProps): firehose.IDataProcessor[] {
  const partitioning = props.dynamicPartitioning;
  const userProcessor = props.processorFunction ? new firehose.LambdaFunctionProcessor(props.processorFunction) : undefined;
  if (!partitioning) return userProcessor ? [userProcessor] : [];
  return [
    // The poller packs up to 500 JSON lines per Firehose record; split them, so each record is
    // partitioned on its own values.
    firehose.RecordDeAggregationProcessor.json(),
    ...(userProcessor ? [userProcessor] : []),
    firehose.MetadataExtractionProcessor.jq16(partitioning._queriesFor(props.rowColumns, props.synthError)),
    // Deaggregated records lose their newline; put it back, so objects stay JSON lines (Parquet
    // conversion reads the JSON objects and needs none).
    ...(props.dataFormatConversion ? [] : [new firehose.AppendDelimiterToRecordProcessor()]),
  ];
}

/** Where the stream delivers: an Iceberg table, an HTTP endpoint, OpenSearch, Redshift, or S3 objects. */
function deliveryDestination(props: FeedDeliveryStreamProps, folders: DeliveryFolders, common: DeliveryCommon) {
  const processors = deliveryProcessors(props);
  const backupPrefix = `${folders.backups}${FIREHOSE_TIME_FOLDERS}`;
  const iceberg = props.icebergTable ? new IcebergDestination({
    bucket: props.bucket,
    tableFolder: props.icebergTable.lakeFormation ? undefined : fixedFolder(folders.data),
    lakeFormation: props.icebergTable.lakeFormation,
    errorOutputPrefix: folders.errors,
    databaseName: props.icebergTable.databaseName,
    tableName: props.icebergTable.tableName,
    bufferingInterval: common.bufferingInterval,
    bufferingSize: common.bufferingSize,
    logGroup: common.logGroup,
    processorFunction: props.processorFunction,
  }) : undefined;
  const openSearch = props.openSearch ? new OpenSearchDestination({ ...common, ...props.openSearch, backupPrefix }) : undefined;
  const redshift = props.redshift ? new RedshiftDestination({
    ...common, ...props.redshift, dataOutputPrefix: folders.data, backupPrefix: props.redshift.backup ? backupPrefix : undefined,
  }) : undefined;
  const destination: firehose.IDestination = iceberg ?? httpEndpointDestination(props, folders, common, processors) ?? openSearch ?? redshift
    ?? s3ObjectsDestination(props, folders, common, processors);
  return { destination, iceberg, openSearch };
}

/** An HTTP endpoint, with what it did not accept kept in the feed's bucket (under the backup and error folders only). */
function httpEndpointDestination(
  props: FeedDeliveryStreamProps, folders: DeliveryFolders, common: DeliveryCommon, processors: firehose.IDataProcessor[],
): firehose.IDestination | undefined {
  const endpoint = props.httpEndpoint;
  if (!endpoint) return undefined;
  return new firehose.HttpEndpoint({
    endpointConfig: { url: endpoint.url, secret: endpoint.accessKey, name: endpoint.name },
    backupMode: firehose.HttpBackupMode.FAILED,
    requestCompression: firehose.HttpCompression.GZIP,
    bufferingHints: { interval: common.bufferingInterval, size: common.bufferingSize },
    retryOptions: endpoint.retryDuration ? { duration: endpoint.retryDuration } : undefined,
    loggingConfig: new firehose.EnableLogging(common.logGroup),
    processors: processors.length > 0 ? processors : undefined,
    s3Backup: {
      bucket: deliveryView(props.bucket, [folders.backups, folders.errors]),
      dataOutputPrefix: `${folders.backups}${FIREHOSE_TIME_FOLDERS}`,
      errorOutputPrefix: folders.errors,
      compression: firehose.Compression.GZIP,
      encryptionKey: props.bucket.encryptionKey,
      loggingConfig: new firehose.EnableLogging(common.logGroup),
    },
  });
}

/** JSON lines (or Parquet) objects under the feed's data folder. */
function s3ObjectsDestination(
  props: FeedDeliveryStreamProps, folders: DeliveryFolders, common: DeliveryCommon, processors: firehose.IDataProcessor[],
): firehose.IDestination {
  const conversion = props.dataFormatConversion;
  const partitioning = props.dynamicPartitioning;
  return new firehose.S3Bucket(deliveryView(props.bucket, [folders.data, folders.errors]), {
    // With conversion, the Parquet serializer compresses; Firehose refuses a second compression.
    compression: conversion ? undefined : props.compression ?? firehose.Compression.GZIP,
    dataFormatConversion: conversion,
    dataOutputPrefix: folders.data,
    errorOutputPrefix: folders.errors,
    bufferingInterval: common.bufferingInterval,
    bufferingSize: common.bufferingSize,
    // Objects are written with the bucket's own key when it has one (also for imported buckets).
    encryptionKey: props.bucket.encryptionKey,
    loggingConfig: new firehose.EnableLogging(common.logGroup),
    processors: processors.length > 0 ? processors : undefined,
    dynamicPartitioning: partitioning ? { enabled: true, retryDuration: partitioning._retryDuration } : undefined,
  });
}

/** cdk-nag findings on the stream's role that its grants cause, each with why it is the least it can be. */
function acknowledgeDeliveryFindings(
  scope: Construct, deliveryStream: firehose.DeliveryStream, props: FeedDeliveryStreamProps, folders: DeliveryFolders,
): void {
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
  const written = [
    ...(props.httpEndpoint || props.openSearch ? [] : [folders.data]),
    ...(props.httpEndpoint || props.openSearch || props.redshift?.backup ? [folders.backups] : []),
    folders.errors,
  ];
  acknowledgeFindings(deliveryStream,
    [...new Set(written.map((prefix) => `AwsSolutions-IAM5[${nagResource(scope, props.bucket.arnForObjects(`${fixedFolder(prefix)}*`))}]`))],
    props.icebergTable
      ? 'Firehose writes the Iceberg table\'s data and metadata files under the table\'s folder (the feed\'s; s3:DeleteObject there only, for Iceberg\'s own files) and failed records under the feed\'s error folder; no other folder.'
      : 'Firehose writes time-partitioned object keys under the feed\'s own data and error folders of its bucket (s3:PutObject, s3:GetObject, s3:AbortMultipartUpload, as AWS documents for an S3 destination); no other folder, no delete.');
  if (props.icebergTable?.lakeFormation) {
    acknowledgeFindings(deliveryStream, ['AwsSolutions-IAM5[Resource::*]'],
      'lakeformation:GetDataAccess supports no resource-level permission; Lake Formation vends credentials only for the table it granted the role.');
  }
  if (props.redshift) {
    acknowledgeFindings(deliveryStream, ['AwsSolutions-SMG4'],
      'The Redshift user\'s credentials are the user\'s secret: its rotation is configured where the secret is created, not by the feed.');
  }
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

/** The wildcards AWS documents for an OpenSearch destination, each acknowledged with what it covers. */
function acknowledgeOpenSearch(scope: Construct, deliveryStream: firehose.DeliveryStream, props: NonNullable<FeedDeliveryStreamProps['openSearch']>): void {
  if (props.domain) {
    const arn = props.domain.domainArn;
    acknowledgeFindings(deliveryStream, [`AwsSolutions-IAM5[${nagResource(scope, `${arn}/*`)}]`],
      'es:ESHttpPost/ESHttpPut on the domain\'s paths, as AWS documents for a Firehose OpenSearch destination: Firehose posts _bulk requests at the domain\'s root; this domain only.');
    acknowledgeFindings(deliveryStream, [
      `AwsSolutions-IAM5[${nagResource(scope, `${arn}/${props.indexName}*/_mapping/*`)}]`,
      `AwsSolutions-IAM5[${nagResource(scope, `${arn}/${props.indexName}*/_stats`)}]`,
      `AwsSolutions-IAM5[${nagResource(scope, `${arn}/_nodes/*/stats`)}]`,
    ], 'es:ESHttpGet on the statistics and mappings Firehose reads, for the feed\'s own (rotated) indices only.');
  }
  if (props.vpc) {
    acknowledgeFindings(deliveryStream, ['AwsSolutions-IAM5[Resource::*]'],
      'Firehose\'s VPC delivery creates and describes its network interfaces; the EC2 Describe and CreateNetworkInterface actions take no resource-level permission (AWS\'s documented policy).');
  }
}

/** What Firehose's OpenSearch and Redshift destinations do not have: dynamic partitioning, a compression of S3 objects. */
function checkNotS3Objects(props: FeedDeliveryStreamProps, name: string, synthError: (message: string) => never): void {
  if (props.dynamicPartitioning) {
    synthError(`dynamicPartitioning is for S3 objects: Firehose allows it only with an S3 destination, not ${name}. Remove dynamicPartitioning`);
  }
  if (props.compression) {
    synthError(`compression is for S3 objects: with ${name} Firehose ${name === 'Redshift' ? 'GZIP-compresses the files it COPYs from' : 'sends documents uncompressed'}. Remove compression`);
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
