#!/usr/bin/env bash
# Runs one file of cluster tests (several tetherd nodes, redis-server,
# tether-hub) with node's test runner, in place. No npm packages: node's own
# fetch and net.
#   run.sh SOURCE_DIR TETHERD HUB TEST_FILE
set -euo pipefail
src=$1
export TETHERD_BINARY=$2 TETHER_HUB_BINARY=$3
file=$4
command -v redis-server >/dev/null || { echo "cluster: redis-server is not installed (scripts/setup.sh)"; exit 1; }
cd "$src" && node --test --test-concurrency=1 "$file"
