#!/usr/bin/env bash
# A fresh-machine rehearsal of CI: undoes on this machine what .ci/run and its helpers installed or
# changed, then runs .ci/run as CI does (CI=true, stdin closed) in a fresh clone of this
# repository's main, and prints the total time, the exit code and the test counts. About 20 min.
#
# What it undoes, and nothing else (tools/ci/apt-install.sh and tools/containers/engine.sh setup
# record what they install under /var/lib/rotating-credentials-ci/):
#   - the Debian packages the project's scripts installed (never one that was there before them)
#   - the block `engine.sh setup` appended to /etc/containers/containers.conf
#   - podman's images, containers, networks and storage (`podman system reset`) when the project
#     installed podman; otherwise only the images the project made
#   - this repository's .cache/ (schemathesis, the pinned Node builds, the images' root filesystems) and node_modules/
# Left alone: npm's and pip's caches in $HOME (shared with everything else on the machine), moto_server.
#
# Usage: tools/ci/fresh-machine.sh --dry-run                  print what it would remove, change nothing
#        tools/ci/fresh-machine.sh --yes-reset-this-machine   remove it, then run CI in a fresh clone
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state_dir="${CI_STATE_DIR:-/var/lib/rotating-credentials-ci}"
conf=/etc/containers/containers.conf
# The markers of the block tools/containers/engine.sh setup appends to $conf.
conf_begin="# rotating-credentials-ci: added by tools/containers/engine.sh setup"
conf_end="# rotating-credentials-ci: end"
# What the project's images carry or are called (tools/containers/*.sh, docker-compose.yml).
image_label=org.rotating-credentials.recipe
image_names=(localhost/rotating-credentials/bookworm-minbase:local localhost/rotating-credentials/dns-probe:local
  localhost/rotating-credentials-app:local localhost/rotating-credentials-tools:local
  docker.io/library/rotating-credentials-app:local docker.io/library/rotating-credentials-tools:local)

case "${1:-}" in
  --dry-run) dry_run=1 ;;
  --yes-reset-this-machine) dry_run=0 ;;
  *)
    echo "usage: $0 --dry-run | --yes-reset-this-machine" >&2
    echo "Removes what the project installed on this machine (see --dry-run), then runs CI in a fresh clone." >&2
    exit 2
    ;;
esac
[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root (as CI does)" >&2; exit 1; }

say() { printf 'fresh-machine: %s\n' "$*"; }
installed() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk 'substr($1, 2, 1) == "i" { print $2 }' | sort -u; }
recorded() { if [ -s "$state_dir/apt-packages" ]; then sort -u "$state_dir/apt-packages"; fi; }

# The plan, read from this machine.
mapfile -t packages < <(comm -12 <(recorded) <(installed))
podman_ours=0
if command -v podman >/dev/null; then
  printf '%s\n' "${packages[@]}" | grep -qx podman && podman_ours=1
fi
project_images() {
  {
    podman images --noheading --filter "label=$image_label" --format '{{.ID}}'
    local name
    for name in "${image_names[@]}"; do podman images --noheading --format '{{.ID}}' "$name"; done
  } 2>/dev/null | sort -u
}
conf_block() { if [ -f "$conf" ]; then sed -n "\|^$conf_begin\$|,\|^$conf_end\$|p" "$conf"; fi; }
dirs=()
for dir in "$root/.cache" "$root/node_modules"; do [ -e "$dir" ] && dirs+=("$dir"); done

say "will remove from this machine (what the project installed, by its record in $state_dir):"
if [ ${#packages[@]} -gt 0 ]; then
  # apt would also remove whatever depends on them: refuse when that reaches beyond the record.
  mapfile -t purged < <(apt-get -s purge "${packages[@]}" | awk '$1 == "Purg" { print $2 }' | sort -u)
  mapfile -t beyond < <(comm -23 <(printf '%s\n' "${purged[@]}") <(printf '%s\n' "${packages[@]}"))
  if [ ${#beyond[@]} -gt 0 ]; then
    say "refusing: purging the recorded packages would also remove packages the project did not install: ${beyond[*]}"
    exit 1
  fi
  say "  Debian packages (${#packages[@]}, apt-get purge): ${packages[*]}"
else
  say "  Debian packages: none recorded as installed by the project"
fi
if [ -n "$(conf_block)" ]; then
  say "  these lines of $conf$([ -e "$state_dir/containers.conf-created" ] && echo " (and the file, which setup created, if nothing else is left in it)"):"
  conf_block | sed 's/^/      /'
else
  say "  $conf: no block of the project"
fi
if [ $podman_ours = 1 ]; then
  say "  podman's storage, all of it (podman system reset --force; podman was installed by the project):"
  say "      $(podman ps -aq | wc -l) container(s), $(podman images -q | wc -l) image(s), $(podman network ls -q | grep -vcx podman) network(s) besides the default, $(podman volume ls -q | wc -l) volume(s)"
elif command -v podman >/dev/null; then
  mapfile -t images < <(project_images)
  say "  podman was not installed by the project: only its images (${#images[@]}): ${images[*]:-none}"
fi
for dir in "${dirs[@]}"; do say "  $dir ($(du -sh "$dir" 2>/dev/null | cut -f1))"; done
[ ${#dirs[@]} -gt 0 ] || say "  $root/.cache, $root/node_modules: absent"
say "then: git clone --branch main $root <new folder>; CI=true bash .ci/run there, stdin closed"
say "  (main as committed: uncommitted changes in $root are not part of the rehearsal)"
[ $dry_run = 0 ] || exit 0

rehearse() {
  local started=$SECONDS ci_started reset_seconds ci_seconds clone code=0 ci_out i
  # The API service and ticker this repository's engine.sh started (their pids are under .cache/).
  if [ -x "$root/tools/containers/engine.sh" ]; then "$root/tools/containers/engine.sh" stop || true; fi
  if [ $podman_ours = 1 ]; then
    podman system reset --force
  elif command -v podman >/dev/null; then
    mapfile -t images < <(project_images)
    [ ${#images[@]} -eq 0 ] || podman rmi -f "${images[@]}" || true
  fi
  if [ -n "$(conf_block)" ]; then
    sed -i "\|^$conf_begin\$|,\|^$conf_end\$|d" "$conf"
    # The blank line setup wrote before the block.
    sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$conf"
    if [ -e "$state_dir/containers.conf-created" ] && ! grep -q '[^[:space:]]' "$conf"; then rm -f "$conf"; fi
  fi
  rm -f "$state_dir/containers.conf-created"
  if [ ${#packages[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null
  fi
  # The record goes with the packages (on a machine the project never touched there is none).
  rm -f "$state_dir/apt-packages"
  rm -rf "${dirs[@]}"
  reset_seconds=$((SECONDS - started))
  say "machine reset in ${reset_seconds} s"

  clone="$(mktemp -d /tmp/rotating-credentials-fresh.XXXXXX)"
  # As an ordinary clone's folder: mktemp's 0700 would keep out the postgres user that embedded
  # PostgreSQL runs as under root.
  chmod 755 "$clone"
  git clone --quiet --branch main "$root" "$clone"
  say "CI=true bash .ci/run in $clone ($(git -C "$clone" log -1 --format='%h %s'))"
  ci_out="$(mktemp)"
  ci_started=$SECONDS
  (cd "$clone" && CI=true bash .ci/run </dev/null) 2>&1 | tee "$ci_out" || code=$?
  ci_seconds=$((SECONDS - ci_started))

  # vitest's summary lines, in .ci/run's order.
  mapfile -t counts < <(sed 's/\x1b\[[0-9;]*m//g' "$ci_out" | grep -E '^ +Tests +[0-9]' | sed 's/^ *Tests *//')
  rm -f "$ci_out"
  local labels=("npm test (Node 26)" "rotation function tests (Node 24)" "app tests (Node 22, the floor)")
  echo
  say "exit code $code; .ci/run took $((ci_seconds / 60)) min $((ci_seconds % 60)) s, the reset ${reset_seconds} s, $((SECONDS - started)) s in all"
  for i in "${!labels[@]}"; do say "  ${labels[$i]}: ${counts[$i]:-no summary (not reached)}"; done
  say "clone: $clone"
  say "log: $log"
  return $code
}

log="$(mktemp /tmp/fresh-machine.XXXXXX.log)"
say "log: $log"
# The script's exit code is .ci/run's (pipefail).
rehearse 2>&1 | tee "$log"
