#!/usr/bin/env bash
# The demo: starts examples/hello.ts as a daemon under Deno, shows it with the
# daemonize command's status and with ps, and prints its log. The daemon is
# left running; stop it with:
#   DAEMONIZE_HOME=/tmp/daemonize-demo node_modules/.bin/deno run -A mod.ts stop hello
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" DAEMONIZE_HOME=/tmp/daemonize-demo
deno run -A examples/hello.ts stop >/dev/null
deno run -A examples/hello.ts start
deno run -A mod.ts status hello
ps -o pid,ppid,sid,tty,stat,args -p "$(cat "$DAEMONIZE_HOME/hello.pid")"
sleep 1.5
echo "--- $DAEMONIZE_HOME/hello.log"
tail -n 3 "$DAEMONIZE_HOME/hello.log"
