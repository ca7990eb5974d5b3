#!/usr/bin/env bash
# The README's test command: installs whatever is missing, then runs every test on Node.js 24
# (the poller's runtime; installed into .node24/ when the machine's Node.js is another version).
#   npm dependencies (npm ci), .venv with moto[server] and cfn-lint, .venv-checkov with checkov,
#   PostgreSQL (Debian's package, for the Redshift DDL tests), jq (Debian's, for the event time partitioning query),
#   the Lambda bundle, the jsii compile (the Python test packages its output), then projen's test
#   task: type-check, jest (snapshots are never updated: --ci), eslint.
# moto is started by the jest setup unless MOTO_ENDPOINT points at a running one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
bash scripts/setup-python.sh
bash scripts/setup-postgres.sh
bash scripts/setup-jq.sh
bash scripts/with-node24.sh bash -c 'echo "==> tests on Node.js $(node --version)" && npx projen pre-compile && npx projen compile && npx projen test'
