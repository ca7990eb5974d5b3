/**
 * Run state in the feed's DynamoDB table. Items, keyed by `pk = feed#<feed>`:
 *   sk = cursor#<partition>      the committed cursor
 *   sk = checkpoint#<partition>  where a partition stopped at the time budget
 *   sk = lease                   the run lease (holder, expiresAt) and the last completed execution
 * The lease is taken with a conditional write, so two overlapping invocations cannot both run.
 */
import {
  ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { feedStateKey } from '../../feed-spec/poller-contract';
import type { Checkpoint, Cursor, LeaseResult, StateStore } from '../ports/state-store';

export class DynamoDbStateStore implements StateStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  public async getCursor(feed: string, partitionKey: string): Promise<Cursor | undefined> {
    const item = await this.get(feed, `cursor#${partitionKey}`);
    if (item?.cursor?.N !== undefined) return Number(item.cursor.N);
    return item?.cursor?.S;
  }

  public async putCursor(feed: string, partitionKey: string, cursor: Cursor): Promise<void> {
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        ...this.key(feed, `cursor#${partitionKey}`),
        cursor: typeof cursor === 'number' ? { N: String(cursor) } : { S: cursor },
        updatedAt: { S: new Date().toISOString() },
      },
    }));
  }

  public async getCheckpoint(feed: string, partitionKey: string): Promise<Checkpoint | undefined> {
    const item = await this.get(feed, `checkpoint#${partitionKey}`);
    return item?.checkpoint?.S ? JSON.parse(item.checkpoint.S) : undefined;
  }

  public async putCheckpoint(feed: string, partitionKey: string, checkpoint: Checkpoint): Promise<void> {
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: { ...this.key(feed, `checkpoint#${partitionKey}`), checkpoint: { S: JSON.stringify(checkpoint) } },
    }));
  }

  public async clearCheckpoint(feed: string, partitionKey: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(feed, `checkpoint#${partitionKey}`) }));
  }

  public async acquireLease(feed: string, holder: string, expiresAt: Date, executionId?: string): Promise<LeaseResult> {
    const now = Date.now();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(feed, 'lease'),
        UpdateExpression: 'SET holder = :holder, expiresAt = :expiresAt',
        ConditionExpression: '(attribute_not_exists(holder) OR expiresAt < :now OR holder = :holder)'
          + (executionId !== undefined ? ' AND (attribute_not_exists(lastCompleted) OR lastCompleted <> :execution)' : ''),
        ExpressionAttributeValues: {
          ':holder': { S: holder },
          ':expiresAt': { N: String(expiresAt.getTime()) },
          ':now': { N: String(now) },
          ...(executionId !== undefined ? { ':execution': { S: executionId } } : {}),
        },
      }));
      return { acquired: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const lease = await this.get(feed, 'lease');
      if (executionId !== undefined && lease?.lastCompleted?.S === executionId) {
        return { acquired: false, reason: 'duplicate', executionId };
      }
      return {
        acquired: false,
        reason: 'held',
        heldBy: lease?.holder?.S ?? 'unknown',
        expiresAt: new Date(Number(lease?.expiresAt?.N ?? 0)).toISOString(),
      };
    }
  }

  public async releaseLease(feed: string, holder: string, completedExecutionId?: string): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(feed, 'lease'),
        UpdateExpression: completedExecutionId !== undefined ? 'REMOVE holder, expiresAt SET lastCompleted = :execution' : 'REMOVE holder, expiresAt',
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: {
          ':holder': { S: holder },
          ...(completedExecutionId !== undefined ? { ':execution': { S: completedExecutionId } } : {}),
        },
      }));
    } catch (err) {
      // The lease expired and another run took it: nothing of ours to release.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  private key(feed: string, sk: string) {
    return { pk: { S: feedStateKey(feed) }, sk: { S: sk } };
  }

  private async get(feed: string, sk: string) {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(feed, sk), ConsistentRead: true }));
    return result.Item;
  }
}
