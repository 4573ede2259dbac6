#!/usr/bin/env bash
# The ThreadSanitizer flavour (docs/testing.md, "ThreadSanitizer"):
#   scripts/tsan.sh [ctest arguments...]
# 1. builds CAF 0.17.6 from ../shared/caf-src with -fsanitize=thread into
#    build-tsan/caf (once; kept between runs, rebuilt if the tarball changes),
# 2. builds tether with TETHER_SANITIZE_THREAD against it (build-tsan),
# 3. runs the suites under TSan (halt on the first report; the suppressions
#    in tests/tsan.supp each name why a report is CAF's own).
# Debian's libcaf is not instrumented: TSan would see none of CAF's
# synchronisation and report nearly every message hand-off.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tarball=${TETHER_CAF_SRC:-$root/../shared/caf-src/actor-framework_0.17.6.orig.tar.gz}
[[ -f "$tarball" ]] || { echo "tsan: no CAF sources at $tarball" >&2; exit 2; }
jobs=$(nproc)
caf_dir=$root/build-tsan/caf
stamp=$caf_dir/installed.sha256
sum=$(sha256sum "$tarball" | cut -d' ' -f1)

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$sum" ]]; then
  echo "tsan: building CAF with -fsanitize=thread (once, about 15 minutes on 2 cores)"
  rm -rf "$caf_dir"
  mkdir -p "$caf_dir/src"
  tar xzf "$tarball" -C "$caf_dir/src" --strip-components=1
  # GCC 12's headers no longer pull <limits> in through <memory>; CAF 0.17.6
  # predates that (Debian's package carries the same one-line fix).
  sed -i 's|#include <cstddef>|#include <cstddef>\n#include <limits>|' \
    "$caf_dir/src/libcaf_io/caf/io/network/receive_buffer.hpp"
  cmake -S "$caf_dir/src" -B "$caf_dir/build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
    -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
    -DCMAKE_INSTALL_PREFIX="$caf_dir/install" \
    -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENCL=yes \
    -DCAF_NO_OPENSSL=yes -DCAF_NO_PYTHON=yes -DCAF_NO_TOOLS=yes \
    -DCAF_NO_SUMMARY=yes >/dev/null
  cmake --build "$caf_dir/build" -j "$jobs"
  cmake --install "$caf_dir/build" >/dev/null
  echo "$sum" >"$stamp"
fi

cmake -S . -B build-tsan/tether -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTETHER_SANITIZE_THREAD=ON -DCMAKE_PREFIX_PATH="$caf_dir/install" \
  -DTETHER_PHOENIX_PEER_DIR="$root/build/phoenix-peer" >/dev/null
cmake --build build-tsan/tether -j "$jobs"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
  ctest --test-dir build-tsan/tether --output-on-failure -j "$jobs" "$@"
