#!/usr/bin/env bash
# Runs the cluster tests (several tetherd nodes, redis-server, tether-hub)
# with node's test runner, from WORK (the test files and their helpers
# copied there). No npm packages: node's own fetch and net.
#   run.sh SOURCE_DIR WORK_DIR TETHERD HUB TEST_FILE
set -euo pipefail
src=$1 work=$2
export TETHERD_BINARY=$3 TETHER_HUB_BINARY=$4
file=$5
command -v redis-server >/dev/null || { echo "cluster: redis-server is not installed (scripts/setup.sh)"; exit 1; }
mkdir -p "$work"
cp "$src"/*.mjs "$src/../support/child_output.mjs" "$work/"
cd "$work" && node --test --test-concurrency=1 "$file"
