#!/usr/bin/env bash
# Runs every libFuzzer target (clang, ASan + UBSan) for SECONDS each and
# keeps what it finds: each target's corpus grows in build/fuzz-corpus/NAME,
# seeded from tests/fuzz. Not part of CI (CI runs the decoder for 20 s).
#   scripts/fuzz.sh [SECONDS=60] [TARGET...]   targets: decode config api http
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(decode config api http)
work=build/fuzz-work
mkdir -p "$work"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I.)
build() {
  case $1 in
    decode) clang++ "${flags[@]}" protocol/*.cpp tests/fuzz/decode_fuzzer.cpp -lsimdjson \
              -o "$work/decode_fuzzer" ;;
    config) clang++ "${flags[@]}" apps/tetherd/config.cpp apps/common/listen_address.cpp \
              storage/redis_url.cpp protocol/lease_rule.cpp protocol/url.cpp \
              tests/fuzz/config_fuzzer.cpp -lwebsockets -o "$work/config_fuzzer" ;;
    api)    clang++ "${flags[@]}" apps/tetherd/api_routes.cpp tests/fuzz/api_fuzzer.cpp \
              -o "$work/api_fuzzer" ;;
    http)   clang++ "${flags[@]}" apps/common/http_request_reader.cpp apps/tetherd/api_routes.cpp \
              tests/fuzz/http_fuzzer.cpp -lhttp_parser -o "$work/http_fuzzer" ;;
    *) echo "fuzz: no target $1"; exit 2 ;;
  esac
}
seed_of() {
  case $1 in
    decode) echo tests/fuzz/corpus ;;
    *) echo "tests/fuzz/$1_corpus" ;;
  esac
}
# rapidjson's benign "null pointer offset" (tests/ubsan.supp, as the sanitizer flavour)
export UBSAN_OPTIONS="suppressions=$PWD/tests/ubsan.supp:print_stacktrace=1"
for t in "${targets[@]}"; do
  build "$t"
  corpus=build/fuzz-corpus/$t
  mkdir -p "$corpus"
  cp -n "$(seed_of "$t")"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s (corpus $corpus)"
  "$work/${t}_fuzzer" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/${t}-" "$corpus" 2>&1 | grep -E "^(stat::number_of_executed_units|Done|==|SUMMARY)" || true
  found=$(compgen -G "$work/${t}-*" || true)
  if [[ -n "$found" ]]; then
    echo "fuzz: $t FOUND something: $found"; exit 1
  fi
done
