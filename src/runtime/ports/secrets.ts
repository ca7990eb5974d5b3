/** Port: secret values, read at run time; the spec only names them. */
import type { SecretRef } from '../../feed-spec/feed-spec';

export interface SecretResolver {
  /** The secret string (the whole secret, or one field of a JSON secret). */
  resolve(ref: SecretRef): Promise<string>;
  /** The secret parsed as a JSON object (basic auth, OAuth2 client credentials). */
  resolveJson(ref: SecretRef): Promise<Record<string, string>>;
}

/** Source of raw secret strings by ARN or name. */
export type SecretStringSource = (arnOrName: string) => Promise<string>;

/** A secret's value as stored now, with the version that holds it. */
export interface SecretVersion {
  readonly value: string;
  /** Changes on every write: what a compare-and-set compares. */
  readonly versionId: string;
}

/**
 * Port: a secret the poller reads fresh and may replace (a refresh token the provider rotates).
 * Only the refresh-token grant uses it; every other secret is read-only.
 */
export interface RotatingSecretStore {
  /** The secret's current version, read now (not cached). */
  current(arnOrName: string): Promise<SecretVersion>;
  /**
   * Makes `value` the secret's current version if `expectedVersionId` still is: false, writing
   * nothing current, when another writer moved it first.
   */
  replace(arnOrName: string, expectedVersionId: string, value: string): Promise<boolean>;
}
