#!/usr/bin/env bash
# Installs everything Berth needs on Debian 12 (as root), builds it, and links
# berthd, berth and berth-registry into /usr/local/bin. Safe to run again:
# each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# Runtime stack, networking, base-image tools, and the peers the tests and
# benchmarks compare against (a real dockerd from docker.io; skopeo and
# htpasswd for the registry's end-to-end tests; CNCF Distribution as
# docker-registry for the registry benchmark; podman and buildah as peers;
# postgresql for berth-registry's PostgreSQL metadata store and its tests;
# chromium for the registry web UI browser test).
# tini ships the static tini-static that --init bind-mounts; perl-base
# (always on Debian) runs the relay to conmon's SOCK_SEQPACKET attach sockets.
packages=(
  runc crun conmon containernetworking-plugins iptables iproute2 conntrack mount kmod procps
  busybox-static debootstrap debian-archive-keyring tini perl-base attr ca-certificates git openssl
  docker.io docker-compose skopeo apache2-utils docker-registry podman buildah iperf3 postgresql chromium
)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (it installs Debian packages and links into /usr/local/bin)" >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # docker.io must not start its own daemon or take over docker0 here.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
  # Distribution is only a benchmark peer: keep its service off port 5000.
  # PostgreSQL's packaged cluster is not ours either: tests start their own.
  if [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
    systemctl disable --now postgresql >/dev/null 2>&1 || true
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund
fi

log "building"
npm run --silent build

getent group berth >/dev/null || groupadd --system berth
mkdir -p /etc/berth
for b in berthd berth berth-registry; do
  ln -sfn "$repo/bin/$b" "/usr/local/bin/$b"
done
log "installed: $(berth --version)"
