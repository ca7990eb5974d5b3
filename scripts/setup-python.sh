#!/usr/bin/env bash
# Creates the project-local virtualenv .venv with the pinned test tools (moto in server mode,
# cfn-lint) unless it already has exactly the pinned set.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=scripts/requirements-dev.txt
stamp=.venv/.requirements.sha256
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x .venv/bin/moto_server ] && [ -x .venv/bin/cfn-lint ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi
echo "==> creating .venv with $(tr '\n' ' ' < <(grep -v '^#' "$requirements"))"
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$wanted" > "$stamp"
