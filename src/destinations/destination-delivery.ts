/**
 * What the construct's delivery stream needs of its destination: the props the stream's
 * destination takes, checked against what AWS refuses, and what the destination must have
 * outside the stack (the OpenSearch index template and pipeline, the Redshift table's DDL),
 * generated from the spec's schema.
 */
import { Token } from 'aws-cdk-lib';
import { Destination, DestinationKind } from './destination';
import { IndexRotation, OpenSearchDocumentId } from './opensearch';
import { indexNameProblem, indexTemplate, recordIdPipeline, recordIdPipelineName } from './opensearch-index-template';
import { copyColumns, copyOptionsProblem, DEFAULT_COPY_OPTIONS, quotedTableName, redshiftSchemaProblems, redshiftTableDdl, tableNameProblem } from './redshift-table';
import type { FeedDeliveryStreamProps } from '../delivery/feed-delivery-stream';
import type { RecordSchemaSpec } from '../feed-spec/record-schema';

export interface DestinationDelivery {
  readonly stream: Pick<FeedDeliveryStreamProps, 'httpEndpoint' | 'openSearch' | 'redshift'>;
  /** OpenSearch: the index template for the feed's indices (JSON). */
  readonly indexTemplate?: string;
  /** OpenSearch domain: the ingest pipeline that makes `record_id` the document id (JSON), and its name. */
  readonly ingestPipeline?: { readonly name: string; readonly body: string };
  /** Redshift: the table's DDL. */
  readonly tableDdl?: string;
  /** Firehose sends each record to OpenSearch as one document: the poller must not pack lines. */
  readonly documentPerRecord: boolean;
}

export function destinationDelivery(destination: Destination, feed: string, schema: RecordSchemaSpec | undefined,
  synthError: (message: string) => never): DestinationDelivery {
  switch (destination.kind) {
    case DestinationKind.S3:
      return { stream: {}, documentPerRecord: false };
    case DestinationKind.HTTP_ENDPOINT:
      return { stream: { httpEndpoint: destination._httpEndpoint }, documentPerRecord: false };
    case DestinationKind.OPENSEARCH:
    case DestinationKind.OPENSEARCH_SERVERLESS:
      return openSearchDelivery(destination, feed, schema, synthError);
    case DestinationKind.REDSHIFT:
      return redshiftDelivery(destination, schema, synthError);
  }
}

function openSearchDelivery(destination: Destination, feed: string, schema: RecordSchemaSpec | undefined,
  synthError: (message: string) => never): DestinationDelivery {
  const domain = destination._openSearch;
  const serverless = destination._openSearchServerless;
  const factory = domain ? 'Destination.openSearch()' : 'Destination.openSearchServerless()';
  const props = (domain ?? serverless)!;
  const problem = Token.isUnresolved(props.indexName) ? undefined : indexNameProblem(props.indexName);
  if (problem) synthError(`${factory} indexName '${props.indexName}' ${problem}`);
  if (props.vpc === undefined && (props.vpcSubnets || props.securityGroups)) {
    synthError(`${factory} vpcSubnets and securityGroups are for delivery into a VPC: set vpc as well, or remove them`);
  }
  if (serverless && !Token.isUnresolved(serverless.collectionEndpoint) && !/^https:\/\//.test(serverless.collectionEndpoint)) {
    synthError(`Destination.openSearchServerless() collectionEndpoint '${serverless.collectionEndpoint}' must be the collection's https:// endpoint (CfnCollection.attrCollectionEndpoint)`);
  }
  const rotation = domain?.indexRotation ?? IndexRotation.ONE_DAY;
  // Ingest pipelines exist on domains only; a collection's documents keep OpenSearch's ids.
  const pipeline = domain ? { name: recordIdPipelineName(feed), body: JSON.stringify(recordIdPipeline(feed)) } : undefined;
  return {
    stream: {
      openSearch: {
        indexName: props.indexName,
        retryDuration: props.retryDuration,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        securityGroups: props.securityGroups,
        ...(domain ? {
          domain: domain.domain,
          indexRotation: rotation,
          documentId: domain.documentId ?? OpenSearchDocumentId.FIREHOSE_DEFAULT,
        } : {
          collection: { name: serverless!.collectionName, arn: serverless!.collectionArn, endpoint: serverless!.collectionEndpoint },
        }),
      },
    },
    indexTemplate: JSON.stringify(indexTemplate({
      indexName: props.indexName, rotated: domain !== undefined && rotation !== IndexRotation.NO_ROTATION, schema, pipeline: pipeline?.name,
    })),
    ingestPipeline: pipeline,
    documentPerRecord: true,
  };
}

function redshiftDelivery(
  destination: Destination, schema: RecordSchemaSpec | undefined, synthError: (message: string) => never,
): DestinationDelivery {
  const props = destination._redshift!;
  const tableProblem = tableNameProblem(props.tableName);
  if (tableProblem) synthError(`Destination.redshift() tableName '${props.tableName}' ${tableProblem}`);
  const schemaProblems = redshiftSchemaProblems(schema);
  if (schemaProblems.length > 0) synthError(`Destination.redshift() cannot hold the feed's rows: ${schemaProblems.join('; ')}`);
  const copyOptions = props.copyOptions ?? DEFAULT_COPY_OPTIONS;
  const optionsProblem = copyOptionsProblem(copyOptions);
  if (optionsProblem) synthError(`Destination.redshift() copyOptions "${copyOptions}" ${optionsProblem}`);
  if (!Token.isUnresolved(props.database) && !/^[a-z_][a-z0-9_$]{0,63}$/.test(props.database)) {
    synthError(`Destination.redshift() database '${props.database}' must be 1-64 lowercase letters, digits, "_" or "$", starting with a letter or "_"`);
  }
  const { endpointAddress, port } = props.target;
  return {
    stream: {
      redshift: {
        jdbcUrl: `jdbc:redshift://${endpointAddress}:${port}/${props.database}`,
        tableName: quotedTableName(props.tableName),
        columns: copyColumns(schema),
        copyOptions,
        credentials: props.credentials,
        retryDuration: props.retryDuration,
        backup: props.backup,
      },
    },
    tableDdl: redshiftTableDdl(props.tableName, schema),
    documentPerRecord: false,
  };
}
