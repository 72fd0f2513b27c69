#!/usr/bin/env bash
# Installs the schemathesis CLI (the API contract test's client) into .cache/schemathesis, a virtual
# environment of its own: never the machine's Python. Idempotent: a venv that already holds the pinned
# version is left as it is. Prints the CLI's path.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="$(tr -d '[:space:]' < tools/schemathesis/version)"
venv=.cache/schemathesis
python="${PYTHON:-python3}"

installed() {
  [ -x "$venv/bin/st" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$version" ]
}

if ! installed; then
  rm -rf "$venv"
  mkdir -p .cache
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "schemathesis==$version"
  installed || { echo "schemathesis $version did not install into $venv" >&2; exit 1; }
fi
echo "$PWD/$venv/bin/st"
