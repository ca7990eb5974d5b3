#!/usr/bin/env node
/*
 * @aws-cdk/integ-runner 2.197.10 (the newest on the npm registry, April 2026) bundles a toolkit
 * that reads cloud assembly schema 53 at most; aws-cdk-lib 2.275 writes schema 55, and the runner
 * stops with "AssemblyVersionMismatch: Maximum schema version supported is 53.x.x, but found
 * 55.0.0". Until a newer integ-runner is published, this lets the bundled toolkit skip that check
 * when INTEG_RUNNER_SKIP_SCHEMA_CHECK=1 (scripts/integ.sh sets it). Idempotent; fails loudly if
 * the runner's code changed, so a newer runner is noticed rather than patched blindly.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'node_modules', '@aws-cdk', 'integ-runner', 'lib', 'workers', 'extract', 'index.js');
const original = 'if (maxSupported < semver.major(actual) && !options?.skipVersionCheck) {';
const patched = "if (maxSupported < semver.major(actual) && !options?.skipVersionCheck && process.env.INTEG_RUNNER_SKIP_SCHEMA_CHECK !== '1') {";
const code = fs.readFileSync(file, 'utf8');
if (code.includes(patched)) process.exit(0);
const occurrences = code.split(original).length - 1;
if (occurrences !== 1) {
  console.error(`patch-integ-runner: expected the schema check once in ${file}, found it ${occurrences} times; `
    + 'the integ-runner version changed: check whether it reads the current schema and remove this patch');
  process.exit(1);
}
fs.writeFileSync(file, code.replace(original, patched));
console.error('patch-integ-runner: integ-runner may read cloud assembly schemas newer than its own (INTEG_RUNNER_SKIP_SCHEMA_CHECK=1)');
