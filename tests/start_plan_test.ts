/**
 * The plan of a start, checked without starting anything: how each kind of
 * start detaches, what command and descriptors the daemon gets, and how the
 * starter judges it ready.
 */
import assert from "node:assert/strict";
import { platformConstants } from "../ffi/platform.ts";
import { type DaemonOptions, resolveOptions } from "../src/options.ts";
import type { Command } from "../src/start/relaunch.ts";
import { type DirectStart, planStart, type ProgramStart, startActions } from "../src/start/plan.ts";
import { DEFAULTS } from "../src/defaults.ts";
import { test } from "./harness.ts";

const token = "DAEMONIZE_TOKEN=t0k3n";
const direct: DirectStart = {
  path: "sleep",
  argv: ["sleep", "1000"],
  env: ["PATH=/usr/bin:/bin", "NOTIFY_SOCKET=/run/systemd/notify"],
  workingDirectory: "/",
  umask: 0o022,
  preventCore: true,
};
const sleeper: ProgramStart = { name: "sleep", grace: 100, direct };

/** The plan for `options` and `program`; records the command started again, if it is read. */
function plan(options: DaemonOptions, program?: ProgramStart) {
  const relaunched: { readyFd?: number; env?: readonly string[] } = {};
  const result = planStart({
    options: resolveOptions(options, "/"),
    program,
    extraEnv: [token],
    relaunch: (readyFd, extraEnv): Command => {
      relaunched.readyFd = readyFd;
      relaunched.env = extraEnv;
      return { path: "/usr/bin/deno", argv: ["deno", "run", "app.ts"], env: [...extraEnv] };
    },
  });
  return { ...result, relaunched };
}

test("a program without set-up of its own is started directly, under a watching shell", () => {
  const p = plan({}, sleeper);
  assert.equal(p.detach, "direct");
  assert.equal(p.watch, true);
  assert.equal(p.endReport, "shell");
  assert.deepEqual(p.judge, { kind: "grace", ms: 100 });
  assert.equal(p.command.path, "/bin/sh");
  assert.match(
    p.command.argv[2]!,
    /^trap '' TSTP TTIN TTOU; sh -c 'echo "PID \$\$" >&3; exec "\$@" 3>&- 4>&-'/,
  );
  assert.deepEqual(p.command.argv.slice(3), ["sh", "sleep", "1000"]);
  // Its own environment, the token of this start, and no NOTIFY_SOCKET of ours.
  assert.deepEqual(p.command.env, ["PATH=/usr/bin:/bin", token]);
  assert.equal(p.relaunched.readyFd, undefined, "the runtime is not started again");
});

test("the library's start runs the program again behind a shell that leaves, ready by its word", () => {
  const p = plan({});
  assert.equal(p.detach, "double");
  assert.equal(p.watch, false);
  assert.equal(p.endReport, "none");
  assert.deepEqual(p.judge, { kind: "daemon" });
  assert.deepEqual(p.command.argv.slice(0, 3), ["sh", "-c", '"$@" &']);
  assert.deepEqual(p.command.argv.slice(3), ["sh", "/usr/bin/deno", "run", "app.ts"]);
  assert.equal(p.relaunched.readyFd, 3);
  assert.deepEqual(p.relaunched.env, [token]);
});

test("a single detach starts the program again as the session leader, its end heard as our child's", () => {
  const p = plan({ singleDetach: true }, { ...sleeper, direct: undefined });
  assert.equal(p.detach, "single");
  assert.equal(p.endReport, "child");
  assert.equal(p.command.path, "/usr/bin/deno");
  // A single detach never starts the program directly, even when it could be.
  assert.equal(plan({ singleDetach: true }, sleeper).detach, "single");
});

test("a program that needs the runtime's set-up (a user to become) is watched by a shell that stays", () => {
  const p = plan({}, { name: "app", grace: 100 });
  assert.equal(p.detach, "double");
  assert.equal(p.watch, true);
  assert.equal(p.endReport, "shell");
  assert.match(p.command.argv[2]!, /wait \$!; echo "EXIT \$\?" >&4$/);
  // Without a grace period, nothing is watched.
  assert.equal(plan({}, { name: "app", grace: 0 }).watch, false);
});

test("a supervised program is judged by what its supervisor reports on the readiness pipe", () => {
  const p = plan({}, { name: "app", grace: 100, supervised: true });
  assert.equal(p.watch, false);
  assert.equal(p.endReport, "supervisor");
  assert.deepEqual(p.judge, { kind: "grace", ms: 100 });
});

test("without a grace period a program is judged by its settling, watched in every detach", () => {
  assert.deepEqual(plan({}, { name: "app" }).judge, {
    kind: "settle",
    minimum: DEFAULTS.settleMinimum,
    limit: DEFAULTS.settleLimit,
  });
  assert.deepEqual(plan({}, { name: "app", settleLimit: 900 }).judge, {
    kind: "settle",
    minimum: DEFAULTS.settleMinimum,
    limit: 900,
  });
  assert.equal(plan({}, { name: "app" }).watch, true);
  assert.equal(plan({}, { ...sleeper, grace: undefined }).endReport, "shell");
  assert.equal(plan({}, { name: "app", supervised: true }).endReport, "supervisor");
});

test("--notify and readiness checks judge the start instead of the grace period", () => {
  assert.deepEqual(plan({}, { ...sleeper, notify: true }).judge, { kind: "notify" });
  const check = { port: 8080 };
  assert.deepEqual(plan({}, { ...sleeper, ready: check }).judge, { kind: "check", check });
  // A check needs a watcher even with no grace period.
  assert.equal(plan({}, { name: "app", grace: 0, ready: check }).watch, true);
});

test("a preserved descriptor moves the readiness pipe above it, and past 8 no shell can name it", () => {
  const p = plan({ filesPreserve: [5] }, sleeper);
  assert.equal(p.readyFd, 6);
  assert.equal(p.detach, "direct");
  assert.match(p.command.argv[2]!, />&6; exec "\$@" 6>&- 7>&-/);
  const high = plan({ filesPreserve: [8] }, sleeper);
  assert.equal(high.readyFd, 9);
  assert.equal(high.detach, "double");
  assert.equal(high.relaunched.readyFd, 9);
});

test("the daemon gets its streams, the preserved descriptors and the pipes, and nothing else", () => {
  const c = platformConstants("linux")!;
  const append = c.O_WRONLY | c.O_CREAT | c.O_APPEND;
  const options = resolveOptions({ stdout: "/var/log/a.log", filesPreserve: [4] }, "/");
  assert.deepEqual(startActions(options, c, 10, 11), [
    { open: { fd: 0, path: "/dev/null", flags: 0, mode: 0 } },
    { open: { fd: 1, path: "/var/log/a.log", flags: append, mode: 0o644 } },
    { open: { fd: 2, path: "/dev/null", flags: append, mode: 0o644 } },
    { dup2: { from: 4, to: 4 } },
    { dup2: { from: 10, to: 5 } },
    { dup2: { from: 11, to: 6 } },
    { close: 3 },
    { closeFrom: 7 },
  ]);
  // One log for both streams is opened once.
  const shared = resolveOptions({ stdout: "/l", stderr: "/l" }, "/");
  assert.deepEqual(startActions(shared, c, 10)[2], { dup2: { from: 1, to: 2 } });
  assert.deepEqual(startActions(shared, c, 10).at(-1), { closeFrom: 4 });
});

test("sockets passed by socket activation stay on 3, 4, …, named by the pid that finally runs", () => {
  const p = planStart({
    options: resolveOptions({ filesPreserve: [3, 4] }, "/"),
    program: sleeper,
    extraEnv: [token],
    relaunch: (): Command => ({ path: "/bin/x", argv: ["x"], env: [] }),
    listen: 2,
  });
  assert.equal(p.readyFd, 5);
  assert.match(
    p.command.argv[2]!,
    /sh -c 'LISTEN_PID=\$\$; export LISTEN_PID; echo "PID \$\$" >&5/,
  );
  let relaunchedEnv: readonly string[] = [];
  planStart({
    options: resolveOptions({ filesPreserve: [3] }, "/"),
    extraEnv: [token],
    relaunch: (_fd, env): Command => {
      relaunchedEnv = env;
      return { path: "/bin/x", argv: ["x"], env: [...env] };
    },
    listen: 1,
  });
  assert.deepEqual(relaunchedEnv, [token, "DAEMONIZE_LISTEN_FDS=1"]);
});
