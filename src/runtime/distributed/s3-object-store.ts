/** The `ObjectStore` port on an S3 bucket (the feed's bucket: a distributed run's control folder). */
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Module } from '../aws-sdk/sdk-modules';
import type { ObjectStore } from '../ports/object-store';

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: () => Promise<S3Client>, private readonly bucket: string) {}

  public async put(key: string, body: string, contentType: string): Promise<void> {
    const { PutObjectCommand } = s3Module();
    await (await this.client()).send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  public async get(key: string): Promise<string | undefined> {
    const { GetObjectCommand } = s3Module();
    try {
      const result = await (await this.client()).send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await result.Body!.transformToString('utf8');
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  public async list(prefix: string): Promise<string[]> {
    const { ListObjectsV2Command } = s3Module();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await (await this.client()).send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}
