#!/usr/bin/env bash
# Installs ws from npm into WORK (once, cached in the build tree) and runs
# tetherd's integration tests there with node's test runner (WORK mirrors
# tests/: WORK/tetherd, WORK/support).
#   run.sh SOURCE_DIR WORK_DIR TETHERD HUB
set -euo pipefail
src=$1 work=$2
export TETHERD_BINARY=$3 TETHER_HUB_BINARY=$4
mkdir -p "$work"
mkdir -p "$work/tetherd" "$work/support"
cp "$src/package.json" "$work/"
cp "$src/tetherd.test.mjs" "$work/tetherd/"
cp "$src/../support/child_output.mjs" "$src/../support/connect_proxy.mjs" "$work/support/"
if [[ ! -d "$work/node_modules/ws" ]]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
cd "$work/tetherd" && node --test --test-concurrency=1 ${TEST_NAME_PATTERN:+--test-name-pattern="$TEST_NAME_PATTERN"} tetherd.test.mjs
