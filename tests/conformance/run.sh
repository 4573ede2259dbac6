#!/usr/bin/env bash
# Installs the official phoenix client and ws from npm into WORK (once, cached
# in the build tree) and runs the conformance script against tether-hub.
#   run.sh SOURCE_DIR WORK_DIR HUB_BINARY
set -euo pipefail
src=$1 work=$2 hub=$3
mkdir -p "$work"
cp "$src/package.json" "$src/phoenix_client.mjs" "$work/"
if [[ ! -d "$work/node_modules/phoenix" || ! -d "$work/node_modules/ws" ]]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
cd "$work" && node phoenix_client.mjs "$hub"
