/**
 * cdk-nag acknowledgements, written so that both majors of cdk-nag read them and the library
 * needs no cdk-nag dependency. Each acknowledgement names one exact finding, in cdk-nag's own
 * notation (`AwsSolutions-IAM5[Resource::*]`).
 *
 * - cdk-nag 3 reads aws-cdk-lib's `Validations` acknowledgements.
 * - cdk-nag 2 is an aspect that reads the `cdk_nag` metadata entry of each CloudFormation resource
 *   (what its `NagSuppressions` writes): `{ rules_to_suppress: [{ id, reason, applies_to }] }`.
 *   The metadata is written by an aspect of our own with the mutating priority, so it reaches
 *   resources created after the acknowledgement (a role's default policy grows with later grants)
 *   and is in place before cdk-nag 2's aspect (default priority) visits them.
 */
import { AspectPriority, Aspects, CfnResource, CfnElement, IAspect, Stack, Validations } from 'aws-cdk-lib';
import { IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/** The metadata key cdk-nag 2 reads its suppressions from. */
export const CDK_NAG_V2_METADATA = 'cdk_nag';

/** One suppression in cdk-nag 2's metadata form. */
interface NagV2Suppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
}

/** Acknowledges named cdk-nag findings on a construct (and its children), each with the same reason. */
export function acknowledgeFindings(scope: IConstruct, ids: string[], reason: string): void {
  for (const id of ids) {
    Validations.of(scope).acknowledge({ id, reason });
  }
  NagV2Metadata.of(scope).add(ids.map((id) => toNagV2Suppression(id, reason)));
}

/**
 * Acknowledges findings a grant of the library leaves on a principal outside its constructs (a
 * caller's role). Only a principal that is a construct of the app carries its policy in the
 * template; any other principal has nothing to acknowledge.
 */
export function acknowledgeOnPrincipal(principal: IPrincipal, ids: string[], reason: string): void {
  if (Construct.isConstruct(principal)) {
    acknowledgeFindings(principal, ids, reason);
  }
}

/**
 * `AwsSolutions-IAM5[Resource::*]` becomes `{ id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'] }`:
 * cdk-nag 2 refuses a finding inside the id and matches it through `applies_to` instead.
 */
export function toNagV2Suppression(id: string, reason: string): NagV2Suppression {
  const granular = /^([^[]+)\[(.+)\]$/.exec(id);
  return granular ? { id: granular[1], reason, applies_to: [granular[2]] } : { id, reason };
}

/** One aspect per acknowledging construct, however many acknowledgements it gets. */
const nagV2MetadataByScope = new WeakMap<IConstruct, NagV2Metadata>();

/** The suppressions acknowledged on one construct, written into its resources' metadata at synth. */
class NagV2Metadata implements IAspect {
  public static of(scope: IConstruct): NagV2Metadata {
    let metadata = nagV2MetadataByScope.get(scope);
    if (!metadata) {
      metadata = new NagV2Metadata();
      nagV2MetadataByScope.set(scope, metadata);
      Aspects.of(scope).add(metadata, { priority: AspectPriority.MUTATING });
    }
    return metadata;
  }

  private readonly suppressions: NagV2Suppression[] = [];

  public add(suppressions: NagV2Suppression[]): void {
    this.suppressions.push(...suppressions);
  }

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) {
      return;
    }
    const here = this.suppressions.filter((suppression) => ruleExamines(suppression.id, node.cfnResourceType));
    if (here.length === 0) {
      return;
    }
    // Merge with what is there (a user's own NagSuppressions, another acknowledging scope), once each.
    const existing: NagV2Suppression[] = node.getMetadata(CDK_NAG_V2_METADATA)?.rules_to_suppress ?? [];
    const merged = new Map<string, NagV2Suppression>();
    for (const suppression of [...existing, ...here]) {
      merged.set(JSON.stringify(suppression), suppression);
    }
    node.addMetadata(CDK_NAG_V2_METADATA, { rules_to_suppress: [...merged.values()] });
  }
}

/**
 * The resource types each rule the library acknowledges looks at, so a suppression is written only
 * where its finding can be (not on every resource under the acknowledging construct). A rule not
 * listed here is written on every resource, as cdk-nag's own `applyToChildren` does.
 */
const RULE_RESOURCE_TYPES: Record<string, readonly string[]> = {
  'AwsSolutions-IAM4': ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'],
  'AwsSolutions-IAM5': ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'],
  'AwsSolutions-S1': ['AWS::S3::Bucket'],
  'AwsSolutions-SQS3': ['AWS::SQS::Queue'],
  'AwsSolutions-SMG4': ['AWS::SecretsManager::Secret'],
  'Serverless-SQSRedrivePolicy': ['AWS::SQS::Queue'],
  'Serverless-LambdaDLQ': ['AWS::Lambda::Function'],
  'Serverless-LambdaDefaultMemorySize': ['AWS::Lambda::Function'],
  'Serverless-LambdaTracing': ['AWS::Lambda::Function'],
};

function ruleExamines(rule: string, resourceType: string): boolean {
  const types = RULE_RESOURCE_TYPES[rule];
  return types === undefined || types.includes(resourceType);
}

/** The CloudFormation logical id of a construct's resource, as cdk-nag names it in findings. */
export function logicalIdOf(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));
}

/**
 * A resource ARN as cdk-nag writes it in an IAM5 finding: `{"Fn::GetAtt":["B","Arn"]}/*` becomes
 * `<B.Arn>/*`, `{"Ref":"AWS::Partition"}` becomes `<AWS::Partition>`, literals stay as they are.
 * This works for resources of the stack and for imported ones alike.
 */
export function nagResource(scope: IConstruct, arn: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined || node === null) {
      return '';
    }
    if (typeof node === 'string') {
      return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    }
    const object = node as Record<string, any>;
    if (object['Fn::Join']) {
      const [delimiter, items] = object['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (object['Fn::Sub']) {
      return visit(object['Fn::Sub']);
    }
    if (object['Fn::GetAtt']) {
      const [resource, attribute] = object['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (object['Fn::ImportValue']) {
      return visit(object['Fn::ImportValue']);
    }
    if (object.Ref) {
      return `<${visit(object.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return `Resource::${visit(Stack.of(scope).resolve(arn))}`;
}
