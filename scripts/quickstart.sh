#!/usr/bin/env bash
# The README's main job: installs the npm dependencies if missing, synthesizes the example
# weather feed app into cdk.out/ and prints a summary of what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
npx projen bundle
npx projen example
