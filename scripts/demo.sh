#!/usr/bin/env bash
# The demo: starts examples/hello.ts as a daemon under Deno, shows it with the
# daemonize command's status and with ps, prints its log, and ends with the
# one command that stops it. State goes to $DAEMONIZE_HOME (default
# /tmp/daemonize-demo), emptied of an earlier run's hello first.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export DAEMONIZE_HOME="${DAEMONIZE_HOME:-/tmp/daemonize-demo}"
deno run -A examples/hello.ts stop >/dev/null
rm -f "$DAEMONIZE_HOME/hello.log"
deno run -A examples/hello.ts start
deno run -A mod.ts status hello
ps -o pid,ppid,sid,tty,stat,args -p "$(cat "$DAEMONIZE_HOME/hello.pid")"
sleep 1.5
echo "--- $DAEMONIZE_HOME/hello.log"
tail -n 3 "$DAEMONIZE_HOME/hello.log"
echo "--- it runs on; stop it with:"
echo "DAEMONIZE_HOME=$DAEMONIZE_HOME node_modules/.bin/deno run -A examples/hello.ts stop"
