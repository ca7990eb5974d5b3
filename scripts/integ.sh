#!/usr/bin/env bash
# Runs integ-runner over test/integ (the integ.*.ts apps) with the TypeScript preset.
#   bash scripts/integ.sh                 verify the committed snapshots (no AWS account needed)
#   INTEG_REGIONS=us-east-1 bash scripts/integ.sh --force --no-update-workflow [integ.NAME.ts ...]
#                                         deploy, assert and destroy (npm run integ)
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/patch-integ-runner.js
# The poller's bundle is an asset of every test stack.
[ -f assets/poller/index.js ] || npx projen bundle > /dev/null
export INTEG_RUNNER_SKIP_SCHEMA_CHECK=1 TS_NODE_TRANSPILE_ONLY=1 TS_NODE_PROJECT=tsconfig.dev.json
status=0
# The regions go last: integ-runner's --parallel-regions takes every word after it, test names too.
regions=()
if [ -n "${INTEG_REGIONS:-}" ]; then regions=(--parallel-regions "$INTEG_REGIONS"); fi
npx integ-runner --directory test/integ --language typescript "$@" "${regions[@]}" || status=$?
# A run that writes snapshots records each construct's creation stack with this machine's paths:
# keep them relative to the repository, so committed snapshots do not depend on where it was cloned.
for file in test/integ/*.snapshot/*.metadata.json; do
  if [ -f "$file" ]; then sed -i "s#$PWD/##g" "$file"; fi
done
exit "$status"
