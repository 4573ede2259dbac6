#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, builds examples/ against it
# with find_package(tether), and runs the example.
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3
rm -rf "$work"
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples" -B "$work/examples" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/examples"
"$work/examples/supervised_worker"
