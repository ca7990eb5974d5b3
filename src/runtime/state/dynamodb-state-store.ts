/**
 * Cursors in the feed's DynamoDB table: one item per feed and partition
 * (`pk = feed#<feed>`, `sk = partition#<canonical partition>`).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Cursor, StateStore } from './state-store';

export class DynamoDbStateStore implements StateStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  public async getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined> {
    const result = await this.client.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { pk: { S: `feed#${feed}` }, sk: { S: `partition#${partitionKey}` } },
      ConsistentRead: true,
    }));
    const cursor = result.Item?.cursor;
    if (cursor?.N !== undefined) return Number(cursor.N);
    return cursor?.S;
  }

  public async putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        pk: { S: `feed#${feed}` },
        sk: { S: `partition#${partitionKey}` },
        cursor: typeof cursor === 'number' ? { N: String(cursor) } : { S: cursor },
        updatedAt: { S: new Date().toISOString() },
      },
    }));
  }
}
