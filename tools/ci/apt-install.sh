#!/usr/bin/env bash
# apt-get install, with a record of what it added: every package that was not installed before (the
# ones named and their dependencies) is appended to the machine's state file, outside the clone, so
# that tools/ci/fresh-machine.sh removes exactly what the project installed, never what was there.
#
# Usage: tools/ci/apt-install.sh <package>...   (as root; .ci/run and tools/containers/engine.sh)
set -euo pipefail
state_dir="${CI_STATE_DIR:-/var/lib/rotating-credentials-ci}"

installed() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk 'substr($1, 2, 1) == "i" { print $2 }' | sort -u; }

before="$(installed)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
mkdir -p "$state_dir"
added="$(comm -13 <(printf '%s\n' "$before") <(installed))"
if [ -n "$added" ]; then
  touch "$state_dir/apt-packages"
  sort -u -o "$state_dir/apt-packages" "$state_dir/apt-packages" - <<<"$added"
  printf 'apt-install: added %s package(s) for %s, recorded in %s\n' "$(wc -l <<<"$added")" "$*" "$state_dir/apt-packages" >&2
fi
