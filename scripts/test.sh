#!/usr/bin/env bash
# The test command (README, CI): installs dependencies if missing, builds the
# normal and the sanitizer flavour, runs every suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
# Both flavours test against one build of the Phoenix peer (about 40 s to make).
peer_dir=$PWD/build/phoenix-peer
run_flavour() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DTETHER_PHOENIX_PEER_DIR="$peer_dir" -DTETHER_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

# AddressSanitizer + UndefinedBehaviorSanitizer first, the normal build last,
# so that ctest's closing line is the plain build's summary.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/ubsan.supp \
  run_flavour build-asan -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=ON
run_flavour build -DCMAKE_BUILD_TYPE=RelWithDebInfo
