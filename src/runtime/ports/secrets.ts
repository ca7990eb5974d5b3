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
