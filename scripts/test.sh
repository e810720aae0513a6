#!/usr/bin/env bash
# Runs every check and every test, under Deno, under Bun and against the built
# binary, and ends with one
# line "N passed, N failed" counting all of them. Exit status 0 only if none
# failed. Expects `npm install` to have run.
set -u
# --long: the fuzzers and the soak run a hundred and ten times longer.
if [ "${1:-}" = "--long" ]; then export FUZZ_LONG=1 LOAD_LONG=1; fi
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

gate() { # gate NAME COMMAND...: one check that passes or fails as a whole
  local name=$1
  shift
  if "$@" >"$log/$name" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/     /' "$log/$name" | tail -40
  fi
}

count() { # count NAME PASSED FAILED: adds a runner's totals
  echo "$1: $2 passed, $3 failed"
  passed=$((passed + $2))
  failed=$((failed + $3))
}

# Real clients the tests use, from Debian: systemd-analyze checks the units
# `daemonize unit` prints; promtool and prometheus read `status --prometheus`
# and scrape `serve`; chromium loads `serve`'s page.
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v promtool >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") >/dev/null 2>&1 ||
    echo "could not install ${missing[*]}: the tests that use them will fail or say they were skipped"
fi

gate fmt deno fmt --check
gate lint deno lint
gate check deno check *.ts src/ ffi/ tests/ scripts/ examples/
gate doc-lint deno doc --lint mod.ts daemonize.ts control.ts manage.ts notify.ts logger.ts every.ts socket_activation.ts
gate publish-dry-run deno publish --dry-run --allow-dirty
gate readme-examples bash scripts/readme_check.sh
gate structure deno run -A scripts/structure_check.ts

deno test -A tests/ 2>&1 | tee "$log/deno-test"
line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log/deno-test" | tail -1)
if [ -n "$line" ]; then
  count "deno test" "$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$line")" \
    "$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$line")"
else
  count "deno test (did not finish)" 0 1
fi

bun_count() { # bun_count NAME LOG: adds the totals `bun test` printed
  local pass fail
  pass=$(grep -E '^ *[0-9]+ pass$' "$2" | tail -1 | tr -dc 0-9)
  fail=$(grep -E '^ *[0-9]+ fail$' "$2" | tail -1 | tr -dc 0-9)
  if [ -n "$pass" ]; then
    count "$1" "$pass" "${fail:-0}"
  else
    count "$1 (did not finish)" 0 1
  fi
}

bun test tests/ 2>&1 | tee "$log/bun-test"
bun_count "bun test" "$log/bun-test"

# The tests of the command, run again against the built binary: one file a line.
binary_tests=(
  tests/cli_test.ts
  tests/process_tree_test.ts
  tests/supervisor_test.ts
  tests/health_test.ts
  tests/ready_test.ts
  tests/unit_test.ts
  tests/notify_test.ts
  tests/socket_activation_test.ts
  tests/hostile_pid_test.ts
  tests/fuzz_test.ts
  tests/load_test.ts
  tests/build_test.ts
  tests/secrets_test.ts
  tests/adoption_test.ts
  tests/log_faults_test.ts
  tests/order_test.ts
  tests/enable_test.ts
  tests/reboot_test.ts
  tests/daemon_set_test.ts
  tests/env_file_start_test.ts
  tests/multi_logs_test.ts
  tests/on_failure_test.ts
  tests/watch_test.ts
  tests/metrics_test.ts
  tests/cron_test.ts
  tests/serve_test.ts
)
gate build-binary deno run -A scripts/build.ts
if [ -x dist/daemonize ]; then
  DAEMONIZE_TEST_BINARY="$PWD/dist/daemonize" bun test "${binary_tests[@]}" 2>&1 | tee "$log/binary-test"
  bun_count "binary test" "$log/binary-test"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
