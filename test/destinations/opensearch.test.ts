/**
 * `Destination.openSearch()` and `Destination.openSearchServerless()`: Firehose indexes one
 * document per record, backs up what the domain refused to the feed's bucket, and the construct
 * generates the index template (and, for a domain, the ingest pipeline that makes `record_id` the
 * document id) from the spec's schema.
 *
 * moto does not deliver to OpenSearch, and no OpenSearch server is installable here. What can be
 * checked for real is: the records the sink puts are single JSON documents without a newline
 * (against moto's Firehose), and the index template is checked offline against the mapping rules
 * OpenSearch applies: known field types, index patterns that match the names Firehose gives the
 * rotated indices, and every field of a row the poller writes mapped with a type its value fits.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import {
  ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Destination, DynamicPartitioning, Format, IndexRotation,
  OpenSearchDocumentId, Records,
} from '../../src';
import { withSchemaDefaults } from '../../src/feed-spec/record-schema';
import { FirehoseSink } from '../../src/runtime/sinks/firehose-sink';
import { CONFIGURATIONS, pricesIntoOwnedDomain, typedPricesSource } from '../helpers/configurations';
import { runSpec } from '../helpers/engine-harness';
import { LoopbackApi, startLoopbackApi } from '../helpers/loopback-api';
import { createStreamAndBucket, firehoseClient, readAllObjects } from '../helpers/moto-aws';
import { testStack } from '../helpers/synth';
import { quotesSpec } from '../helpers/typed-quotes';

type Resources = Record<string, any>;
const resourcesOf = (stack: Stack): Resources => Template.fromStack(stack).toJSON().Resources;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const streamOf = (resources: Resources) => ofType(resources, 'AWS::KinesisFirehose::DeliveryStream')[0][1].Properties;
const policyOf = (resources: Resources, id: string) => ofType(resources, 'AWS::IAM::Policy').find(([key]) => key.includes(id))![1];

describe('a domain in a VPC (imported), typed rows in daily indices', () => {
  const { stack, feeds: [feed] } = CONFIGURATIONS['an OpenSearch domain in a VPC, typed rows in daily indices']();
  const resources = resourcesOf(stack);
  const config = streamOf(resources).AmazonopensearchserviceDestinationConfiguration;

  test('indexes into daily indices of the domain, with Firehose\'s document ids and 5 MiB bulk requests', () => {
    expect(config).toMatchObject({
      DomainARN: 'arn:aws:es:us-east-1:123456789012:domain/social-search',
      IndexName: 'prices',
      IndexRotationPeriod: 'OneDay',
      DocumentIdOptions: { DefaultDocumentIdFormat: 'FIREHOSE_DEFAULT' },
      BufferingHints: { SizeInMBs: 5 },
      RetryOptions: { DurationInSeconds: 300 },
    });
  });

  test('only refused documents are backed up, under the feed\'s backup folder; errors under their own', () => {
    expect(config.S3BackupMode).toBe('FailedDocumentsOnly');
    expect(config.S3Configuration.Prefix).toMatch(/^backups\/feed=prices\/year=/);
    expect(config.S3Configuration.ErrorOutputPrefix).toMatch(/^errors\/feed=prices\//);
    const text = JSON.stringify(policyOf(resources, 'OpenSearchDestinationRole').Properties.PolicyDocument.Statement);
    expect(text).toMatch(/\/backups\/feed=prices\/\*"/);
    expect(text).not.toMatch(/s3:DeleteObject|s3:\*|"es:\*"|"es:ESHttp\*"/);
  });

  test('the role may post bulk requests to this domain and read only the statistics and mappings Firehose checks', () => {
    const statements = policyOf(resources, 'OpenSearchDestinationRole').Properties.PolicyDocument.Statement as any[];
    const get = statements.find((s) => s.Action === 'es:ESHttpGet');
    const paths = get.Resource.map((r: string) => r.replace('arn:aws:es:us-east-1:123456789012:domain/social-search/', ''));
    expect(paths).toEqual(['_all/_settings', '_cluster/stats', 'prices*/_mapping/*', '_nodes', '_nodes/stats', '_nodes/*/stats', '_stats', 'prices*/_stats']);
  });

  test('Firehose\'s network interfaces go in the VPC\'s private subnets, in a group that may only reach HTTPS inside the VPC', () => {
    expect(config.VpcConfiguration.SubnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2']);
    const [[groupId, group]] = ofType(resources, 'AWS::EC2::SecurityGroup');
    expect(config.VpcConfiguration.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.20.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
    const ec2Statement = policyOf(resources, 'OpenSearchDestinationRole').Properties.PolicyDocument.Statement.find((s: any) => s.Action.includes('ec2:CreateNetworkInterface'));
    expect(ec2Statement.Resource).toBe('*');
  });

  test('an imported domain\'s access policy is its owner\'s: the statements it needs are exposed, naming the delivery role', () => {
    expect(ofType(resources, 'Custom::OpenSearchAccessPolicy')).toEqual([]);
    const statements = feed.destinationAccessStatements.map((s) => Stack.of(feed).resolve(s.toStatementJson()));
    expect(statements).toHaveLength(2);
    for (const statement of statements) {
      expect(statement.Principal.AWS['Fn::GetAtt'][0]).toMatch(/^PricesDeliveryStreamOpenSearchDestinationRole/);
    }
    expect(statements[0].Action).toContain('es:ESHttpPost');
  });

  test('the poller sends one document per record: no packing of lines', () => {
    const [[, poller]] = ofType(resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('PricesPoller'));
    expect(poller.Properties.Environment.Variables.DOCUMENT_PER_RECORD).toBe('true');
  });

  test('alarms: failed bulk requests, freshness of the index, and records reaching the backup', () => {
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, alarm.Properties] as const);
    const names = alarms.map(([, p]) => p.MetricName);
    expect(names).toEqual(expect.arrayContaining(['DeliveryToAmazonOpenSearchService.DataFreshness', 'DeliveryToAmazonOpenSearchService.Success', 'BackupToS3.Records']));
    const backup = alarms.find(([, p]) => p.MetricName === 'BackupToS3.Records')![1];
    expect(backup).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  test('the index template and the pipeline that makes record_id the id are exposed for the daily indices', () => {
    const template = JSON.parse(feed.openSearchIndexTemplate!);
    expect(template.index_patterns).toEqual(['prices-*']);
    expect(template.template.settings).toEqual({ 'index.default_pipeline': 'prices-record-id' });
    expect(JSON.parse(feed.openSearchIngestPipeline!).processors).toEqual([{ set: { field: '_id', value: '{{record_id}}' } }]);
  });
});

describe('a domain this stack owns', () => {
  test('gets the statements in its access policy, and lets Firehose\'s group in on 443', () => {
    const stack = testStack();
    pricesIntoOwnedDomain(stack);
    const resources = resourcesOf(stack);
    const [[, accessPolicy]] = ofType(resources, 'Custom::OpenSearchAccessPolicy');
    const update = JSON.stringify(accessPolicy.Properties.Update);
    expect(update).toContain('es:ESHttpPost');
    expect(update).toContain('PricesDeliveryStreamOpenSearchDestinationRole');
    const ingress = ofType(resources, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    expect(ingress).toContainEqual(expect.objectContaining({
      FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^PricesDeliveryStreamOpenSearchDelivery/), 'GroupId'] },
    }));
  });
});

describe('an OpenSearch Serverless collection', () => {
  const { stack, feeds: [feed] } = CONFIGURATIONS['an OpenSearch Serverless collection']();
  const resources = resourcesOf(stack);
  const config = streamOf(resources).AmazonOpenSearchServerlessDestinationConfiguration;

  test('indexes into the collection\'s endpoint; collections have no rotation and no document id option', () => {
    expect(config).toMatchObject({ CollectionEndpoint: 'https://k1x2y3z4w5v6u7t8.us-east-1.aoss.amazonaws.com', IndexName: 'prices', S3BackupMode: 'FailedDocumentsOnly' });
    expect(config.IndexRotationPeriod).toBeUndefined();
    expect(config.DocumentIdOptions).toBeUndefined();
  });

  test('IAM lets the role call this collection; a data access policy lets it write the feed\'s indices only', () => {
    const statements = policyOf(resources, 'OpenSearchDestinationRole').Properties.PolicyDocument.Statement as any[];
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'aoss:APIAccessAll', Resource: 'arn:aws:aoss:us-east-1:123456789012:collection/k1x2y3z4w5v6u7t8',
    }));
    const [[, access]] = ofType(resources, 'AWS::OpenSearchServerless::AccessPolicy');
    expect(access.Properties.Type).toBe('data');
    expect(access.Properties.Name).toMatch(/^[a-z][a-z0-9-]{2,31}$/);
    const policy = JSON.stringify(access.Properties.Policy);
    expect(policy).toContain('index/market-data/prices*');
    expect(policy).toContain('aoss:WriteDocument');
    expect(policy).not.toMatch(/aoss:\*|DeleteIndex/);
  });

  test('no ingest pipeline (collections have none): the template maps the envelope and maps records dynamically', () => {
    expect(feed.openSearchIngestPipeline).toBeUndefined();
    const template = JSON.parse(feed.openSearchIndexTemplate!);
    expect(template.index_patterns).toEqual(['prices']);
    expect(template.template.settings).toBeUndefined();
    expect(template.template.mappings.dynamic).toBe(true);
    expect(template.template.mappings.properties.record_id).toEqual({ type: 'keyword' });
  });

  test('alarms watch the Serverless metrics', () => {
    const names = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.MetricName);
    expect(names).toEqual(expect.arrayContaining(['DeliveryToAmazonOpenSearchServerless.DataFreshness', 'DeliveryToAmazonOpenSearchServerless.Success']));
  });
});

describe('the index template, checked offline against what the poller writes', () => {
  // The field types OpenSearch 2 knows without plugins that this template may use.
  const FIELD_TYPES = new Set(['text', 'keyword', 'long', 'double', 'boolean', 'date', 'object']);
  let api: LoopbackApi;
  beforeAll(async () => {
    const quotes = [
      {
        symbol: 'ACME',
        exchange: 'XNYS',
        price: 101.25,
        volume: 1200,
        halted: false,
        ts: 1_764_662_400_123,
        trade_date: '2025-12-02',
        venue: { mic: 'XNYS', open: true },
        tags: ['tech'],
        flags: { odd_lot: true },
      },
      {
        symbol: 'OPEN',
        exchange: 'XNAS',
        price: 'n/a',
        volume: 5,
        halted: true,
        ts: 1_764_662_460_000,
        trade_date: '2025-12-02',
        venue: { mic: 'XNAS', open: false },
        tags: [],
        flags: null,
        rating: 'A',
      },
    ];
    api = await startLoopbackApi({ '/quotes': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ quotes })) });
  });
  afterAll(async () => api?.close());

  function fieldsOf(properties: Record<string, any>, prefix = ''): Array<[string, any]> {
    return Object.entries(properties).flatMap(([name, mapping]) => [
      [`${prefix}${name}`, mapping] as [string, any],
      ...(mapping.properties ? fieldsOf(mapping.properties, `${prefix}${name}.`) : []),
    ]);
  }

  /** Whether OpenSearch would index the value under the mapping without a mapping error. */
  function fits(value: unknown, mapping: any): boolean {
    if (value === null) return true;
    if (Array.isArray(value)) return value.every((item) => fits(item, mapping));
    switch (mapping.type) {
      case 'keyword':
      case 'text':
        return typeof value === 'string' || (mapping.index === false && typeof value === 'string');
      case 'long':
        return Number.isInteger(value);
      case 'double':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      case 'date':
        return typeof value === 'string' && (mapping.format === 'strict_date'
          ? /^\d{4}-\d{2}-\d{2}$/.test(value)
          : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value));
      case 'object':
        return typeof value === 'object' && Object.entries(value as object).every(([key, inner]) => !mapping.properties?.[key] || fits(inner, mapping.properties[key]));
      default:
        return false;
    }
  }

  test('every field has a known type, and every row the poller writes fits the mapping field by field', async () => {
    const spec = quotesSpec(`${api.url}/quotes`);
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Quotes', {
      source: ApiSource.fromSpec(spec),
      destination: Destination.openSearch({ domain: importedDomain(stack), indexName: 'quotes' }),
    });
    const mappings = JSON.parse(feed.openSearchIndexTemplate!).template.mappings;
    expect(mappings.dynamic).toBe(false);
    for (const [name, mapping] of fieldsOf(mappings.properties)) {
      expect([name, FIELD_TYPES.has(mapping.type)]).toEqual([name, true]);
    }
    const { sink } = await runSpec(spec);
    expect(sink.lines).toHaveLength(2);
    for (const line of sink.lines) {
      const row = JSON.parse(line);
      // Every field of the row is mapped (dynamic false would otherwise keep it out of the index silently) ...
      expect(Object.keys(row)).toEqual(Object.keys(mappings.properties));
      // ... with a type its value fits.
      for (const [name, value] of Object.entries(row)) {
        expect([name, fits(value, mappings.properties[name])]).toEqual([name, true]);
      }
    }
    // The drifted row keeps what did not fit in extra_fields, stored, not indexed.
    expect(mappings.properties.extra_fields).toEqual({ type: 'text', index: false });
    expect(JSON.parse(JSON.parse(sink.lines[1]).extra_fields)).toEqual({ rating: 'A', price: 'n/a' });
  });

  test('the index patterns match the names Firehose gives each rotation, and nothing else', () => {
    const names: Record<IndexRotation, string> = {
      [IndexRotation.NO_ROTATION]: 'prices',
      [IndexRotation.ONE_HOUR]: 'prices-2026-12-02-07',
      [IndexRotation.ONE_DAY]: 'prices-2026-12-02',
      [IndexRotation.ONE_WEEK]: 'prices-2026-w49',
      [IndexRotation.ONE_MONTH]: 'prices-2026-12',
    };
    for (const [rotation, index] of Object.entries(names)) {
      const stack = testStack();
      const feed = new ApiToFirehoseIngestion(stack, 'Prices', {
        feedName: 'prices',
        source: typedPricesSource(),
        destination: Destination.openSearch({ domain: importedDomain(stack), indexName: 'prices', indexRotation: rotation as IndexRotation }),
      });
      const patterns: string[] = JSON.parse(feed.openSearchIndexTemplate!).index_patterns;
      const matches = (name: string) => patterns.some((p) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(name));
      expect([rotation, matches(index)]).toEqual([rotation, true]);
      // Another feed's index with a longer name is not this template's.
      expect([rotation, matches('pricesextra')]).toEqual([rotation, false]);
    }
  });

  test('without a schema, the record is an object mapped as it comes and the envelope is mapped exactly', () => {
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Prices', { feedName: 'prices', source: source(), destination: Destination.openSearch({ domain: importedDomain(stack), indexName: 'prices' }) });
    const { properties } = JSON.parse(feed.openSearchIndexTemplate!).template.mappings;
    expect(properties).toEqual({
      feed: { type: 'keyword' },
      record_id: { type: 'keyword' },
      fetched_at: { type: 'date', format: 'strict_date_optional_time' },
      source_url: { type: 'keyword' },
      partition: { type: 'object' },
      record: { type: 'object' },
    });
  });

  test('the schema\'s column types map one to one', () => {
    const schema = withSchemaDefaults(quotesSpec('https://x').schema);
    const stack = testStack();
    const feed = new ApiToFirehoseIngestion(stack, 'Quotes', {
      source: ApiSource.fromSpec(quotesSpec('https://api.example.com/quotes')),
      destination: Destination.openSearch({ domain: importedDomain(stack), indexName: 'quotes', documentId: OpenSearchDocumentId.NO_DOCUMENT_ID }),
    });
    const { properties } = JSON.parse(feed.openSearchIndexTemplate!).template.mappings;
    expect(Object.keys(schema!.columns).every((name) => name in properties)).toBe(true);
    expect(properties.volume).toEqual({ type: 'long' });
    expect(properties.price).toEqual({ type: 'double' });
    expect(properties.quoted_at).toEqual({ type: 'date', format: 'strict_date_optional_time' });
    expect(properties.trade_date).toEqual({ type: 'date', format: 'strict_date' });
    expect(properties.venue).toEqual({ type: 'object', properties: { mic: expect.objectContaining({ type: 'text' }), open: { type: 'boolean' } } });
    expect(properties.tags).toEqual(expect.objectContaining({ type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }));
  });
});

describe('the sink in document-per-record mode, against moto\'s Firehose', () => {
  test('each line is its own record, without its newline: the objects are the documents back to back', async () => {
    const { streamName, bucketName } = await createStreamAndBucket();
    const client = firehoseClient();
    const sizes: number[] = [];
    client.middlewareStack.add((next) => async (args: any) => {
      const body = JSON.parse(Buffer.from(args.request.body).toString('utf8'));
      sizes.push(...body.Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64').toString('utf8')).map((d: string) => (d.includes('\n') ? -1 : d.length)));
      return next(args);
    }, { step: 'finalizeRequest', name: 'observe' });
    const sink = new FirehoseSink({ client, deliveryStreamName: streamName, documentPerRecord: true });
    const lines = Array.from({ length: 30 }, (_, i) => `${JSON.stringify({ n: i, text: 'x'.repeat(i) })}\n`);
    for (const line of lines) await sink.write(line);
    const report = await sink.flush();
    expect(report.linesDelivered).toBe(30);
    // 30 records, none holding a newline: OpenSearch would refuse a record of two documents.
    expect(sizes).toEqual(lines.map((line) => line.length - 1));
    const objects = [...(await readAllObjects(bucketName)).values()].join('');
    expect(objects).toBe(lines.map((line) => line.trimEnd()).join(''));
  });
});

const source = () => ApiSource.http({ url: 'https://api.example-prices.com/v2/quotes', records: Records.at('quotes') });
const importedDomain = (scope: Stack) => opensearch.Domain.fromDomainAttributes(scope, 'Search', {
  domainArn: 'arn:aws:es:us-east-1:123456789012:domain/search',
  domainEndpoint: 'https://search-abc.us-east-1.es.amazonaws.com',
});
const openSearch = (scope: Stack, overrides: Partial<Parameters<typeof Destination.openSearch>[0]> = {}) => Destination.openSearch({
  domain: importedDomain(scope), indexName: 'prices', ...overrides,
});
const serverless = (overrides: Partial<Parameters<typeof Destination.openSearchServerless>[0]> = {}) => Destination.openSearchServerless({
  collectionName: 'market',
  collectionArn: 'arn:aws:aoss:us-east-1:123456789012:collection/abc',
  collectionEndpoint: 'https://abc.us-east-1.aoss.amazonaws.com',
  indexName: 'prices',
  ...overrides,
});

const CASES: Array<[string, (stack: Stack) => Partial<ApiToFirehoseIngestionProps>, RegExp]> = [
  ['an uppercase index name', (s) => ({ destination: openSearch(s, { indexName: 'Prices' }) }),
    /Destination.openSearch\(\) indexName 'Prices' must be lowercase letters, digits/],
  ['an index name with a comma', () => ({ destination: serverless({ indexName: 'a,b' }) }), /Destination.openSearchServerless\(\) indexName 'a,b' must be lowercase/],
  ['an index name of 81 characters', (s) => ({ destination: openSearch(s, { indexName: 'p'.repeat(81) }) }), /must be at most 80 characters \(Firehose's limit; got 81\)/],
  ['subnets without a VPC', (s) => ({ destination: openSearch(s, { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }) }),
    /vpcSubnets and securityGroups are for delivery into a VPC: set vpc as well, or remove them/],
  ['a collection endpoint without https', () => ({ destination: serverless({ collectionEndpoint: 'abc.us-east-1.aoss.amazonaws.com' }) }),
    /collectionEndpoint 'abc.us-east-1.aoss.amazonaws.com' must be the collection's https:\/\/ endpoint/],
  ['a buffer over 100 MiB', (s) => ({ destination: openSearch(s), bufferingSize: Size.mebibytes(128) }),
    /bufferingSize 128 MiB is over the 100 MiB Firehose allows for OpenSearch/],
  ['Parquet into OpenSearch', (s) => ({ source: typedPricesSource(), destination: openSearch(s), format: Format.parquet() }), /format parquet needs the S3 destination/],
  ['dynamic partitioning into OpenSearch', (s) => ({
    destination: openSearch(s), dynamicPartitioning: DynamicPartitioning.byRecordFields({ exchange: 'exchange' }), bufferingInterval: Duration.seconds(60),
  }), /dynamicPartitioning is for S3 objects: Firehose allows it only with an S3 destination, not OpenSearch/],
];

test.each(CASES)('%s fails at synth with what to change', (_name, props, message) => {
  const fresh = testStack();
  expect(() => new ApiToFirehoseIngestion(fresh, 'Prices', { feedName: 'prices', source: source(), ...props(fresh) })).toThrow(message);
});
