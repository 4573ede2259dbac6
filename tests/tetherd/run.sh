#!/usr/bin/env bash
# Installs ws from npm into WORK (once, cached in the build tree) and runs
# tetherd's integration tests with node's test runner.
#   run.sh SOURCE_DIR WORK_DIR TETHERD HUB
set -euo pipefail
src=$1 work=$2
export TETHERD_BINARY=$3 TETHER_HUB_BINARY=$4
mkdir -p "$work"
cp "$src/package.json" "$src/tetherd.test.mjs" "$src/../support/child_output.mjs" "$work/"
if [[ ! -d "$work/node_modules/ws" ]]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
cd "$work" && node --test --test-concurrency=1 tetherd.test.mjs
