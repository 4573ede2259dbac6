#!/usr/bin/env bash
# Installs the official phoenix client and ws from npm into WORK (once, cached
# in the build tree) and runs one conformance script there.
#   run.sh SOURCE_DIR WORK_DIR SCRIPT [ARGS...]
set -euo pipefail
src=$1 work=$2 script=$3
shift 3
mkdir -p "$work"
cp "$src/package.json" "$src/$script" "$work/"
mkdir -p "$work/support"
cp "$src/../support/child_output.mjs" "$src/../support/seeded_random.mjs" "$work/support/"
if [[ ! -d "$work/node_modules/phoenix" || ! -d "$work/node_modules/ws" ]]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
cd "$work" && node "$script" "$@"
