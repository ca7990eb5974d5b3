/**
 * The AWS Solutions Constructs choice for every resource a construct wraps: the user's existing
 * resource (`existingXxx`), or settings laid over secure defaults for a new one (`xxxProps`),
 * never both. One implementation, so the bucket and the queue cannot drift apart in how they
 * decide or in what they say.
 */
import type * as kms from 'aws-cdk-lib/aws-kms';
import { definedOnly } from './defined-only';

export type SynthError = (message: string) => never;

/** The user's choice: the existing resource, or the set settings (undefined ones dropped) for a new one. */
export type ResourceChoice<R, P> = { readonly existing: R } | { readonly existing?: undefined; readonly overrides: P };

/**
 * Decides between `existing` and `props`, naming both props (`existingBucket`, `bucketProps`)
 * in the error when both are set.
 */
export function existingOrNew<R, P extends object>(
  existing: R | undefined,
  props: P | undefined,
  names: { readonly existing: string; readonly props: string; readonly resource: string },
  synthError: SynthError,
): ResourceChoice<R, P> {
  if (existing === undefined) return { overrides: definedOnly(props ?? ({} as P)) };
  if (props !== undefined) {
    synthError(`${names.existing} and ${names.props} are both set; ${names.props} configures a new ${names.resource}. Remove one of them`);
  }
  return { existing };
}

/**
 * The key of a new resource: the one in its own props (`ownKeyName`) or the construct's
 * `encryptionKey`; when both are set they must be the same key.
 */
export function keyOfNewResource(
  ownKey: kms.IKey | undefined,
  encryptionKey: kms.IKey | undefined,
  ownKeyName: string,
  resource: string,
  synthError: SynthError,
): kms.IKey | undefined {
  if (ownKey && encryptionKey && ownKey !== encryptionKey) {
    synthError(`${ownKeyName} and encryptionKey are different keys; remove ${ownKeyName} to use encryptionKey for the ${resource} too`);
  }
  return ownKey ?? encryptionKey;
}
