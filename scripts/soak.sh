#!/usr/bin/env bash
# The soak (not part of CI; docs/reliability.md, "Soak"):
#   scripts/soak.sh [SECONDS=3600] [ACCOUNTS=1000] [BUILD_DIR=build]
# Runs tetherd with ACCOUNTS accounts against tether-hub for SECONDS while
# pushes flow (PUSH_RATE per second, default 20) and the hub is bounced
# every BOUNCE_S seconds (default 300); samples RSS, descriptors, threads and
# actors every 10 s and exits non-zero if they grew. The report (JSON, every
# sample) goes to BUILD_DIR/soak-report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600} accounts=${2:-1000} build=${3:-build}
[[ -x "$build/apps/tetherd" ]] || { echo "soak: build first (scripts/test.sh)" >&2; exit 2; }
# 1,000 accounts hold 2,000+ descriptors in the daemon (a socket each, the API).
ulimit -n "$(ulimit -Hn)"
work=$build/soak
mkdir -p "$work/soak" "$work/support" # mirrors tests/
cp tests/soak/soak.mjs "$work/soak/"
cp tests/support/child_output.mjs "$work/support/"
TETHERD=$PWD/$build/apps/tetherd HUB=$PWD/$build/apps/tether-hub SOAK_SECONDS=$seconds \
ACCOUNTS=$accounts REPORT=$PWD/$build/soak-report.json node "$work/soak/soak.mjs"
