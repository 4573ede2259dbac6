#!/usr/bin/env bash
# Builds the Phoenix peer's permessage-deflate variant: the same sources,
# extracted afresh, with the endpoint saying `websocket: [compress: true]`
# (the one line Phoenix needs), compiled offline. A copy of the built peer
# cannot be recompiled: mix's manifests name the original folder, and a
# compile in the copy cleans the original's build. Idempotent.
#   phoenix_deflate.sh PEER_SOURCE PEER_DIR VARIANT_DIR
# PEER_SOURCE: ../shared/phoenix-peer (its tarball); PEER_DIR: the peer
# build.sh made (its start.sh and stop.sh are reused, and its MIX_HOME).
set -euo pipefail
source_dir=$1 peer=$2 variant=$3
if [[ -f "$variant/.built" ]]; then exit 0; fi
rm -rf "$variant"
mkdir -p "$variant"
tar xzf "$source_dir/phoenix-peer-src.tgz" -C "$variant"
endpoint="$variant/app/lib/phx_peer_web/endpoint.ex"
sed -i 's|socket "/socket", PhxPeerWeb.UserSocket, websocket: true,|socket "/socket", PhxPeerWeb.UserSocket, websocket: [compress: true],|' "$endpoint"
grep -q 'websocket: \[compress: true\]' "$endpoint" \
  || { echo "phoenix_deflate: the socket line was not found in $endpoint"; exit 1; }
cp "$peer/start.sh" "$peer/stop.sh" "$variant/"
export MIX_HOME="$variant/.mix" HEX_OFFLINE=1 MIX_ENV=prod
(cd "$variant/app" && mix compile >"$variant/compile.log" 2>&1) \
  || { echo "phoenix_deflate: mix compile failed (see $variant/compile.log)"; exit 1; }
touch "$variant/.built"
echo "phoenix_deflate: built in $variant"
