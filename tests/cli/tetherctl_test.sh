#!/usr/bin/env bash
# tetherctl end to end: a real tetherd (its API on a Unix socket, read from
# its config) against a real tether-hub on a free loopback port.
#   tetherctl_test.sh TETHERCTL TETHERD TETHER_HUB
set -uo pipefail
ctl=$1 tetherd=$2 hub=$3
work=$(mktemp -d)
hub_pid= daemon_pid=
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null
  [[ -n "$hub_pid" ]] && kill "$hub_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME ARGS...: tetherctl's stdout, stderr and exit code in $work/NAME.*
run() {
  local name=$1; shift
  timeout 20 "$ctl" --config "$work/d.toml" "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}
expect_rc() { [[ $(cat "$work/$1.rc") == "$2" ]] || fail "$1: exit $(cat "$work/$1.rc"), wanted $2 ($(cat "$work/$1.err"))"; }
expect_in() { grep -qF -- "$3" "$work/$1.$2" || fail "$1: $2 lacks '$3': $(head -c 400 "$work/$1.$2")"; }
# until NAME PATTERN ARGS...: runs tetherctl until its stdout holds PATTERN (10 s at most)
until_out() {
  local name=$1 pattern=$2; shift 2
  for _ in $(seq 100); do
    run "$name" "$@"
    grep -qF -- "$pattern" "$work/$name.out" && return 0
    sleep 0.1 # polling the daemon's state through the API, with a deadline
  done
  fail "$name: never showed '$pattern': $(cat "$work/$name.out" "$work/$name.err")"
}

"$hub" --port 0 >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
for _ in $(seq 100); do grep -q listening "$work/hub.out" && break; sleep 0.1; done
url=$(grep -o 'ws://[^ ]*' "$work/hub.out")
[[ -n "$url" ]] || { echo "tether-hub did not start: $(cat "$work/hub.err")"; exit 1; }

write_config() { # accounts as "name" lines after the first argument
  {
    printf 'log = "json"\n[api]\nlisten = "unix:%s/api.sock"\ntoken = "t0k"\n' "$work"
    for name in "$@"; do
      printf '[[account]]\nname = "%s"\nurl = "%s"\ntopics = ["room:a"]\n' "$name" "$url"
    done
  } >"$work/d.toml"
}
write_config alice

run check check
expect_rc check 0
expect_in check out "is valid (1 account)"

# nothing listens yet: 3, with the reason
run down status
expect_rc down 3
expect_in down err "cannot reach the control API"

"$tetherd" --config "$work/d.toml" 2>"$work/daemon.log" &
daemon_pid=$!

until_out joined '"room:a":"joined"' status alice --json
run table status
expect_rc table 0
expect_in table out "ACCOUNT"
expect_in table out "room:a=joined"
# account, node (the host's name), state, uptime of the socket
grep -Eq "^alice +$(uname -n) +joined +[0-9]+s " "$work/table.out" \
  || fail "status table: $(cat "$work/table.out")"

run echo push alice room:a echo '{"n":1}'
expect_rc echo 0
expect_in echo out '{"status":"ok","response":{"n":1}}'
run rejected push alice room:a err
expect_rc rejected 1
expect_in rejected err "422 rejected"
run nobody push nobody room:a echo
expect_rc nobody 1
expect_in nobody err "404 unknown_account"
run badjson push alice room:a echo '[1]'
expect_rc badjson 2
expect_in badjson err "PAYLOAD must be a JSON object"

# the event stream, filtered by account and topic
timeout 20 "$ctl" --config "$work/d.toml" events --account alice --topic room:b --json \
  >"$work/events.out" 2>"$work/events.err" &
events_pid=$!
until_out streaming '"room:a"' status alice --json # the stream is open once events flow
run join join alice room:b
expect_rc join 0
for _ in $(seq 100); do grep -q topic_joined "$work/events.out" && break; sleep 0.1; done
kill "$events_pid" 2>/dev/null
grep -q '"type":"topic_joined","topic":"room:b"' "$work/events.out" \
  || fail "events: no topic_joined for room:b: $(cat "$work/events.out" "$work/events.err")"
grep -q '"room:a"' "$work/events.out" && fail "events: --topic room:b let room:a through"
run unknown_stream events --account nobody
expect_rc unknown_stream 1
expect_in unknown_stream err "404 unknown_account"

# presence: alice joins presence:lobby as "al"; the list names her
run pjoin join alice presence:lobby '{"user":"al","meta":{"m":1}}'
expect_rc pjoin 0
until_out presence 'al  1  {"phx_ref"' presence alice presence:lobby
run presence_json presence alice presence:lobby --json
expect_in presence_json out '"list":[{"key":"al"'
run presence_unknown presence alice presence:none
expect_rc presence_unknown 1
expect_in presence_unknown err "404 unknown_topic"

run leave leave alice room:b
expect_rc leave 0
until_out left '"room:a":"joined"}' status alice --json

# reload through the API: bob is added; a broken config is refused with its reason
write_config alice bob
run reload reload
expect_rc reload 0
until_out bob '"name":"bob"' status --json
# tetherctl cannot read a broken config either: --api and a token file
# reach the daemon without it
printf 't0k\n' >"$work/token"
chmod 600 "$work/token"
cp "$work/d.toml" "$work/good.toml"
echo 'oops =' >>"$work/d.toml"
run badconfig status
expect_rc badconfig 2
expect_in badconfig err "d.toml:"
timeout 20 "$ctl" --api "unix:$work/api.sock" --token-file "$work/token" reload \
  >"$work/badreload.out" 2>"$work/badreload.err"
echo $? >"$work/badreload.rc"
expect_rc badreload 1
expect_in badreload err "422 reload_refused"
cp "$work/good.toml" "$work/d.toml"

run disconnect disconnect alice
expect_rc disconnect 0
until_out disconnected '"state":"disconnected"' status alice --json
run reconnect reconnect alice
expect_rc reconnect 0
until_out rejoined '"state":"joined"' status alice --json

run badcmd frobnicate
expect_rc badcmd 2
expect_in badcmd err "unknown command frobnicate"

if ((failures)); then
  echo "$failures failure(s); the daemon's log:"
  tail -20 "$work/daemon.log"
  exit 1
fi
echo "tetherctl drove a real tetherd through every command"
