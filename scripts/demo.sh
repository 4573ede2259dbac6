#!/usr/bin/env bash
# The newcomer path: set up, build, start tether-hub on 127.0.0.1:4000 and
# run tetherd with apps/tetherd/demo.toml in the foreground (Ctrl-C drains
# and stops both). In a second terminal:
#   curl -s -H 'Authorization: Bearer demo-token' localhost:4100/accounts
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target tetherd tether-hub
mkdir -p /tmp/tetherd-demo
build/apps/tether-hub --port 4000 &
hub=$!
trap 'kill $hub 2>/dev/null || true' EXIT
build/apps/tetherd --config apps/tetherd/demo.toml
