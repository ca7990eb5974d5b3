#!/usr/bin/env bash
# PostgreSQL (Debian's package): the Redshift destination's tests run the generated table DDL in
# a throwaway server (test/helpers/postgres.ts). Installed with apt-get when missing; needs root
# or sudo for that, nothing when it is already there.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
  exit 0
fi
echo "==> installing PostgreSQL (apt-get install postgresql)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql > /dev/null
ls /usr/lib/postgresql/*/bin/initdb > /dev/null
