#!/usr/bin/env bash
# The whole test suite, self-sufficient on a fresh machine: install and build
# (idempotent), lint and format check, then every test with node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npx biome check src
exec node --test --test-concurrency=1 --test-reporter=spec dist/
