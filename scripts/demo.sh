#!/usr/bin/env bash
# Starts the hello daemon under Deno, shows it as ps and its log see it, then
# leaves it running (stop it with: kill $(cat /tmp/daemonize-hello/hello.pid)).
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
pid_file=/tmp/daemonize-hello/hello.pid
deno run -A examples/hello.ts
echo "started: pid $(cat "$pid_file")"
ps -o pid,ppid,sid,tty,stat,args -p "$(cat "$pid_file")"
sleep 1.5
echo "--- /tmp/daemonize-hello/hello.log"
tail -n 3 /tmp/daemonize-hello/hello.log
