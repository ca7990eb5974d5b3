#!/usr/bin/env bash
# Creates the project-local virtualenvs with the pinned test tools unless each already has
# exactly its pinned set:
#   .venv          moto in server mode and cfn-lint (scripts/requirements-dev.txt)
#   .venv-checkov  checkov (scripts/requirements-checkov.txt), apart: it pins its own boto3.
set -euo pipefail
cd "$(dirname "$0")/.."

# setup_venv DIR REQUIREMENTS TOOL...: (re)creates DIR unless its tools exist and its stamp matches.
setup_venv() {
  local dir=$1 requirements=$2
  shift 2
  local stamp="$dir/.requirements.sha256" wanted
  wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
  local ready=1
  for tool in "$@"; do [ -x "$dir/bin/$tool" ] || ready=0; done
  if [ "$ready" = 1 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  echo "==> creating $dir with $(tr '\n' ' ' < <(grep -v '^#' "$requirements"))"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" > "$stamp"
}

setup_venv .venv scripts/requirements-dev.txt moto_server cfn-lint
setup_venv .venv-checkov scripts/requirements-checkov.txt checkov
