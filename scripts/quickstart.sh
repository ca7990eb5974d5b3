#!/usr/bin/env bash
# The README's main job, from a fresh clone:
#   1. installs the npm dependencies if missing and bundles the poller and the api-ingest command;
#   2. runs the demo weather feed (examples/demo/weather-demo.json) locally, on the embedded
#      default (local files, local state), against the bundled loopback demo API, into ./out,
#      and prints the run's summary;
#   3. synthesizes the example CDK app (examples/weather/app.ts) and prints what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
npx projen bundle > /dev/null

port=8787
node assets/cli/api-ingest.js demo-api --port "$port" 2> .demo-api.log &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null || true; rm -f .demo-api.log' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/v1/stations" > /dev/null 2>&1 && break
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "the demo API could not start on port $port:" >&2; cat .demo-api.log >&2; exit 1
  fi
  sleep 0.1
done

# --allow-loopback: the demo API listens on 127.0.0.1, which the poller refuses by default.
echo "==> api-ingest run examples/demo/weather-demo.json --out ./out --allow-loopback   (demo API on 127.0.0.1:$port)"
NODE_NO_WARNINGS=1 node assets/cli/api-ingest.js run examples/demo/weather-demo.json --out ./out --allow-loopback
echo
echo "==> synthesize examples/weather/app.ts"
npx projen example 2>&1 | grep -v '^👾'
