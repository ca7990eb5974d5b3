import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';

/** How often Firehose starts a new index (it appends the period to the index name). */
export enum IndexRotation {
  /** One index, `INDEX`. */
  NO_ROTATION = 'NoRotation',
  /** `INDEX-2026-12-02-07`. */
  ONE_HOUR = 'OneHour',
  /** `INDEX-2026-12-02`. */
  ONE_DAY = 'OneDay',
  /** `INDEX-2026-w49`. */
  ONE_WEEK = 'OneWeek',
  /** `INDEX-2026-12`. */
  ONE_MONTH = 'OneMonth',
}

/**
 * How documents get their id. Firehose offers only these two: it cannot take an id from the
 * record. The index template this construct generates sets `_id` from the envelope's `record_id`
 * in an ingest pipeline, so that a record fetched twice overwrites itself (domains only).
 */
export enum OpenSearchDocumentId {
  /** Firehose generates an id per record, stable across its own delivery retries. */
  FIREHOSE_DEFAULT = 'FIREHOSE_DEFAULT',
  /** OpenSearch generates ids: less work for the domain, but a retried delivery may duplicate. */
  NO_DOCUMENT_ID = 'NO_DOCUMENT_ID',
}

/** Where Firehose reaches an OpenSearch domain or collection that is in a VPC. */
export interface OpenSearchVpcDeliveryProps {
  /**
   * The VPC of the domain or collection: Firehose creates network interfaces in its subnets.
   *
   * @default - the public endpoint
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets Firehose's network interfaces are in.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of Firehose's network interfaces.
   *
   * @default - a new group allowing HTTPS out to the VPC's CIDR (and into an owned domain)
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** Properties of `Destination.openSearch()`. */
export interface OpenSearchDestinationProps extends OpenSearchVpcDeliveryProps {
  /**
   * The Amazon OpenSearch Service domain. For a domain this stack owns, the construct adds the
   * statements Firehose needs to the domain's access policy; for an imported one it exposes them
   * (`ApiToFirehoseIngestion.destinationAccessStatements`) for the domain's owner to add.
   */
  readonly domain: opensearch.IDomain;

  /** The index name (1-80 characters, lowercase); Firehose appends the rotation's period. */
  readonly indexName: string;

  /**
   * How often Firehose starts a new index.
   *
   * @default IndexRotation.ONE_DAY
   */
  readonly indexRotation?: IndexRotation;

  /**
   * How Firehose sets documents' ids.
   *
   * @default OpenSearchDocumentId.FIREHOSE_DEFAULT
   */
  readonly documentId?: OpenSearchDocumentId;

  /**
   * How long Firehose retries a bulk request the domain refused, before the documents go to the
   * S3 backup (0 to 7200 seconds).
   *
   * @default Duration.seconds(300)
   */
  readonly retryDuration?: Duration;
}

/** Properties of `Destination.openSearchServerless()`. */
export interface OpenSearchServerlessDestinationProps extends OpenSearchVpcDeliveryProps {
  /** The collection's name (its data access policy names it). */
  readonly collectionName: string;

  /** The collection's ARN (`CfnCollection.attrArn`). */
  readonly collectionArn: string;

  /** The collection's endpoint, `https://ID.REGION.aoss.amazonaws.com` (`CfnCollection.attrCollectionEndpoint`). */
  readonly collectionEndpoint: string;

  /** The index name (1-80 characters, lowercase). Collections have no index rotation. */
  readonly indexName: string;

  /**
   * How long Firehose retries a bulk request the collection refused, before the documents go
   * to the S3 backup (0 to 7200 seconds).
   *
   * @default Duration.seconds(300)
   */
  readonly retryDuration?: Duration;
}
