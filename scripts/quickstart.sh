#!/usr/bin/env bash
# First run: install and build, start berthd in the background with the
# default configuration (unless one already runs), and show it working.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

sock=/run/berth.sock
if ! berth -H "unix://$sock" version >/dev/null 2>&1; then
  echo "==> starting berthd (log: /var/log/berthd.log)"
  nohup berthd >>/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do
    berth -H "unix://$sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
berth -H "unix://$sock" version
echo
berth -H "unix://$sock" info
echo
# Docker Hub is out of reach: build busybox:latest locally from Debian's busybox-static.
if ! berth -H "unix://$sock" image inspect busybox:latest >/dev/null 2>&1; then
  berth -H "unix://$sock" bootstrap busybox
fi
berth -H "unix://$sock" images
# A first container.
berth -H "unix://$sock" run --rm busybox echo "Hello from a Berth container"
