/**
 * The feed's Glue table for `Format.parquet()`: its columns from the spec's schema (after the
 * envelope's), its partition keys and partition projection from the S3 prefix Firehose writes,
 * so Athena finds every object without a crawler or `MSCK REPAIR`.
 */
import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3tables from 'aws-cdk-lib/aws-s3tables';
import type { Construct } from 'constructs';
import type { IcebergFormatOptions, ParquetFormatOptions } from './format';
import { COLUMN_NAME, ColumnSpec, RecordSchemaSpec, rowColumnSpecs } from '../feed-spec/record-schema';

/** The first year the `year` partition projects; objects are keyed by delivery time, never earlier. */
const FIRST_YEAR = 2024;
const LAST_YEAR = 2099;

/** The Glue (Hive) type of a column of the schema; the local Parquet writer uses the same mapping. */
export function glueType(column: ColumnSpec): glue.Type {
  switch (column.type) {
    case 'string':
    case 'json':
      return glue.Schema.STRING;
    case 'integer':
      return glue.Schema.BIG_INT;
    case 'number':
      return glue.Schema.DOUBLE;
    case 'boolean':
      return glue.Schema.BOOLEAN;
    case 'timestamp':
      return glue.Schema.TIMESTAMP;
    case 'date':
      return glue.Schema.DATE;
    case 'struct':
      return glue.Schema.struct(Object.entries(column.fields ?? {}).map(([name, field]) => ({ name, type: glueType(field) })));
    case 'array':
      return glue.Schema.array(glueType(column.items!));
  }
}

/** The table's columns: a row's (the envelope's, the schema's, `extra_fields` under `evolve`). */
export function tableColumns(schema: RecordSchemaSpec): glue.Column[] {
  return rowColumnSpecs(schema).map(([name, column]) => ({ name, type: glueType(column) }));
}

/** How a `NAME=EXPRESSION/` folder of the prefix is projected. */
const TIME_FOLDERS: Record<string, { min: number; max: number; digits?: number }> = {
  '!{timestamp:yyyy}': { min: FIRST_YEAR, max: LAST_YEAR },
  '!{timestamp:MM}': { min: 1, max: 12, digits: 2 },
  '!{timestamp:dd}': { min: 1, max: 31, digits: 2 },
  '!{timestamp:HH}': { min: 0, max: 23, digits: 2 },
};

export interface PrefixPartitions {
  readonly keys: glue.Column[];
  readonly projection: glue.PartitionProjection;
  /** `storage.location.template`: the prefix with `${key}` for each expression. */
  readonly locationTemplate: string;
}

/**
 * The partition keys of a prefix such as `feed=x/country=!{partitionKeyFromQuery:country}/year=!{timestamp:yyyy}/…`:
 * each folder after the fixed ones must be `NAME=EXPRESSION`, where the expression is a
 * `!{timestamp:yyyy|MM|dd|HH}` or a dynamic partition key.
 */
/**
 * The years an event time folder is projected over: wider than arrival time's (a backfill reaches
 * back), and still few enough hour partitions for Athena to enumerate.
 */
const EVENT_FIRST_YEAR = 2000;

/** An event time folder (`TimePartitioning.eventTime()`): a dynamic key, projected as the time folders are. */
const EVENT_TIME_FOLDERS: Record<string, { min: number; max: number; digits?: number }> = {
  year: { min: EVENT_FIRST_YEAR, max: LAST_YEAR },
  month: TIME_FOLDERS['!{timestamp:MM}'],
  day: TIME_FOLDERS['!{timestamp:dd}'],
  hour: TIME_FOLDERS['!{timestamp:HH}'],
};

/**
 * @param eventTime the time folders are dynamic keys from each row's event time
 *   (`year=!{partitionKeyFromQuery:year}`…): integers like arrival time's, over a wider range of years
 */
export function prefixPartitions(bucketName: string, prefix: string, synthError: (message: string) => never, eventTime = false): PrefixPartitions {
  const keys: glue.Column[] = [];
  const projection: glue.PartitionProjection = {};
  const template = prefix.split('/').map((folder) => {
    if (!folder.includes('!{')) return folder;
    const match = /^([a-z_][a-z0-9_]*)=(!\{[^}]+\})$/.exec(folder);
    const time = match ? TIME_FOLDERS[match[2]] : undefined;
    const dynamicKey = match ? /^!\{partitionKeyFromQuery:([^}]+)\}$/.exec(match[2])?.[1] : undefined;
    if (!match || (!time && !dynamicKey)) {
      synthError('Format.parquet() projects the table\'s partitions from dataOutputPrefix, whose folders must each be NAME=EXPRESSION with '
        + 'NAME in lowercase and EXPRESSION one of !{timestamp:yyyy}, !{timestamp:MM}, !{timestamp:dd}, !{timestamp:HH} or !{partitionKeyFromQuery:KEY}; '
        + `'${folder}' is not. Use the default prefix, or such folders`);
    }
    const name = match[1];
    const eventFolder = eventTime && dynamicKey !== undefined && dynamicKey === name ? EVENT_TIME_FOLDERS[name] : undefined;
    if (time ?? eventFolder) {
      keys.push({ name, type: glue.Schema.INTEGER });
      projection[name] = glue.PartitionProjectionConfiguration.integer((time ?? eventFolder)!);
    } else {
      keys.push({ name, type: glue.Schema.STRING });
      // Athena needs the value in the query (WHERE name = '…'): the values are the records'.
      projection[name] = glue.PartitionProjectionConfiguration.injected();
    }
    return `${name}=\${${name}}`;
  });
  return { keys, projection, locationTemplate: `s3://${bucketName}/${template.join('/')}` };
}

export interface FeedTableProps {
  readonly feed: string;
  readonly schema: RecordSchemaSpec;
  readonly bucket: s3.IBucket;
  /** The fixed folder of the feed's data, the table's location. */
  readonly dataRoot: string;
  readonly dataOutputPrefix: string;
  /** The time folders follow each row's event time (dynamic keys), not its arrival. */
  readonly eventTime?: boolean;
  readonly options: ParquetFormatOptions;
  readonly synthError: (message: string) => never;
}

export interface FeedTable {
  readonly database: glue.IDatabase;
  readonly table: glue.S3Table;
}

/** The table's name: the option, or the feed name with `_` for `-`; checked against what Athena reads unquoted. */
function tableNameOf(format: string, feed: string, tableName: string | undefined, synthError: (message: string) => never): string {
  const name = tableName ?? feed.replace(/-/g, '_');
  if (!COLUMN_NAME.test(name)) {
    synthError(`${format} tableName '${name}' is not a name Athena accepts unquoted: lowercase letters, digits and '_', starting with a letter or '_'`);
  }
  return name;
}

/**
 * The feed's Glue database: the one given, checked against what Athena can query (a name with
 * `-` or capitals makes every query fail or need quoting), or a new one named by CDK (lowercase
 * letters and digits).
 */
function databaseOf(
  scope: Construct, format: string, feed: string, given: glue.IDatabase | undefined, synthError: (message: string) => never,
): glue.IDatabase {
  if (given) {
    // A database of the same app names itself in its resource (its databaseName is a reference).
    const child = given.node.defaultChild;
    const owned = child instanceof glue.CfnDatabase ? (child.databaseInput as glue.CfnDatabase.DatabaseInputProperty).name : undefined;
    const name = owned ?? given.databaseName;
    if (typeof name === 'string' && !Token.isUnresolved(name) && !/^[a-z0-9][a-z0-9_]{0,254}$/.test(name)) {
      synthError(`${format} database '${name}' is not a database name Athena can query: use 1-255 lowercase letters, digits and '_', `
        + `starting with a letter or digit (for example '${name.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^_+/, '') || 'lake'}')`);
    }
    return given;
  }
  return new glue.Database(scope, 'Database', { description: `Tables of the cdk-api-ingestion feed ${feed}` });
}

/** Creates the feed's database (unless given) and table in `scope` (ids `Database` and `Table`). */
export function createFeedTable(scope: Construct, props: FeedTableProps): FeedTable {
  const tableName = tableNameOf('Format.parquet()', props.feed, props.options.tableName, props.synthError);
  const partitions = prefixPartitions(props.bucket.bucketName, props.dataOutputPrefix, props.synthError, props.eventTime);
  const columns = tableColumns(props.schema);
  for (const key of partitions.keys) {
    if (columns.some((column) => column.name === key.name)) {
      props.synthError(`the partition key '${key.name}' of dataOutputPrefix is also a column of the table, and Glue needs distinct names: `
        + `rename the key (DynamicPartitioning.byRecordFields({ ${key.name}_key: ... }) and its folder), or the column`);
    }
  }
  const database = databaseOf(scope, 'Format.parquet()', props.feed, props.options.database, props.synthError);
  const table = new glue.S3Table(scope, 'Table', {
    database,
    tableName,
    description: `Rows of the cdk-api-ingestion feed ${props.feed}, delivered by Firehose as Parquet`,
    columns,
    partitionKeys: partitions.keys,
    partitionProjection: partitions.projection,
    parameters: { 'storage.location.template': partitions.locationTemplate },
    dataFormat: glue.DataFormat.PARQUET,
    storage: glue.S3TableStorage.fromBucket(props.bucket),
    s3Prefix: props.dataRoot,
  });
  return { database, table };
}

export interface IcebergTableProps {
  readonly feed: string;
  readonly schema: RecordSchemaSpec;
  readonly bucket: s3.IBucket;
  /** The fixed folder of the feed's data: the table's location. */
  readonly dataRoot: string;
  readonly options: IcebergFormatOptions;
  readonly synthError: (message: string) => never;
}

export interface IcebergTable {
  readonly database: glue.IDatabase;
  readonly table: glue.ITable;
  readonly tableName: string;
  /** The table's resource: the delivery stream depends on it (Firehose needs the table to exist for unique keys). */
  readonly resource: glue.CfnTable;
}

/**
 * Creates the feed's database (unless given) and its Iceberg table (format version 2) in `scope`
 * (ids `Database` and `Table`): Glue creates the Iceberg metadata from the table's columns (the
 * same Glue types as the Parquet table's). The table exists before the stream, as Firehose
 * requires for unique keys.
 */
export function createIcebergTable(scope: Construct, props: IcebergTableProps): IcebergTable {
  const tableName = tableNameOf('Format.iceberg()', props.feed, props.options.tableName, props.synthError);
  const database = databaseOf(scope, 'Format.iceberg()', props.feed, props.options.database, props.synthError);
  const stack = Stack.of(scope);
  const resource = new glue.CfnTable(scope, 'Table', {
    catalogId: stack.account,
    databaseName: database.databaseName,
    tableInput: {
      name: tableName,
      description: `Rows of the cdk-api-ingestion feed ${props.feed}, written by Firehose into Apache Iceberg`,
      tableType: 'EXTERNAL_TABLE',
      storageDescriptor: {
        columns: tableColumns(props.schema).map((column) => ({ name: column.name, type: column.type.inputString })),
        location: `s3://${props.bucket.bucketName}/${props.dataRoot}`,
      },
    },
    openTableFormatInput: { icebergInput: { metadataOperation: 'CREATE', version: '2' } },
  });
  const tableArn = stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database.databaseName}/${tableName}` });
  const table = glue.S3Table.fromTableAttributes(scope, 'TableRef', { tableArn, tableName });
  return { database, table, tableName, resource };
}

/** An Iceberg type (the table format's JSON form), as S3 Tables' CloudFormation takes it. */
type IcebergType = string | { type: 'struct'; fields: IcebergField[] } | { 'type': 'list'; 'element-id': number; 'element': IcebergType; 'element-required': boolean };
interface IcebergField { id: number; name: string; required: boolean; type: IcebergType }

const ICEBERG_PRIMITIVES: Record<string, string> = {
  string: 'string',
  json: 'string',
  integer: 'long',
  number: 'double',
  boolean: 'boolean',
  // The poller writes UTC instants: Iceberg's timestamp with zone.
  timestamp: 'timestamptz',
  date: 'date',
};

/**
 * The Iceberg schema of the table's columns (the envelope's, the schema's, `extra_fields` under
 * `evolve`), with field ids assigned as Iceberg assigns fresh ids: a struct's fields first, in
 * order, then what is nested in each. Every field is optional except `record_id`, the identifier.
 */
export function icebergSchema(schema: RecordSchemaSpec): { fields: IcebergField[]; identifierFieldIds: number[] } {
  let next = 1;
  const typeOf = (column: ColumnSpec): IcebergType => {
    if (column.type === 'struct') return { type: 'struct', fields: structOf(Object.entries(column.fields ?? {})) };
    if (column.type === 'array') {
      const elementId = next++;
      return { 'type': 'list', 'element-id': elementId, 'element': typeOf(column.items!), 'element-required': false };
    }
    return ICEBERG_PRIMITIVES[column.type];
  };
  const structOf = (columns: Array<[string, ColumnSpec]>, topLevel = false): IcebergField[] => {
    const ids = columns.map(() => next++);
    return columns.map(([name, column], index) => ({ id: ids[index], name, required: topLevel && name === 'record_id', type: typeOf(column) }));
  };
  const fields = structOf(rowColumnSpecs(schema), true);
  return { fields, identifierFieldIds: [fields.find((field) => field.name === 'record_id')!.id] };
}


/** What S3 Tables accepts as a namespace or table name. */
const S3_TABLES_NAME = /^[a-z0-9]([a-z0-9_]{0,253}[a-z0-9])?$/;

export interface S3TablesTableProps {
  readonly feed: string;
  readonly schema: RecordSchemaSpec;
  readonly tableBucketArn: string;
  readonly options: IcebergFormatOptions;
  /** Partition the table by the day of this timestamp column (`TimePartitioning.eventTime()`). @default unpartitioned */
  readonly eventTimeColumn?: string;
  readonly synthError: (message: string) => never;
}

export interface S3TablesTable {
  /** The Glue resource link to the namespace: the database Firehose and Athena name. */
  readonly linkDatabaseName: string;
  readonly tableName: string;
  readonly table: glue.ITable;
  readonly database: glue.IDatabase;
  readonly resource: s3tables.CfnTable;
  /** Grants the Firehose role what Lake Formation requires: the table, and the resource link. */
  grantWrite(role: iam.IRole): lakeformation.CfnPrincipalPermissions[];
}

/**
 * The feed's table in Amazon S3 Tables (ids `Namespace`, `Table`, `NamespaceLink`): the namespace,
 * the Iceberg table with the schema's types and `record_id` as its identifier field, and a Glue
 * resource link to the namespace, through which Firehose and Athena reach it.
 */
export function createS3TablesTable(scope: Construct, props: S3TablesTableProps): S3TablesTable {
  const tableName = tableNameOf('Format.iceberg()', props.feed, props.options.tableName, props.synthError);
  const namespaceName = props.options.namespace ?? props.feed.replace(/-/g, '_');
  for (const [what, name] of [['namespace', namespaceName], ['tableName', tableName]]) {
    if (!S3_TABLES_NAME.test(name) || name.startsWith('aws')) {
      props.synthError(`Format.iceberg() ${what} '${name}' is not a name S3 Tables accepts: 1-255 lowercase letters, digits and '_', `
        + 'starting and ending with a letter or digit, not starting with "aws"');
    }
  }
  const stack = Stack.of(scope);
  const namespace = new s3tables.CfnNamespace(scope, 'Namespace', { tableBucketArn: props.tableBucketArn, namespace: namespaceName });
  const { fields, identifierFieldIds } = icebergSchema(props.schema);
  const resource = new s3tables.CfnTable(scope, 'Table', {
    tableBucketArn: props.tableBucketArn,
    namespace: namespaceName,
    tableName,
    openTableFormat: 'ICEBERG',
    icebergMetadata: {
      icebergSchemaV2: { schemaV2FieldType: 'struct', schemaV2FieldList: fields, identifierFieldIds },
      // Iceberg's hidden partitioning by the event time's day: queries on the column prune files,
      // whatever day the rows arrived. Partition field ids start at 1000, as Iceberg numbers them.
      ...(props.eventTimeColumn ? {
        icebergPartitionSpec: {
          specId: 0,
          fields: [{ sourceId: fields.find((field) => field.name === props.eventTimeColumn)!.id, transform: 'day', name: `${props.eventTimeColumn}_day`, fieldId: 1000 }],
        },
      } : {}),
    },
  });
  resource.node.addDependency(namespace);
  const bucketName = Fn.select(1, Fn.split('/', props.tableBucketArn));
  const s3TablesCatalog = Fn.join('', [stack.account, ':s3tablescatalog/', bucketName]);
  const linkDatabaseName = `${namespaceName}_link`;
  const link = new glue.CfnDatabase(scope, 'NamespaceLink', {
    catalogId: stack.account,
    databaseInput: {
      name: linkDatabaseName,
      description: `Resource link to the S3 Tables namespace of the cdk-api-ingestion feed ${props.feed}`,
      targetDatabase: { catalogId: s3TablesCatalog, databaseName: namespaceName },
    },
  });
  link.node.addDependency(namespace);
  const database = glue.Database.fromDatabaseArn(scope, 'LinkRef', stack.formatArn({ service: 'glue', resource: 'database', resourceName: linkDatabaseName }));
  const table = glue.S3Table.fromTableAttributes(scope, 'TableRef', {
    tableArn: stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${linkDatabaseName}/${tableName}` }),
    tableName,
  });
  return {
    linkDatabaseName,
    tableName,
    table,
    database,
    resource,
    grantWrite: (role) => {
      const principal = { dataLakePrincipalIdentifier: role.roleArn };
      const onTable = new lakeformation.CfnPrincipalPermissions(scope, 'FirehoseTableGrant', {
        principal,
        resource: { table: { catalogId: s3TablesCatalog, databaseName: namespaceName, name: tableName } },
        permissions: ['SELECT', 'INSERT', 'DELETE', 'ALTER', 'DESCRIBE'],
        permissionsWithGrantOption: [],
      });
      onTable.node.addDependency(resource);
      const onLink = new lakeformation.CfnPrincipalPermissions(scope, 'FirehoseLinkGrant', {
        principal,
        resource: { database: { catalogId: stack.account, name: linkDatabaseName } },
        permissions: ['DESCRIBE'],
        permissionsWithGrantOption: [],
      });
      onLink.node.addDependency(link);
      return [onTable, onLink];
    },
  };
}
