#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, builds examples/ against it
# with find_package(tether), and runs the examples: the supervision one on
# its own, the embedding one against tether-hub on a free loopback port.
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/tether/testing.hpp"
# What the unit and the docs promise is installed, with this prefix's paths.
prefix=$work/prefix
for f in lib/systemd/system/tetherd.service share/man/man8/tetherd.8 share/man/man1/tether-hub.1 share/man/man1/tetherctl.1 \
         share/doc/tether/operations.md share/doc/tether/LICENSE share/doc/tether/CHANGELOG.md; do
  test -f "$prefix/$f" || { echo "not installed: $f"; exit 1; }
done
unit=$prefix/lib/systemd/system/tetherd.service
doc=$(sed -n 's|^Documentation=.*file://\([^ ]*\).*|\1|p' "$unit")
bin=$(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p' "$unit")
[[ "$doc" == */share/doc/tether/operations.md && "$bin" == */bin/tetherd ]] \
  || { echo "the unit names $doc and $bin"; exit 1; }
cmake -S "$source_dir/examples" -B "$work/examples" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/examples"
"$work/examples/supervised_worker"
"$work/examples/virtual_time"          # tether::testing, tether::protocol
"$work/examples/sqlite_records" "$work" # tether::sqlite

"$build_dir/apps/tether-hub" --port 0 >"$work/hub.out" 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null || true' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'ws://[^ ]*' "$work/hub.out" || true)
  [ -n "$url" ] && break
  sleep 0.1 # waiting for the hub process to print its port
done
[ -n "$url" ]
out=$("$work/examples/embed_phoenix" "$url") || { echo "embed_phoenix failed: $out"; exit 1; }
echo "$out"
grep -q '^reply {"hello":"world"}$' <<<"$out"

# tether::redis: two runtimes, one Redis (on a Unix socket of this test's own)
redis-server --port 0 --unixsocket "$work/redis.sock" --unixsocketperm 700 --save '' \
  --appendonly no --dir "$work" >"$work/redis.out" 2>&1 &
redis=$!
trap 'kill $hub $redis 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -S "$work/redis.sock" ] && break
  sleep 0.1 # waiting for the redis process to listen
done
out=$(timeout 60 "$work/examples/cluster_lease" "unix:$work/redis.sock" "$url") \
  || { echo "cluster_lease failed: $out"; exit 1; }
echo "$out"
grep -q "^node-1: started" <<<"$out"
grep -q "^node-2: already_running.*node-1" <<<"$out"
grep -q "^node-2 after node-1 stopped: started" <<<"$out"
