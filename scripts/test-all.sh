#!/usr/bin/env bash
# The README's test command: installs whatever is missing, then runs every test.
#   npm dependencies (npm ci), .venv with moto[server] and cfn-lint, the Lambda bundle, the jsii
#   compile (the Python test packages its output), then projen's test task: type-check, jest
#   (snapshots are never updated: --ci), eslint.
# moto is started by the jest setup unless MOTO_ENDPOINT points at a running one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
bash scripts/setup-python.sh
npx projen pre-compile
npx projen compile
npx projen test
