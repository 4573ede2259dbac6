# The one table of differences the OTP parity test excuses
# (tests/supervision/otp_parity.sh applies it to both traces; each rule can
# only match one side's lines). docs/supervision.md, "Parity with OTP",
# argues each rule; remove a rule and the test fails.

# D1. A supervisor that gives up exits with reached_max_restart_intensity,
# OTP's with shutdown (docs/supervision.md, difference 4). tether side.
s/^\(down [a-z0-9_]*\) reached_max_restart_intensity$/\1 shutdown/
s/^\(linked_exit [a-z0-9_]*\) reached_max_restart_intensity$/\1 shutdown/
s/^\(sup_report [a-z0-9_]* child_terminated [a-z0-9_]*\) reached_max_restart_intensity$/\1 shutdown/

# D2. Calls tether's types refuse at compile time (difference 9): a static
# supervisor has no terminate by actor, a template supervisor no terminate,
# restart or delete by id. OTP side: the call and its return.
/^call terminate_child <sup> <[a-z0-9_]*>$/{
  N
  /\nret {error,not_found}$/d
}
/^call \(terminate_child\|restart_child\|delete_child\) <sup> worker$/{
  N
  /\nret {error,simple_one_for_one}$/d
}

# D3. tether has no significant children (difference 10). OTP side.
s/,significant=>false,/,/
