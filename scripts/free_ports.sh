#!/usr/bin/env bash
# Exits 0 if every PORT on 127.0.0.1 is free; else names the first one taken
# (and, where ss can tell, by which program) and exits 1.
#   scripts/free_ports.sh PORT...
for port in "$@"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    who=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*"' | cut -d'"' -f2 | head -1)
    echo "port $port on 127.0.0.1 is taken${who:+ (by $who)}; stop that first" >&2
    exit 1
  fi
done
