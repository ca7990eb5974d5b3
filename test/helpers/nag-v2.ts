/**
 * cdk-nag 2 reports its findings as annotations (errors for AwsSolutions, warnings or errors for
 * the other packs) on the resource; it does not fail synth. This reads them back.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag-v2';

/** Every cdk-nag 2 finding on a stack's resources, as `path rule: message` lines. */
export function nagV2Findings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
    .map((entry) => `${entry.id} ${String(entry.entry.data).split('\n')[0]}`)
    .filter((line) => /\s(AwsSolutions|Serverless|HIPAA|NIST|PCI)[.-]/.test(line));
}

/** Registers cdk-nag 2's AwsSolutions and Serverless packs as its README does, synthesizes, and returns the findings on `stack`. */
export function nagV2FindingsAfterSynth({ app, stack }: { app: App; stack: Stack }): string[] {
  Aspects.of(app).add(new AwsSolutionsChecks());
  Aspects.of(app).add(new ServerlessChecks());
  app.synth();
  return nagV2Findings(stack);
}
