#!/usr/bin/env bash
# Runs a command on Node.js 24, the poller's own runtime (nodejs24.x): the machine's node when it
# is 24 already, else Node.js 24 installed from the npm registry into .node24/ (the package
# node-<os>-<arch>@24 holds the binary), put first on PATH.
#   bash scripts/with-node24.sh npx projen test
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" != 24 ]; then
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=unsupported ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=unsupported ;; esac
  bin=".node24/node_modules/node-$os-$arch/bin"
  if [ "$os" = unsupported ] || [ "$arch" = unsupported ]; then
    echo "==> Node.js $major here and no Node.js 24 package for $(uname -s) $(uname -m): running on Node.js $major" >&2
  else
    if [ ! -x "$bin/node" ]; then
      echo "==> installing Node.js 24 (npm package node-$os-$arch@24) into .node24/ (this machine has Node.js $major)" >&2
      npm install --silent --no-audit --no-fund --no-save --prefix .node24 "node-$os-$arch@24" >&2
    fi
    PATH="$PWD/$bin:$PATH"
    export PATH
  fi
fi
exec "$@"
