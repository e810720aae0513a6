#!/usr/bin/env bash
# Runs the README's shell examples as written, so they cannot rot. Every
# ```sh block is listed below as run or skipped (with the reason); a block
# added to the README without being listed fails the check. The examples run
# with `daemonize` on PATH (the Bun form of this checkout), the runtimes of
# node_modules on PATH, and a private state folder; whatever they start is
# stopped afterwards. Expects `npm install` to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'cleanup; rm -rf "$work"' EXIT

# Block number (in README order) and what to do with it.
declare -A plan=(
  [1]="run"                                    # the demo
  [2]="skip: it is this very test run"
  [3]="skip: installs into /usr/local/bin and ~/.deno/bin (sudo)"
  [4]="run"                                    # any program as a daemon
  [5]="run"                                    # CPU monitor
  [6]="run"                                    # disk alert (its mail server need not answer)
  [7]="run"                                    # backup
)
# What each run block leaves running, stopped afterwards.
declare -A stop=(
  [1]="deno run -A examples/hello.ts stop"
  [5]="deno run -A examples/cpu_monitor.ts stop"
  [6]="deno run -A examples/disk_alert.ts stop"
  [7]="deno run -A examples/backup.ts stop"
)

mkdir -p "$work/bin" "$work/home"
printf '#!/bin/sh\nexec %s/node_modules/.bin/bun %s/mod.ts "$@"\n' "$root" "$root" >"$work/bin/daemonize"
chmod 755 "$work/bin/daemonize"
export PATH="$work/bin:$root/node_modules/.bin:$PATH" DAEMONIZE_HOME="$work/home" NO_COLOR=1

cleanup() {
  for n in "${!stop[@]}"; do (cd "$root" && ${stop[$n]} >/dev/null 2>&1) || true; done
}

# The blocks, one file each (indentation of list items removed).
awk -v dir="$work" '
  /^ *```sh$/ { n++; file = dir "/block" n ".sh"; indent = match($0, /[^ ]/) - 1; next }
  /^ *```$/ { file = ""; next }
  file != "" { print substr($0, indent + 1) > file }
' README.md
count=$(ls "$work"/block*.sh | wc -l)
if [ "$count" -ne "${#plan[@]}" ]; then
  echo "README has $count shell blocks; scripts/readme_check.sh lists ${#plan[@]}: list the new one"
  exit 1
fi
failed=0
for n in $(seq 1 "$count"); do
  what=${plan[$n]}
  if [ "$what" != run ]; then
    echo "block $n: ${what}"
    continue
  fi
  if (cd "$root" && bash -e "$work/block$n.sh") >"$work/out$n" 2>&1; then
    echo "block $n: ok"
  else
    echo "block $n: FAILED"
    sed 's/^/    /' "$work/out$n" | tail -20
    failed=1
  fi
  if [ -n "${stop[$n]:-}" ]; then (cd "$root" && ${stop[$n]} >/dev/null 2>&1) || true; fi
done
exit "$failed"
