#!/usr/bin/env bash
# Flakiness check (not part of CI): runs the whole ctest suite N times in a
# row on each built flavour and prints every failure with its run number.
#   scripts/stress.sh [N=20] [BUILD_DIR...]   (default: build-asan build)
# Build first (scripts/test.sh). Exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
shift || true
dirs=("$@")
((${#dirs[@]})) || dirs=(build-asan build)
# The sanitizer flavour runs with the options scripts/test.sh gives it.
sanitizer_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/ubsan.supp")
failed=0
for dir in "${dirs[@]}"; do
  [[ -d "$dir" ]] || { echo "stress: no $dir (run scripts/test.sh first)"; exit 2; }
  for i in $(seq "$runs"); do
    if [[ "$dir" == *asan* ]]; then
      out=$(env "${sanitizer_env[@]}" ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure 2>&1)
    else
      out=$(ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure 2>&1)
    fi
    if grep -q "tests passed, 0 tests failed" <<<"$out"; then
      echo "stress: $dir run $i of $runs: passed"
    else
      failed=$((failed + 1))
      echo "stress: $dir run $i of $runs: FAILED (the whole output: $dir/stress-run-$i.log)"
      printf '%s\n' "$out" >"$dir/stress-run-$i.log"
      sed -n '/The following tests FAILED/,$p' <<<"$out" | grep -E '^\s+[0-9]+ - '
    fi
  done
done
echo "stress: $failed failed run(s)"
((failed == 0))
