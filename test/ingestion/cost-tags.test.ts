/** Every resource of a feed carries its name (and the user's cost tags), so the bill splits per feed. */
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiSource, ApiToFirehoseIngestion, Records } from '../../src';
import { templateOf, testStack } from '../helpers/synth';

const source = () => ApiSource.http({ url: 'https://api.example.com/items', records: Records.at('data') });

/** Resource types that take tags in CloudFormation, of those the construct creates. */
const TAGGABLE = [
  'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::IAM::Role',
  'AWS::KinesisFirehose::DeliveryStream', 'AWS::Logs::LogGroup', 'AWS::CloudWatch::Alarm',
];

describe('cost allocation tags', () => {
  test('every taggable resource carries cdk-api-ingestion:feed and each cost tag', () => {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Feed', { feedName: 'orders', source: source(), costTags: { 'cost-center': 'data-42', 'team': 'lake' } });
    const resources = Object.entries<any>(templateOf(stack).toJSON().Resources).filter(([, r]) => TAGGABLE.includes(r.Type));
    expect(new Set(resources.map(([, r]) => r.Type))).toEqual(new Set(TAGGABLE));
    for (const [id, resource] of resources) {
      const tags = resource.Properties.Tags ?? [];
      const asMap = Array.isArray(tags) ? Object.fromEntries(tags.map((t: any) => [t.Key, t.Value])) : tags;
      expect({ id, tags: asMap }).toEqual({ id, tags: expect.objectContaining({ 'cdk-api-ingestion:feed': 'orders', 'cost-center': 'data-42', 'team': 'lake' }) });
    }
  });

  test('a resource the user brings is not tagged by the feed', () => {
    const stack = testStack();
    const lake = new s3.Bucket(stack, 'Lake');
    new ApiToFirehoseIngestion(stack, 'Feed', { feedName: 'orders', source: source(), existingBucket: lake });
    const buckets = templateOf(stack).findResources('AWS::S3::Bucket');
    const lakeBucket = Object.entries<any>(buckets).find(([id]) => id.startsWith('Lake'))![1];
    expect(lakeBucket.Properties?.Tags).toBeUndefined();
  });

  test.each([
    [{ 'aws:team': 'x' }, /costTags key 'aws:team' is not a valid tag key/],
    [{ '': 'x' }, /costTags key '' is not a valid tag key/],
    [{ team: 'a;b' }, /costTags value of 'team' is not a valid tag value/],
    [{ 'cdk-api-ingestion:feed': 'other' }, /costTags sets 'cdk-api-ingestion:feed', which the construct sets to the feed name/],
  ])('an invalid cost tag %j fails at synth and says what is allowed', (costTags, message) => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', { feedName: 'orders', source: source(), costTags })).toThrow(message);
  });
});
