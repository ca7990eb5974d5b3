/**
 * checkov skips, written where checkov reads them: the resource's CloudFormation metadata
 * (`Metadata.checkov.skip`). Each names one check and why it does not apply, as the cdk-nag
 * acknowledgements do; the library needs no checkov dependency.
 */
import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface CheckovSkip {
  /** The check, e.g. `CKV_AWS_117`. */
  readonly id: string;
  /** Why it does not apply, and what to set if it should. */
  readonly comment: string;
}

/** Records checkov skips on a construct's CloudFormation resource (kept with skips added earlier). */
export function skipCheckovChecks(construct: IConstruct, skips: ReadonlyArray<CheckovSkip>): void {
  if (skips.length === 0) return;
  const resource = construct.node.defaultChild as CfnResource;
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
  resource.addMetadata('checkov', { skip: [...existing, ...skips] });
}

/** Why the feed's log groups use CloudWatch Logs' own encryption. */
export const LOG_GROUP_ENCRYPTION: CheckovSkip = {
  id: 'CKV_AWS_158',
  comment: 'CloudWatch Logs encrypts log data at rest; the poller redacts every secret before it logs.',
};
