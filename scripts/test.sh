#!/usr/bin/env bash
# The whole test suite: type-check and build, lint and format check, then every
# *.test.js under dist/ with node's own test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
npx biome check src
exec node --test --test-concurrency=1 --test-reporter=spec dist/
