#!/usr/bin/env bash
# A Docker-compatible container engine on a machine without Docker: podman's API service on a unix
# socket, for docker-compose and Testcontainers (DOCKER_HOST=unix:///run/podman/podman.sock).
#
#   tools/containers/engine.sh setup   as root: install podman, runc, catatonit, iptables,
#                                      debootstrap and docker-compose if missing; runc and lowered ulimits in
#                                      /etc/containers/containers.conf
#   tools/containers/engine.sh start   start the API service and the health-check ticker (below)
#   tools/containers/engine.sh stop    stop both (only the processes `start` started)
#
# The health-check ticker: podman runs HEALTHCHECKs from systemd timers, and a machine (or CI
# container) without systemd has none, so no container would ever become healthy. The ticker runs
# `podman healthcheck run` for every running container that has a health check, every 2 s.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/.cache/containers"
socket="${PODMAN_SOCKET:-/run/podman/podman.sock}"
mkdir -p "$state"

log() { printf 'container-engine: %s\n' "$*" >&2; }

setup() {
  local missing=() tool
  for tool in podman runc iptables debootstrap docker-compose; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  # The init process podman runs for `init: true` (compose's bootstrap, rotator and apps).
  [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # crun refuses hybrid cgroup hosts; podman's default ulimits cannot be set where raising them is
  # not permitted (setrlimit: Operation not permitted).
  if ! grep -qs '^runtime = "runc"' /etc/containers/containers.conf; then
    mkdir -p /etc/containers
    cat >>/etc/containers/containers.conf <<'CONF'

[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
  fi
}

# Alive, and not a zombie waiting to be reaped.
running() {
  [ -s "$state/$1.pid" ] || return 1
  local stat
  stat="$(ps -o stat= -p "$(cat "$state/$1.pid")" 2>/dev/null || true)"
  [ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

start() {
  if ! running service; then
    mkdir -p "$(dirname "$socket")"
    rm -f "$socket"
    setsid podman system service --time=0 "unix://$socket" >"$state/service.log" 2>&1 &
    echo $! >"$state/service.pid"
  fi
  if ! running ticker; then
    setsid "$0" tick >/dev/null 2>&1 &
    echo $! >"$state/ticker.pid"
  fi
  local waited=0
  until curl -sf --unix-socket "$socket" http://d/_ping >/dev/null; do
    waited=$((waited + 1))
    [ $waited -le 100 ] || { log "the API service did not answer on $socket: $state/service.log"; exit 1; }
    sleep 0.1
  done
  log "DOCKER_HOST=unix://$socket"
}

stop() {
  local name
  for name in ticker service; do
    if running "$name"; then kill -TERM -- "-$(cat "$state/$name.pid")" 2>/dev/null || true; fi
    rm -f "$state/$name.pid"
  done
}

tick() {
  while sleep 2; do
    podman ps --filter health=starting --filter health=healthy --filter health=unhealthy \
      --format '{{.ID}}' 2>/dev/null | while read -r id; do
      # In parallel, so that a slow check does not delay the others; stdin closed, or the check
      # would read the remaining ids.
      podman healthcheck run "$id" </dev/null >/dev/null 2>&1 &
    done
    wait
  done
}

case "${1:-}" in
  setup | start | stop | tick) "$1" ;;
  *) echo "usage: $0 setup|start|stop" >&2; exit 2 ;;
esac
