#!/usr/bin/env bash
# Installs tether's build and test dependencies from Debian's repository.
# Idempotent: runs `apt-get update` once, and only when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcaf-dev                # CAF 0.17.6: actors, typed interfaces, test scheduler
  libwebsockets-dev libssl-dev openssl
  libev-dev                 # the transport's epoll loop under libwebsockets
  libhttp-parser-dev        # the control API's HTTP/1.1 request framing
  libhiredis-dev redis-server # the Redis lease store and its tests
  libsimdjson-dev           # decoding
  rapidjson-dev             # encoding (Writer + RawValue)
  nlohmann-json3-dev        # benchmark reference only
  libfmt-dev
  catch2                    # v2.13
  libbenchmark-dev          # Google Benchmark
  clang libclang-rt-14-dev  # libFuzzer + sanitizers for the fuzz target
  libtomlplusplus-dev       # tetherd's config
  libsqlite3-dev            # tetherd's SQLite storage
  libsystemd-dev            # tetherd's sd_notify (READY, STOPPING, watchdog)
  gnuplot-nox               # bench/run's plots
  curl                      # the README's demo requests
  iproute2 iptables         # tests/faults: network namespaces, veth, packet loss
  nodejs npm                # conformance client (official phoenix JS client)
)

# The reference Phoenix peer (tests/CMakeLists.txt builds it from
# ../shared/phoenix-peer when that folder is there): Elixir and Erlang.
if [[ -d "$(dirname "$0")/../../shared/phoenix-peer" ]]; then
  packages+=(elixir erlang-dev erlang-xmerl erlang-os-mon)
fi
# The OTP supervisor oracle (tests/supervision/otp_parity.sh runs
# ../shared/otp-oracle/oracle.escript): escript, from erlang-base.
if [[ -d "$(dirname "$0")/../../shared/otp-oracle" ]]; then
  packages+=(erlang-base)
fi

missing=()
for p in "${packages[@]}"; do
  # a package counts as present only when dpkg says it is fully installed
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# node/npm may come from outside Debian on some images: accept any working ones
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]} == 0)); then
  echo "setup: all dependencies present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
