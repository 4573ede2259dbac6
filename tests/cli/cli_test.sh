#!/usr/bin/env bash
# The command-line conventions of every binary (issue 14, item 7):
# --help goes to stdout and exits 0; --version prints the one version from
# CMake; an unknown option is named on stderr with exit 2; counts read right.
#   cli_test.sh VERSION TETHERD TETHER_HUB [TETHERCTL]
set -uo pipefail
version=$1 tetherd=$2 hub=$3 tetherctl=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME CMD...: stdout, stderr and the exit code into $work/NAME.{out,err,rc}
run() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}
expect_rc() { [[ $(cat "$work/$1.rc") == "$2" ]] || fail "$1: exit $(cat "$work/$1.rc"), wanted $2"; }
expect_in() { grep -qF -- "$3" "$work/$1.$2" || fail "$1: $2 lacks '$3': $(head -c 300 "$work/$1.$2")"; }
expect_empty() { [[ ! -s "$work/$1.$2" ]] || fail "$1: $2 is not empty: $(head -c 300 "$work/$1.$2")"; }

for bin in "$tetherd" "$hub" ${tetherctl:+"$tetherctl"}; do
  name=$(basename "$bin")
  run "$name-help" "$bin" --help
  expect_rc "$name-help" 0
  expect_in "$name-help" out "--version"
  expect_empty "$name-help" err

  run "$name-version" "$bin" --version
  expect_rc "$name-version" 0
  [[ $(cat "$work/$name-version.out") == "$name $version" ]] \
    || fail "$name --version printed '$(cat "$work/$name-version.out")', wanted '$name $version'"

  run "$name-unknown" "$bin" --frobnicate
  expect_rc "$name-unknown" 2
  expect_in "$name-unknown" err "--frobnicate"
  expect_empty "$name-unknown" out
done

# tetherd: a missing value is named, and so is a missing --config.
run tetherd-noconfig "$tetherd" --check
expect_rc tetherd-noconfig 2
expect_in tetherd-noconfig err "--config"
run tetherd-novalue "$tetherd" --config
expect_rc tetherd-novalue 2
expect_in tetherd-novalue err "--config needs a file"

# tetherd --check counts in words that agree with the number.
cat >"$work/one.toml" <<'TOML'
[api]
listen = "127.0.0.1:0"
token = "t"
[[account]]
name = "alice"
url = "ws://127.0.0.1:4000/socket/websocket"
TOML
run tetherd-one "$tetherd" --config "$work/one.toml" --check
expect_rc tetherd-one 0
expect_in tetherd-one out "(1 account)"

# tether-hub: a port is 0..65535 (99999 used to listen on 99999 mod 65536).
run hub-bigport "$hub" --port 99999
expect_rc hub-bigport 2
expect_in hub-bigport err "--port takes a number from 0 to 65535, not 99999"
run hub-noport "$hub" --port
expect_rc hub-noport 2
expect_in hub-noport err "--port needs a value"
run hub-nohost "$hub" --host
expect_rc hub-nohost 2
expect_in hub-nohost err "--host needs a value"

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "every binary follows the command-line conventions"
