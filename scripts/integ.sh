#!/usr/bin/env bash
# Runs integ-runner over test/integ (the integ.*.ts apps) with the TypeScript preset.
#   bash scripts/integ.sh                 verify the committed snapshots (no AWS account needed)
#   bash scripts/integ.sh --force ...     deploy, assert and destroy every test (npm run integ)
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/patch-integ-runner.js
# The poller's bundle is an asset of every test stack.
[ -f assets/poller/index.js ] || npx projen bundle > /dev/null
export INTEG_RUNNER_SKIP_SCHEMA_CHECK=1 TS_NODE_TRANSPILE_ONLY=1 TS_NODE_PROJECT=tsconfig.dev.json
status=0
npx integ-runner --directory test/integ --language typescript "$@" || status=$?
# A run that writes snapshots records each construct's creation stack with this machine's paths:
# keep them relative to the repository, so committed snapshots do not depend on where it was cloned.
for file in test/integ/*.snapshot/*.metadata.json; do
  if [ -f "$file" ]; then sed -i "s#$PWD/##g" "$file"; fi
done
exit "$status"
