/** The feed's state table: a new secure one, or the user's own (for example shared by feeds). */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { feedStateTable } from '../../src/storage/feed-state-table';
import { templateOf, testStack } from '../helpers/synth';

describe('feedStateTable', () => {
  test('a new table: pk/sk strings, on demand, point-in-time recovery, retained; the AWS-managed key without encryptionKey', () => {
    const stack = testStack();
    feedStateTable(stack, {});
    const tables = templateOf(stack).findResources('AWS::DynamoDB::Table');
    const [table] = Object.values<any>(tables);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table.Metadata.checkov.skip.map((s: { id: string }) => s.id)).toEqual(['CKV_AWS_119']);
  });

  test('with encryptionKey, the table uses that key and needs no checkov skip', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    feedStateTable(stack, { encryptionKey: key });
    const [table] = Object.values<any>(templateOf(stack).findResources('AWS::DynamoDB::Table'));
    expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } });
    expect(table.Metadata?.checkov).toBeUndefined();
  });

  test('an existing table is used as it is, and no table is created', () => {
    const stack = testStack();
    const existing = dynamodb.Table.fromTableName(stack, 'Shared', 'feeds-state');
    expect(feedStateTable(stack, { existingStateTable: existing })).toBe(existing);
    expect(stack.node.findAll().filter((c) => c instanceof dynamodb.CfnTable)).toHaveLength(0);
  });
});
