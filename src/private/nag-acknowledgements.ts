/**
 * cdk-nag acknowledgements through aws-cdk-lib's `Validations`, so the library needs no cdk-nag
 * dependency. Each acknowledgement names one exact finding, in cdk-nag's own notation.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Acknowledges named cdk-nag findings on a construct (and its children), each with the same reason. */
export function acknowledgeFindings(scope: IConstruct, ids: string[], reason: string): void {
  for (const id of ids) {
    Validations.of(scope).acknowledge({ id, reason });
  }
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
