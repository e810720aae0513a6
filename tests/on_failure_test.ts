/**
 * The on-failure hook end to end (under Deno, Bun, or the binary): real
 * daemons that crash, are restarted and give up run the hook with what
 * happened in its environment (the hook saves its whole environment to a
 * file of the test's); a hung hook holds nothing up and is ended; a failing
 * one is said in the log; a clean end runs none.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { alive, type Ctx, formTest, readText, run, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

interface Record {
  supervisor: number;
  program: number | null;
  state: string;
  restarts: number;
}

function record(home: string, name: string): Record | undefined {
  const text = readText(join(home, `${name}.pid.supervisor`));
  return text ? JSON.parse(text) : undefined;
}

/** Starts the daemon `app` of `sh -c program`, its log `work/app.log`, with `options` (words split at spaces) and `--on-failure hook`. */
function startApp(ctx: Ctx, options: string, hook: string, program: string): void {
  const log = join(ctx.work, "app.log");
  const words = ["start", "--name", "app", "--log", log, ...options.split(" ").filter(Boolean)];
  const started = ctx.cli([...words, "--on-failure", hook, "--", "sh", "-c", program]);
  assert.equal(started.code, 0, started.stderr);
}

/** A hook that saves its environment to `dir/EVENT.RESTARTS` (NUL-separated, as /proc has it). */
function savingHook(dir: string): string {
  return `cat /proc/$$/environ > "${dir}/$DAEMONIZE_EVENT.$DAEMONIZE_RESTARTS.tmp" && ` +
    `mv "${dir}/$DAEMONIZE_EVENT.$DAEMONIZE_RESTARTS.tmp" "${dir}/$DAEMONIZE_EVENT.$DAEMONIZE_RESTARTS"`;
}

/** The environment a saving hook saved to `path`. */
function savedEnv(path: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of readFileSync(path, "utf8").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

t(
  "a crash runs the hook with the daemon's name, the event, the exit status and the log's last lines",
  async (ctx) => {
    const { home, work, cli } = ctx;
    const log = join(work, "app.log");
    const options = "--restart on-failure --restart-delay 20 --grace 0.2 --env FROM_START=kept";
    const program = "echo first words; echo last words; sleep 0.5; exit 3";
    startApp(ctx, options, savingHook(work), program);
    const saved = join(work, "restarting.0");
    await until(() => existsSync(saved), "the hook's file");
    const env = savedEnv(saved);
    assert.equal(env.get("DAEMONIZE_EVENT"), "restarting");
    assert.equal(env.get("DAEMONIZE_CAUSE"), "exit");
    assert.equal(env.get("DAEMONIZE_NAME"), "app");
    assert.equal(env.get("DAEMONIZE_EXIT"), "exited with status 3");
    assert.equal(env.get("DAEMONIZE_EXIT_CODE"), "3");
    assert.equal(env.get("DAEMONIZE_EXIT_SIGNAL"), "");
    assert.equal(env.get("DAEMONIZE_RESTARTS"), "0");
    assert.match(env.get("DAEMONIZE_PID")!, /^[1-9][0-9]*$/);
    assert.equal(env.get("DAEMONIZE_LOG"), log);
    assert.match(env.get("DAEMONIZE_LOG_TAIL")!, /^first words\nlast words\n/);
    assert.match(env.get("DAEMONIZE_MESSAGE")!, /^sh exited with status 3; restarting in 20 s$/);
    assert.equal(env.get("FROM_START"), "kept", "the program's environment too");
    assert.equal(record(home, "app")?.state, "restarting", "the restart waits its delay");
    assert.equal(cli(["stop", "app"]).code, 0);
  },
);

t(
  "a daemon that gives up after its restart limit runs the hook for the gave-up event, then has failed",
  async (ctx) => {
    const { home, work, cli } = ctx;
    const options = "--restart always --restart-delay 0.1 --max-restarts 1 --grace 0.2";
    startApp(ctx, options, savingHook(work), "sleep 0.5; kill -KILL $$");
    const saved = join(work, "gave-up.1");
    await until(() => existsSync(saved), "the gave-up hook's file");
    assert.ok(existsSync(join(work, "restarting.0")), "the restart before ran it too");
    const env = savedEnv(saved);
    assert.equal(env.get("DAEMONIZE_EVENT"), "gave-up");
    assert.equal(env.get("DAEMONIZE_EXIT_CODE"), "");
    assert.equal(env.get("DAEMONIZE_EXIT_SIGNAL"), "SIGKILL");
    assert.equal(env.get("DAEMONIZE_EXIT"), "was killed by SIGKILL");
    assert.equal(env.get("DAEMONIZE_RESTARTS"), "1");
    assert.match(env.get("DAEMONIZE_MESSAGE")!, /giving up after 1 restart/);
    await until(() => !alive(record(home, "app")?.supervisor ?? 0), "the supervisor's exit");
    assert.equal(record(home, "app")?.state, "failed");
    const status = cli(["status", "app"]);
    assert.match(status.stdout, /failed/, status.stdout);
  },
);

t(
  "a restart for a failing health check tells the hook its cause, health",
  async (ctx) => {
    const { work, cli } = ctx;
    const options = "--grace 0.1 --health-interval 0.2 --health-retries 1 --restart-delay 20";
    startApp(ctx, `${options} --health-cmd false`, savingHook(work), "sleep 300");
    const saved = join(work, "restarting.0");
    await until(() => existsSync(saved), "the hook's file");
    const env = savedEnv(saved);
    assert.equal(env.get("DAEMONIZE_CAUSE"), "health");
    assert.equal(env.get("DAEMONIZE_EXIT_SIGNAL"), "SIGTERM");
    assert.equal(cli(["stop", "app"]).code, 0);
  },
);

t(
  "a hook that hangs holds up no restart, events meanwhile wait, and a stop ends it",
  async (ctx) => {
    const { home, work, cli } = ctx;
    const log = join(work, "app.log");
    const options = "--restart on-failure --restart-delay 0.1 --max-restarts 100 --grace 0.1";
    startApp(ctx, options, `echo $$ >> "${work}/hooks"; exec sleep 300`, "sleep 0.3; exit 1");
    const hooks = () => readText(join(work, "hooks")).split("\n").filter(Boolean).map(Number);
    await until(() => hooks().length > 0, "the first hook");
    const hung = hooks()[0]!;
    await until(() => (record(home, "app")?.restarts ?? 0) >= 3, "three restarts");
    assert.ok(alive(hung), "while the first hook still runs");
    assert.deepEqual(hooks(), [hung], "one hook at a time");
    assert.match(readText(log), /on-failure hook not run for restarting/);
    assert.equal(cli(["stop", "app"]).code, 0);
    await until(() => !alive(hung), "the hook's end after the stop");
  },
);

t(
  "a hook past --on-failure-timeout is ended, with SIGKILL if it ignores SIGTERM, and said in the log",
  async (ctx) => {
    const { work, cli } = ctx;
    const log = join(work, "app.log");
    const options = "--restart on-failure --restart-delay 20 --grace 0.1 --on-failure-timeout 0.5";
    const script = `trap '' TERM; echo $$ > "${work}/hook"; sleep 300`;
    startApp(ctx, options, script, "sleep 0.3; exit 1");
    await until(() => readText(join(work, "hook")) !== "", "the hook");
    const hook = Number(readText(join(work, "hook")));
    await until(() => !alive(hook), "the hook's end");
    await until(
      () =>
        /on-failure hook \(restarting\) still ran after 500 ms: ended \(it was killed by SIGKILL\)/
          .test(readText(log)),
      () => `the line in the log, in:\n${readText(log)}`,
    );
    assert.equal(cli(["stop", "app"]).code, 0);
  },
);

t(
  "a failing hook is said in the daemon's log in one line, after its output",
  async (ctx) => {
    const { work } = ctx;
    const log = join(work, "app.log");
    const hook = "echo could not page anyone >&2; no-such-command-here; exit 7";
    startApp(ctx, "--grace 0.1", hook, "sleep 0.3; exit 1");
    const said = /on-failure hook \(failed\) exited with status 7/;
    await until(() => said.test(readText(log)), () => `the hook's failure, in:\n${readText(log)}`);
    const text = readText(log);
    assert.match(text, /daemonize: on-failure hook output: could not page anyone\n/);
    assert.match(text, /on-failure hook output: .*no-such-command-here.*not found/);
    assert.equal(text.match(/on-failure hook \(/g)?.length, 1, "one line");
  },
);

t(
  "a clean stop, or a program that exits 0, runs no hook",
  async ({ home, work, cli }) => {
    const hook = `touch "${work}/ran"`;
    const common = ["--grace", "0.1", "--on-failure", hook, "--restart", "on-failure"];
    const first = cli(["start", "--name", "stopped", ...common, "--", "sleep", "300"]);
    assert.equal(first.code, 0, first.stderr);
    const supervisor = record(home, "stopped")!.supervisor;
    assert.equal(cli(["stop", "stopped"]).code, 0);
    assert.ok(!alive(supervisor));
    const second = cli(["start", "--name", "clean", ...common, "--", "sh", "-c", "sleep 0.3"]);
    assert.equal(second.code, 0, second.stderr);
    const other = record(home, "clean")!.supervisor;
    await until(() => !alive(other), "the supervisor's exit after the program's");
    assert.ok(!existsSync(join(work, "ran")), "no hook ran");
  },
);

t(
  "the onFailure key of a file of daemons runs the hook, for the failed event with no restart",
  async ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [{
          name: "job",
          command: ["sh", "-c", "sleep 0.3; exit 4"],
          grace: 0.1,
          onFailure: savingHook(work),
          onFailureTimeout: 5,
        }],
      }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    const saved = join(work, "failed.0");
    await until(() => existsSync(saved), "the hook's file");
    const env = savedEnv(saved);
    assert.equal(env.get("DAEMONIZE_EVENT"), "failed");
    assert.equal(env.get("DAEMONIZE_NAME"), "job");
    assert.equal(env.get("DAEMONIZE_EXIT_CODE"), "4");
    assert.equal(env.get("DAEMONIZE_LOG"), join(home, "job.log"), "the file's daemons log there");
    // Not started again, and said so: failed, with how its last run ended.
    await until(() => cli(["status", "job"]).stdout.includes("failed"), "status says failed");
    const status = cli(["status", "job"]);
    assert.equal(status.code, 3, status.stdout);
    assert.match(status.stdout, /job: failed \(.*exited with status 4/);
  },
);

t(
  "bad --on-failure values are refused in one line naming the option",
  ({ work, cli }) => {
    const cases: [string[], RegExp][] = [
      [["--on-failure", " "], /invalid --on-failure: empty/],
      [["--on-failure-timeout", "5"], /--on-failure-timeout needs --on-failure/],
      [["--on-failure", "true", "--on-failure-timeout", "soon"], /invalid --on-failure-timeout/],
      [["--on-failure", "true", "--on-failure-timeout", "0"], /invalid --on-failure-timeout 0/],
      [["--on-failure", "true", "--exec"], /--on-failure needs a supervisor: drop --exec/],
    ];
    for (const [options, message] of cases) {
      const command = options.includes("--exec") ? "run" : "start";
      const ran = cli([command, "--name", "x", ...options, "--", "sleep", "300"]);
      assert.equal(ran.code, 2, `${options.join(" ")}: ${ran.stderr}`);
      assert.match(ran.stderr, message);
      assert.equal(ran.stderr.trim().split("\n").length, 1, ran.stderr);
    }
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({ daemons: [{ name: "x", command: ["true"], onFailure: "" }] }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 2, up.stderr);
    assert.match(up.stderr, /onFailure/);
    assert.equal(up.stderr.trim().split("\n").length, 1, up.stderr);
  },
);

t(
  "unit maps --on-failure to an ExecStopPost= that systemd-analyze verifies and that runs the hook unless the service ended well",
  ({ work, cli }) => {
    const ran = cli([
      "unit",
      "--name",
      "web",
      "--restart",
      "on-failure",
      "--on-failure",
      `echo "$DAEMONIZE_NAME $DAEMONIZE_EVENT $DAEMONIZE_EXIT" > "${work}/said"; echo 100%`,
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const line = ran.stdout.split("\n").find((l) => l.startsWith("ExecStopPost="));
    assert.ok(line, ran.stdout);
    const path = join(work, "web.service");
    writeFileSync(path, ran.stdout);
    const verified = run(["systemd-analyze", "verify", path], { cwd: work });
    assert.notEqual(verified.code, null, "systemd-analyze ran (apt-get install systemd)");
    assert.equal(verified.stderr.trim(), "", verified.stderr);
    // What systemd runs: its words, unquoted and unescaped as systemd does it.
    const words = JSON.parse(
      run(["python3", "-c", UNQUOTE, line.slice("ExecStopPost=-".length)]).stdout,
    ) as string[];
    const shell = (result: string) =>
      run(words, {
        env: { SERVICE_RESULT: result, EXIT_CODE: "exited", EXIT_STATUS: "3" },
      });
    assert.equal(shell("success").code, 0);
    assert.ok(!existsSync(join(work, "said")), "not after a success");
    assert.equal(shell("exit-code").code, 0);
    assert.equal(readText(join(work, "said")), "web failed exited 3\n");
  },
);

/** Splits an `Exec…=` command line into its words, `$$` and `%%` made single. */
const UNQUOTE = `import json, shlex, sys
words = shlex.split(sys.argv[1])
print(json.dumps([w.replace("$$", "$").replace("%%", "%") for w in words]))`;

t(
  "with --user the hook runs as the daemon's user, not as its root supervisor",
  async ({ work, cli }) => {
    if (process.getuid?.() !== 0) return;
    chmodSync(work, 0o777);
    const started = cli([
      "start",
      "--name",
      "app",
      "--user",
      "nobody",
      "--restart",
      "on-failure",
      "--restart-delay",
      "60",
      "--grace",
      "0.2",
      "--on-failure",
      `id -u > "${work}/uid.tmp"; echo "$DAEMONIZE_EVENT" >> "${work}/uid.tmp"; mv "${work}/uid.tmp" "${work}/uid"`,
      "--",
      "sh",
      "-c",
      "sleep 0.5; exit 1",
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => existsSync(join(work, "uid")), "the hook's file");
    const nobody = run(["id", "-u", "nobody"]).stdout.trim();
    assert.equal(readText(join(work, "uid")), `${nobody}\nrestarting\n`);
    assert.equal(cli(["stop", "app"]).code, 0);
  },
);
