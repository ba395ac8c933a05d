#!/usr/bin/env bash
# The full-size fault suites of docs/security.md in one command (CI runs the
# same files at their short size): kill -9 crash rounds, full disks, fuzzing,
# hardening probes and the 10-minute soak. Sizes can be overridden from the
# environment. Takes a few hours on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
export BERTH_CRASH_ITERATIONS="${BERTH_CRASH_ITERATIONS:-50}"
export BERTH_FUZZ_RUNS="${BERTH_FUZZ_RUNS:-5000}"
export BERTH_SOAK_SECONDS="${BERTH_SOAK_SECONDS:-600}"
export BERTH_SOAK_CLIENTS="${BERTH_SOAK_CLIENTS:-200}"
export BERTH_SOAK_CONTAINERS="${BERTH_SOAK_CONTAINERS:-100}"
suites=(
  dist/integration/crash-check.test.js
  dist/integration/crash-ops.test.js
  dist/integration/crash-ops-more.test.js
  dist/integration/images-crash.test.js
  dist/integration/registry-crash.test.js
  dist/integration/disk-full.test.js
  dist/integration/container-leaks.test.js
  dist/integration/system-check.test.js
  dist/integration/registry-check.test.js
  dist/engine/config/config-fuzz.test.js
  dist/builder/parser-fuzz.test.js
  dist/snapshots/apply-fuzz.test.js
  dist/integration/api-fuzz.test.js
  dist/integration/registry-fuzz.test.js
  dist/integration/load-fuzz.test.js
  dist/integration/build-fuzz.test.js
  dist/integration/hardening.test.js
  dist/integration/access-hardening.test.js
  dist/integration/userns-remap.test.js
  dist/integration/soak.test.js
)
exec node --test --test-concurrency=1 --test-reporter=spec "${suites[@]}" "$@"
