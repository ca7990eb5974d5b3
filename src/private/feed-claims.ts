import { Stack } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Keeps the feeds of one stack apart: feed names must be unique (they key metrics, alarms and
 * state items), and feeds sharing a bucket must write under folders that do not contain each
 * other (or one feed's readers and retries would see the other's objects).
 */
export class FeedClaims {
  public static of(stack: Stack): FeedClaims {
    let registry = FeedClaims.registries.get(stack);
    if (!registry) {
      registry = new FeedClaims();
      FeedClaims.registries.set(stack, registry);
    }
    return registry;
  }

  private static readonly registries = new WeakMap<Stack, FeedClaims>();

  private readonly feeds = new Map<string, string>();
  private readonly prefixes = new WeakMap<s3.IBucket, Map<string, string>>();

  public claimFeedName(feed: string, path: string, synthError: (message: string) => never): void {
    const owner = this.feeds.get(feed);
    if (owner) {
      synthError(`feedName '${feed}' is already used by '${owner}' in this stack; feed names key metrics, alarms and state, so give each feed its own feedName`);
    }
    this.feeds.set(feed, path);
  }

  public claimPrefix(bucket: s3.IBucket, folder: string, path: string, synthError: (message: string) => never): void {
    let claimed = this.prefixes.get(bucket);
    if (!claimed) {
      claimed = new Map();
      this.prefixes.set(bucket, claimed);
    }
    for (const [other, owner] of claimed) {
      if (other.startsWith(folder) || folder.startsWith(other)) {
        synthError(`its data folder '${folder}' overlaps '${other}' of '${owner}' in the same bucket; give each feed its own folder (the default 'feed=NAME/' does that)`);
      }
    }
    claimed.set(folder, path);
  }
}
