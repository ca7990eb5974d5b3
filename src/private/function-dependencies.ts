import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Lambda makes a function depend on its role as well as the role's policy; the role is already
 * referenced by GetAtt, and cfn-lint flags the redundant DependsOn (W3005). Keep only the policy,
 * so the function is not created before it may do its work.
 */
export function dependOnRolePolicyOnly(fn: lambda.Function, role: iam.Role): void {
  (fn.node.defaultChild as lambda.CfnFunction).addOverride('DependsOn', Lazy.list({
    produce: () => [Stack.of(fn).getLogicalId(role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy)],
  }));
}

/**
 * The same for a resource whose role aws-cdk-lib adds policies to beside the default one (a state
 * machine's DistributedMapPolicy): it depends on each of them, not on the role it references.
 */
export function dependOnPoliciesOnly(resource: IConstruct, policies: () => IConstruct[]): void {
  (resource.node.defaultChild as CfnResource).addOverride('DependsOn', Lazy.list({
    produce: () => policies().map((policy) => Stack.of(resource).getLogicalId(policy.node.defaultChild as iam.CfnPolicy)),
  }));
}
