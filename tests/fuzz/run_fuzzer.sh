#!/usr/bin/env bash
# Builds the decoder fuzzer with clang's libFuzzer (+ASan/UBSan) and runs it
# for SECONDS on a scratch copy of the seed corpus. In CI the seed is fixed,
# so a run explores the same inputs each time; by hand it is random.
#   run_fuzzer.sh SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
src=$1 work=$2 seconds=$3
mkdir -p "$work"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
  -I"$src" "$src"/protocol/*.cpp "$src"/tests/fuzz/decode_fuzzer.cpp \
  -lsimdjson -o "$work/decode_fuzzer"
rm -rf "$work/corpus" && cp -r "$src/tests/fuzz/corpus" "$work/corpus"
seed=()
if [[ "${CI:-}" == "true" ]]; then seed=(-seed=20261122); fi
"$work/decode_fuzzer" "${seed[@]}" -max_total_time="$seconds" -max_len=4096 \
  -print_final_stats=1 "$work/corpus"
