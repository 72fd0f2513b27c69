#!/usr/bin/env bash
# A Docker-compatible container engine on a machine without Docker: podman's API service on a unix
# socket, for docker-compose and Testcontainers (DOCKER_HOST=unix:///run/podman/podman.sock).
#
#   tools/containers/engine.sh setup   as root: install podman, runc, catatonit, iptables,
#                                      debootstrap, docker-compose and the CNI dnsname plugin if missing
#                                      (recorded by tools/ci/apt-install.sh); runc and lowered ulimits in
#                                      /etc/containers/containers.conf; then the probe
#   tools/containers/engine.sh probe   prove that containers on a user-defined network resolve each
#                                      other by name (compose's services do: postgres, localstack, ...)
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

# Name resolution between containers: podman 4.3 from Debian runs the CNI network backend here, and
# CNI resolves container names only through the dnsname plugin (dnsmasq per network), which podman
# adds to every network it creates once the plugin is installed. One package, no configuration. The
# alternative, netavark + aardvark-dns (bookworm has 1.4, which podman 4.3 supports), also needs
# network_backend = "netavark" and a `podman system reset` where CNI networks or containers exist.
dnsname_package=golang-github-containernetworking-plugin-dnsname
cni_plugin_dirs=(/usr/local/libexec/cni /usr/libexec/cni /usr/local/lib/cni /usr/lib/cni /opt/cni/bin)
# Marks the block setup appends to containers.conf, so that tools/ci/fresh-machine.sh can take it out.
conf_mark="# rotating-credentials-ci: added by tools/containers/engine.sh setup"
ci_state="${CI_STATE_DIR:-/var/lib/rotating-credentials-ci}"

has_dnsname() {
  local dir
  for dir in "${cni_plugin_dirs[@]}"; do [ -x "$dir/dnsname" ] && return 0; done
  return 1
}

setup() {
  local missing=() tool
  for tool in podman runc iptables debootstrap docker-compose; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  # The init process podman runs for `init: true` (compose's bootstrap, rotator and apps).
  [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
  has_dnsname || missing+=("$dnsname_package")
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    "$root/tools/ci/apt-install.sh" "${missing[@]}"
  fi
  # crun refuses hybrid cgroup hosts; podman's default ulimits cannot be set where raising them is
  # not permitted (setrlimit: Operation not permitted).
  if ! grep -qs '^runtime = "runc"' /etc/containers/containers.conf; then
    mkdir -p /etc/containers "$ci_state"
    [ -e /etc/containers/containers.conf ] || : >"$ci_state/containers.conf-created"
    cat >>/etc/containers/containers.conf <<CONF

$conf_mark
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
# rotating-credentials-ci: end
CONF
  fi
  probe
}

# A tiny image for the probe, from files on the host: busybox from Debian's busybox-static package,
# downloaded (not installed) with apt, imported as a one-file root filesystem. No registry needed,
# and no other image needs to exist yet.
probe_image="localhost/rotating-credentials/dns-probe:local"
ensure_probe_image() {
  podman image exists "$probe_image" && return 0
  local tar="$state/dns-probe-rootfs.tar" dir
  if [ ! -s "$tar" ]; then
    dir="$(mktemp -d "$state/dns-probe.XXXXXX")"
    (cd "$dir" && { apt-get download -qq busybox-static 2>/dev/null || { apt-get update -qq && apt-get download -qq busybox-static; }; }) \
      || { rm -rf "$dir"; log "could not download Debian's busybox-static package for the probe image"; exit 1; }
    mkdir "$dir/rootfs"
    dpkg-deb --fsys-tarfile "$dir"/busybox-static_*.deb | tar -x -C "$dir/rootfs" ./bin/busybox
    tar -C "$dir/rootfs" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  podman import --quiet "$tar" "$probe_image" >/dev/null
}

# Two containers on a throwaway user-defined network: one looks the other up by name. The query
# goes to the network's gateway (where the dnsname plugin's dnsmasq answers), never to the host's
# resolver, so a failing probe sends nothing off the machine. Cleans up after itself.
probe() {
  local net="rc-dns-probe-$$" server="rc-dns-probe-$$-server" gateway address answer cause
  ensure_probe_image
  # shellcheck disable=SC2064 # the names now: the trap runs after this function has returned
  trap "podman rm -f -t 0 $server >/dev/null 2>&1 || true; podman network rm -f $net >/dev/null 2>&1 || true" EXIT
  podman network create "$net" >/dev/null
  gateway="$(podman network inspect --format '{{range .Subnets}}{{.Gateway}}{{end}}' "$net")"
  podman run -d --pull never --network "$net" --name "$server" "$probe_image" /bin/busybox sleep 60 >/dev/null
  address="$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$server")"
  answer="$(podman run --rm --pull never --network "$net" "$probe_image" \
    /bin/busybox nslookup -timeout=2 -retry=1 "$server" "$gateway" 2>&1 || true)"
  if ! grep -q "Address: $address\$" <<<"$answer"; then
    cause="the name service of the network (podman $(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null) backend) did not answer"
    has_dnsname || cause="the CNI dnsname plugin (Debian package $dnsname_package) is missing"
    log "containers on a user-defined network cannot resolve each other by name: $cause"
    log "nslookup $server (expected $address) at $gateway answered: $(tr '\n' ' ' <<<"$answer")"
    exit 1
  fi
  log "probe: a container resolves another by name on a user-defined network ($server -> $address)"
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
  setup | probe | start | stop | tick) "$1" ;;
  *) echo "usage: $0 setup|probe|start|stop" >&2; exit 2 ;;
esac
