#!/usr/bin/env bash
# jq (Debian's package, 1.6 as Firehose's JQ-1.6): the event time partitioning test runs the
# metadata extraction query the construct gives Firehose on the rows the poller writes
# (test/delivery/event-time-partitioning.test.ts). Installed with apt-get when missing; needs root
# or sudo for that, nothing when it is already there.
set -euo pipefail
if command -v jq > /dev/null 2>&1; then
  exit 0
fi
echo "==> installing jq (apt-get install jq)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq > /dev/null
command -v jq > /dev/null
