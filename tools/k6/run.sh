#!/usr/bin/env bash
# `npm run k6 -- <k6 arguments>`: the user's own k6 when one is on PATH, else the pinned one in
# .cache/k6 (tools/k6/setup.sh installs it). k6's anonymous usage report is always off: load tests
# here contact nothing but their targets.
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v k6 >/dev/null 2>&1; then
  k6="$(command -v k6)"
elif [ -x .cache/k6/bin/k6 ]; then
  k6=.cache/k6/bin/k6
else
  echo "no k6 on PATH and none in .cache/k6: run tools/k6/setup.sh (or install k6)" >&2
  exit 127
fi
export K6_NO_USAGE_REPORT=true
exec "$k6" "$@"
