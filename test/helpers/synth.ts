/**
 * Synthesizes test stacks with a fixed environment (an env-agnostic stack adds a Firehose CIDR
 * mapping that cfn-lint warns about) and checks templates with the real cfn-lint and checkov.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CHECKOV_BIN, VENV_BIN } from '../setup/moto-server';

export const TEST_ENV = { account: '123456789012', region: 'us-east-1' };

export function testStack(app = new App()): Stack {
  return new Stack(app, 'TestStack', { env: TEST_ENV });
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** Runs cfn-lint over a template; returns its findings (empty when clean). */
export function cfnLint(template: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfn-lint-'));
  const file = path.join(dir, 'template.json');
  writeFileSync(file, JSON.stringify(template, null, 2));
  try {
    execFileSync(path.join(VENV_BIN, 'cfn-lint'), ['--format', 'parseable', file], { encoding: 'utf8' });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
  }
}

/**
 * Runs checkov's CloudFormation checks over a template; returns each failed check as
 * `CHECK resource` (empty when every check passed or was skipped with a reason in the template).
 */
export function checkovFailures(template: object): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkov-'));
  const file = path.join(dir, 'template.json');
  writeFileSync(file, JSON.stringify(template, null, 2));
  let output: string;
  try {
    output = execFileSync(CHECKOV_BIN, ['-f', file, '--framework', 'cloudformation', '--skip-download', '--quiet', '--compact', '-o', 'json'], { encoding: 'utf8' });
  } catch (err) {
    // checkov exits 1 when a check failed; its report is still on stdout.
    output = (err as { stdout?: string }).stdout ?? '';
    if (!output) throw err;
  }
  const report = JSON.parse(output);
  const results = (Array.isArray(report) ? report : [report]).flatMap((r: any) => r.results?.failed_checks ?? []);
  return results.map((check: any) => `${check.check_id} ${check.resource}`);
}
