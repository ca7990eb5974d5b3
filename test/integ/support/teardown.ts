/**
 * The library keeps data by default (buckets, the state table and log groups are retained when a
 * stack is deleted). An integration test must leave nothing behind in the account that runs it,
 * so its stacks delete everything they made, emptying the buckets first.
 */
import { Aspects, CfnDeletionPolicy, CfnResource, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

class RemoveWithStack implements IAspect {
  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node) && node.cfnOptions.deletionPolicy === CfnDeletionPolicy.RETAIN) {
      node.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }
  }
}

/** Every resource the stack retains by default is deleted with it instead. */
export function removeWithStack(stack: Stack): void {
  Aspects.of(stack).add(new RemoveWithStack());
}

/** `bucketProps` for a feed under test: emptied and deleted with the stack, access logs likewise. */
export function disposableBucketProps(stack: Stack, id = 'AccessLogs'): s3.BucketProps {
  const logs = new s3.Bucket(stack, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  return { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true, serverAccessLogsBucket: logs };
}
