#!/usr/bin/env bash
# The OTP parity test: runs the oracle's scenarios on the real Erlang/OTP
# supervisor (escript) and on tether's (otp_parity_trace), applies the one
# table of excused differences (otp_parity.sed) to both, and diffs them.
#   otp_parity.sh TRACE_BINARY ORACLE_DIR
# Exits 77 (ctest: skipped) when escript or the oracle is missing.
set -euo pipefail
trace_bin=$1
oracle_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -f "$oracle_dir/oracle.escript" ]]; then
  echo "skipped: no OTP oracle at $oracle_dir (../shared/otp-oracle)"
  exit 77
fi
if ! command -v escript >/dev/null; then
  echo "skipped: escript (Erlang/OTP) is not installed"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
escript "$oracle_dir/oracle.escript" >"$work/otp.raw"
"$trace_bin" >"$work/tether.raw"
[[ -s "$work/otp.raw" ]] || { echo "the oracle printed nothing"; exit 1; }
sed -f "$here/otp_parity.sed" "$work/otp.raw" >"$work/otp.txt"
sed -f "$here/otp_parity.sed" "$work/tether.raw" >"$work/tether.txt"
if diff -u --label "OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().' 2>/dev/null || true)" \
     --label tether "$work/otp.txt" "$work/tether.txt"; then
  echo "tether's supervisor matches OTP's in $(grep -c '^scenario ' "$work/otp.txt") scenarios"
else
  echo "tether's supervisor differs from OTP's (lines - OTP, + tether); excused differences are in $here/otp_parity.sed"
  exit 1
fi
