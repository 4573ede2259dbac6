#!/usr/bin/env bash
# Runs the hidden "[.dns]" transport test in a network namespace whose
# resolv.conf names 127.0.0.1, where nothing listens: a lookup fails at once
# and no DNS query leaves the machine (ip netns exec bind-mounts
# /etc/netns/NAME/resolv.conf over /etc/resolv.conf).
#   dns_run.sh INTEGRATION_TESTS_BINARY
# Exits 77 (skipped, with the reason) where a namespace cannot be made.
set -euo pipefail
binary=$1
skip() { echo "SKIPPED: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "no ip (iproute2)"
ns=tdns$$
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
}
trap cleanup EXIT
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace here"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$binary" "[.dns]"
