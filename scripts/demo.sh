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
# The demo's two ports must be free: a hub that cannot listen would leave
# tetherd retrying forever, so say so and stop instead.
scripts/free_ports.sh 4000 4100 || exit 1
ready=$(mktemp)
build/apps/tether-hub --port 4000 >"$ready" &
hub=$!
trap 'kill $hub 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 50); do
  grep -q listening "$ready" && break
  kill -0 "$hub" 2>/dev/null || { echo "demo: tether-hub did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q listening "$ready" || { echo "demo: tether-hub is not listening after 5 s" >&2; exit 1; }
build/apps/tetherd --config apps/tetherd/demo.toml
