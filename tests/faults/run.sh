#!/usr/bin/env bash
# Fault injection on a real network path (docs/reliability.md, "Faults"):
# makes two network namespaces joined by a veth pair, runs tether-hub and a
# delaying proxy in the server's, tetherd and the driver (faults.mjs) in the
# client's, and removes both namespaces (and with them the veth) at the end.
#   run.sh SOURCE_DIR WORK_DIR TETHERD HUB
# Exits 77 (skipped, with the reason) where namespaces or iptables cannot be
# had. The addresses are RFC 2544's benchmarking range, 198.18.0.0/30; they
# exist only inside the two namespaces, so no packet leaves this machine.
set -euo pipefail
src=$1 work=$2 tetherd=$3 hub=$4
skip() { echo "SKIPPED: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v iptables >/dev/null || skip "no iptables (scripts/setup.sh installs it)"

client=tfc$$ server=tfs$$ cdev=tfc$$v sdev=tfs$$v
cleanup() {
  ip netns pids "$client" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$server" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$client" 2>/dev/null || true
  ip netns del "$server" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$client" 2>/dev/null || skip "cannot create a network namespace here"
ip netns add "$server"
ip link add "$cdev" type veth peer name "$sdev"
ip link set "$cdev" netns "$client"
ip link set "$sdev" netns "$server"
ip -n "$client" addr add 198.18.0.1/30 dev "$cdev"
ip -n "$server" addr add 198.18.0.2/30 dev "$sdev"
for ns in "$client" "$server"; do ip -n "$ns" link set lo up; done
ip -n "$client" link set "$cdev" up
ip -n "$server" link set "$sdev" up
ip netns exec "$server" iptables -w -L INPUT >/dev/null 2>&1 \
  || skip "iptables does not work in a namespace here"
ip netns exec "$server" iptables -w -A INPUT -m statistic --mode random --probability 0.5 \
    -j ACCEPT 2>/dev/null || skip "iptables has no statistic match here"
ip netns exec "$server" iptables -w -F

mkdir -p "$work"
mkdir -p "$work/faults" "$work/support" # WORK mirrors tests/
cp "$src/faults.mjs" "$src/delay_proxy.mjs" "$work/faults/"
cp "$src/../support/child_output.mjs" "$work/support/"
cp "$src/../tetherd/package.json" "$work/"
if [[ ! -d "$work/node_modules/ws" ]]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
cd "$work/faults"
TETHERD=$tetherd HUB=$hub SERVER_NS=$server SERVER_ADDR=198.18.0.2 SERVER_DEV=$sdev \
FIGURES=$work/figures.json ip netns exec "$client" node faults.mjs
