#!/usr/bin/env bash
# demo.sh's port check (scripts/free_ports.sh): a taken port is named, with
# its program, and stops the demo; free ports pass.
set -uo pipefail
check=$1
node -e '
  const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port);
  });
  setTimeout(() => process.exit(0), 20000);' >"${TMPDIR:-/tmp}/free_ports.$$" &
holder=$!
trap 'kill $holder 2>/dev/null' EXIT
for _ in $(seq 100); do [[ -s "${TMPDIR:-/tmp}/free_ports.$$" ]] && break; sleep 0.05; done
port=$(cat "${TMPDIR:-/tmp}/free_ports.$$")
rm -f "${TMPDIR:-/tmp}/free_ports.$$"
[[ -n "$port" ]] || { echo "no port held"; exit 1; }
out=$(bash "$check" "$port" 2>&1); rc=$?
[[ $rc == 1 ]] || { echo "FAIL: a taken port passed (exit $rc)"; exit 1; }
[[ "$out" == "port $port on 127.0.0.1 is taken (by node); stop that first" ]] \
  || { echo "FAIL: said '$out'"; exit 1; }
kill $holder; wait $holder 2>/dev/null
out=$(bash "$check" "$port" 2>&1) || { echo "FAIL: a free port was refused: $out"; exit 1; }
echo "a taken port is named with its program; a free one passes"
