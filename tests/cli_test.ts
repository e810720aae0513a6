/**
 * The `daemonize` command end to end, under Deno, Bun, or the binary named by
 * $DAEMONIZE_TEST_BINARY: real programs started as daemons, checked via /proc.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import {
  alive,
  cliCommand,
  type Ctx,
  form,
  formTest,
  inMask,
  pidOf,
  procStat,
  procStatus,
  python,
  readText,
  root,
  run,
  runtimeCommand,
  shellQuote,
  tagged,
  waitFor,
} from "./harness.ts";

const t = formTest;

t(
  "start runs the program itself as a detached daemon holding the pid file",
  ({ home, cli }) => {
    const ran = cli(["start", "--name", "idle", "--", "sleep", "300"]);
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidOf(home, "idle");
    assert.equal(ran.stdout, `idle started (pid ${pid})\n`);
    assert.equal(ran.stderr, "");
    assert.equal(
      readFileSync(`/proc/${pid}/cmdline`, "utf8"),
      "sleep\x00300\x00",
    );
    const [, ppid, , sid, ttyNr] = procStat(pid);
    assert.equal(Number(ppid), 1);
    assert.notEqual(Number(sid), pid, "not a session leader");
    assert.equal(Number(ttyNr), 0);
    const identity = JSON.parse(readText(join(home, "idle.pid.identity")));
    assert.equal(identity.pid, pid);
    assert.equal(identity.start, Number(procStat(pid)[19]), "its start time");
    assert.equal(identity.sid, Number(sid));
    assert.match(
      readFileSync(`/proc/${pid}/environ`, "utf8"),
      new RegExp(`(^|\0)DAEMONIZE_ID=${readText(join(home, "idle.pid.token")).trim()}\0`),
    );
    const status = procStatus(pid);
    for (const sig of [20, 21, 22]) {
      assert.ok(
        inMask(status.get("SigIgn")!, sig),
      );
    }
    assert.equal(status.get("Umask"), "0022");
  },
);

t(
  "status reports pid, uptime, RSS and command with LSB exit codes",
  async ({ home, cli }) => {
    assert.equal(cli(["start", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(home, "sleep");
    const one = cli(["status", "sleep"]);
    assert.equal(one.code, 0);
    assert.match(
      one.stdout,
      new RegExp(
        `^sleep: running \\(pid ${pid}, up \\d+s, RSS [\\d.]+ MB\\): sleep 300\\n$`,
      ),
    );
    const json = JSON.parse(cli(["status", "sleep", "--json"]).stdout);
    assert.deepEqual(Object.keys(json).sort(), [
      "command",
      "cpuPercent",
      "cpuSeconds",
      "cpuWindowSeconds",
      "droppedLines",
      "found",
      "lastExit",
      "lastExitCode",
      "logBytes",
      "name",
      "otherProcesses",
      "pid",
      "pidFile",
      "processes",
      "restartAt",
      "restarts",
      "rssBytes",
      "startTime",
      "state",
      "supervisorPid",
      "supervisorRssBytes",
      "unsupervised",
      "unverifiedProcesses",
      "uptimeSeconds",
    ]);
    assert.equal(json.supervisorPid, null);
    assert.equal(json.restarts, null);
    assert.equal(json.state, "running");
    assert.equal(json.pid, pid);
    assert.equal(json.command, "sleep 300");
    const all = cli(["status", "--json"]);
    const listed = JSON.parse(all.stdout);
    assert.equal(listed.length, 1);
    assert.deepEqual(Object.keys(listed[0]).sort(), Object.keys(json).sort(), "the same objects");
    assert.equal(listed[0].pid, pid);
    process.kill(pid, "SIGKILL");
    assert.ok(await waitFor(() => !alive(pid), 15_000));
    const dead = cli(["status", "sleep"]);
    assert.equal(dead.code, 1, "dead, pid file left");
    assert.match(dead.stdout, /^sleep: dead/);
    assert.equal(cli(["stop", "sleep"]).code, 0);
    const gone = cli(["status", "sleep"]);
    assert.equal(gone.code, 3);
    assert.equal(gone.stdout, "sleep: stopped\n");
    assert.equal(
      cli(["status", "--pid-file", join(home, "nothing.pid")]).code,
      3,
    );
  },
);

t(
  "stop ends the daemon with SIGTERM and stopping it again is not an error",
  ({ home, cli }) => {
    assert.equal(cli(["start", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(home, "sleep");
    const stopped = cli(["stop", "sleep"]);
    assert.equal(stopped.code, 0);
    assert.equal(stopped.stdout, `sleep stopped (pid ${pid})\n`);
    assert.ok(!alive(pid));
    assert.ok(!existsSync(join(home, "sleep.pid")));
    const again = cli(["stop", "sleep"]);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "sleep is not running\n");
    // A name never known is most likely a typo: said so, with the closest.
    const typo = cli(["stop", "slep"]);
    assert.equal(typo.code, 5);
    assert.equal(
      typo.stderr,
      `daemonize: no daemon named "slep" in ${home}; did you mean "sleep"?\n`,
    );
    assert.equal(cli(["reload", "nosuch"]).code, 5);
  },
);

t(
  "stop falls back to SIGKILL for the daemon and every process it started",
  ({ home, work, cli }) => {
    const script = join(work, "stubborn.sh");
    writeFileSync(
      script,
      '#!/bin/sh\ntrap "" TERM\nsleep 300 &\necho $! > "$1"\nwait\n',
    );
    chmodSync(script, 0o755);
    const childFile = join(work, "child");
    assert.equal(
      cli(["start", "--name", "stubborn", "--", script, childFile]).code,
      0,
    );
    const pid = pidOf(home, "stubborn");
    assert.ok(waitForSync(() => readText(childFile) !== ""));
    const child = Number(readText(childFile));
    const stopped = cli(["stop", "stubborn", "--timeout", "0.3"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(
      stopped.stdout,
      `stubborn killed (pid ${pid}, and 1 process it started): still running 0.3 s after SIGTERM\n`,
    );
    assert.ok(!alive(pid));
    assert.ok(
      waitForSync(() => !alive(child)),
      "its child was killed with it",
    );
  },
);

function waitForSync(condition: () => boolean, ms = 10_000): boolean {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return condition();
}

t("stop never signals a process named by a forged pid file", ({ home, cli }) => {
  // Written into the state folder on purpose: the forged record under test.
  const bystander = run(["sh", "-c", "sleep 300 > /dev/null 2>&1 & echo $!"], {
    env: { TEST_TAG: "" },
  });
  const pid = Number(bystander.stdout);
  try {
    writeFileSync(join(home, "forged.pid"), `${pid}\n`);
    const ran = cli(["stop", "forged", "--timeout", "0.2"]);
    assert.equal(ran.code, 0);
    assert.equal(ran.stdout, "forged is not running\n");
    assert.ok(alive(pid), "the bystander survived");
  } finally {
    process.kill(pid, "SIGKILL");
  }
});

t("restart starts the same command again with a new pid", ({ home, cli }) => {
  assert.equal(cli(["start", "--name", "nap", "--", "sleep", "301"]).code, 0);
  const first = pidOf(home, "nap");
  const ran = cli(["restart", "nap"]);
  assert.equal(ran.code, 0, ran.stderr);
  const second = pidOf(home, "nap");
  assert.notEqual(second, first);
  assert.ok(!alive(first));
  assert.equal(
    readFileSync(`/proc/${second}/cmdline`, "utf8"),
    "sleep\x00301\x00",
  );
  assert.equal(
    ran.stdout,
    `nap stopped (pid ${first})\nnap started (pid ${second})\n`,
  );
  assert.deepEqual(cli(["restart", "never-started"]).code, 5, "a name never known");
});

t("reload sends SIGHUP to the daemon", async ({ work, cli }) => {
  const script = join(work, "hup.sh");
  const seen = join(work, "seen");
  writeFileSync(
    script,
    `#!/bin/sh\ntrap 'echo hup >> ${seen}' HUP\nwhile :; do sleep 0.05; done\n`,
  );
  chmodSync(script, 0o755);
  assert.equal(cli(["start", "--name", "hup", "--", script]).code, 0);
  const ran = cli(["reload", "hup"]);
  assert.equal(ran.code, 0);
  assert.match(ran.stdout, /^hup reloaded \(SIGHUP to pid \d+\)\n$/);
  assert.ok(await waitFor(() => readText(seen) === "hup\n", 15_000));
  assert.equal(cli(["reload", "nothing"]).code, 5, "a name never known");
  assert.equal(cli(["stop", "hup"]).code, 0);
  assert.equal(cli(["reload", "hup"]).code, 7, "known, not running");
});

t(
  "a second start of a running name is refused without touching it",
  ({ home, cli }) => {
    assert.equal(cli(["start", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(home, "sleep");
    const again = cli(["start", "--", "sleep", "300"]);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `daemonize: pid-file: already running (pid ${pid})\n`,
    );
    assert.ok(alive(pid));
  },
);

t(
  "a program exiting in its first moments fails the start with its status and output",
  ({ home, cli, tag }) => {
    const ran = cli([
      "start",
      "--name",
      "bad",
      "--",
      "sh",
      "-c",
      "printf '\\033[31merror:\\033[0m config is\\rbroken\\n' >&2; exit 5",
    ]);
    assert.equal(ran.code, 1);
    assert.match(
      ran.stderr,
      /^daemonize: startup: sh exited with status 5 during its start-up\n/,
    );
    // The program's colours are not replayed on our terminal.
    assert.match(ran.stderr, /: error: config is\\x0dbroken\n/);
    assert.ok(!ran.stderr.includes("\x1b"), ran.stderr);
    assert.ok(!existsSync(join(home, "bad.pid")));
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "start options: user, umask, cwd, env, clear-env and log files reach the program",
  ({ home, work, cli }) => {
    const out = join(work, "env.out");
    writeFileSync(out, "");
    chmodSync(out, 0o666);
    const show = `env > ${out}; umask >> ${out}; pwd >> ${out}; echo to-log; exec sleep 300`;
    const ran = cli([
      "start",
      "--name=shown",
      "--user",
      "nobody",
      "--umask",
      "027",
      "--cwd",
      "/tmp",
      "--env",
      "GREETING=hi there",
      "--log",
      join(home, "shown.log"),
      "--",
      "sh",
      "-c",
      show,
    ], { SECRET_FROM_PARENT: "x" });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidOf(home, "shown");
    assert.ok(waitForSync(() => readText(out).includes("/tmp")));
    const text = readText(out);
    assert.match(text, /^GREETING=hi there$/m);
    assert.match(text, /^SECRET_FROM_PARENT=x$/m);
    assert.doesNotMatch(text, /DAEMONIZE_STAGE/);
    assert.match(text, /^0027$/m);
    assert.match(text, /^\/tmp$/m);
    assert.equal(procStatus(pid).get("Uid")!.split("\t")[0], "65534");
    assert.equal(readText(join(home, "shown.log")), "to-log\n");
    assert.equal(cli(["stop", "shown"]).code, 0);
    const cleared = cli([
      "start",
      "--name",
      "clean",
      "--clear-env",
      "--env",
      `TEST_TAG=x`,
      "--",
      "sh",
      "-c",
      `env > ${out}; exec sleep 300`,
    ]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.ok(waitForSync(() => readText(out).includes("PATH=")));
    assert.doesNotMatch(readText(out), /SECRET|DAEMONIZE_HOME/);
    process.kill(pidOf(home, "clean"), "SIGKILL");
  },
);

t(
  "run stays the program's parent, passes its exit status on and removes its pid file",
  ({ home, cli }) => {
    const ran = cli([
      "run",
      "--name",
      "fg",
      "--",
      "sh",
      "-c",
      `echo $PPID; cat ${join(home, "fg.pid")}; exit 3`,
    ]);
    assert.equal(ran.code, 3, ran.stderr);
    const [parent, written] = ran.stdout.trim().split("\n");
    assert.equal(parent, written, "the pid file names the program's supervisor");
    assert.ok(!existsSync(join(home, "fg.pid")), "the pid file is gone after the program ended");
    assert.ok(!existsSync(join(home, "fg.pid.identity")));
    assert.ok(!existsSync(join(home, "fg.pid.supervisor")));
  },
);

t(
  "run --exec puts the program in its place, which keeps the pid file",
  ({ home, cli }) => {
    const ran = cli([
      "run",
      "--exec",
      "--name",
      "fg",
      "--",
      "sh",
      "-c",
      `echo $$; cat ${join(home, "fg.pid")}; exit 3`,
    ]);
    assert.equal(ran.code, 3, ran.stderr);
    const [shell, written] = ran.stdout.trim().split("\n");
    assert.equal(shell, written, "the program holds the pid file as itself");
  },
);

t(
  "run passes a death by signal on as 128 + its number",
  ({ cli }) => {
    const ran = cli(["run", "--name", "fg", "--", "sh", "-c", "kill -TERM $$"]);
    assert.equal(ran.code, 143, ran.stderr);
  },
);

/** One-line message, exit code, nothing left behind. */
function expectRefusal(
  c: Ctx,
  args: string[],
  code: number,
  message: RegExp,
  env = {},
) {
  const ran = c.cli(args, env);
  assert.equal(ran.code, code, `${args.join(" ")}: ${ran.stderr}`);
  assert.equal(ran.stderr.trimEnd().split("\n").length, 1, ran.stderr);
  assert.match(ran.stderr.trimEnd(), message);
  assert.equal(ran.stdout, "");
  assert.deepEqual(tagged(c.tag), [], "nothing left running");
  for (const name of ["sleep", "x"]) {
    assert.ok(!existsSync(join(c.home, `${name}.pid`)));
  }
}

t(
  "each bad input is one line on stderr with the right exit code and nothing left",
  (c) => {
    expectRefusal(
      c,
      ["start", "--bogus", "--", "sleep", "1"],
      2,
      /^daemonize: unknown option --bogus \(see 'daemonize start --help'\)$/,
    );
    expectRefusal(
      c,
      ["start"],
      2,
      /^daemonize: missing program: give it after --/,
    );
    expectRefusal(
      c,
      ["frobnicate"],
      2,
      /^daemonize: unknown command "frobnicate"/,
    );
    expectRefusal(
      c,
      ["start", "--", "no-such-program-x"],
      127,
      /^daemonize: program: program not found in PATH: no-such-program-x$/,
    );
    const plain = join(c.work, "plain.txt");
    writeFileSync(plain, "not a program\n", { mode: 0o644 });
    expectRefusal(
      c,
      ["start", "--", plain],
      126,
      /^daemonize: program: program is not executable: .*plain\.txt$/,
    );
    expectRefusal(
      c,
      ["start", "--cwd", "/no/such/dir", "--", "sleep", "1"],
      1,
      /^daemonize: working-directory: cannot change working directory to \/no\/such\/dir: No such file or directory \(ENOENT\)$/,
    );
    expectRefusal(
      c,
      ["start", "--user", "no-such-user-x", "--", "sleep", "1"],
      1,
      /^daemonize: user: unknown user "no-such-user-x"$/,
    );
    expectRefusal(
      c,
      ["start", "--umask", "8", "--", "sleep", "1"],
      2,
      /^daemonize: invalid --umask "8": expected octal like 022/,
    );
    expectRefusal(
      c,
      ["stop", "x", "--signal", "NOPE"],
      2,
      /^daemonize: invalid --signal "NOPE": not a signal name/,
    );
    expectRefusal(
      c,
      ["stop", "../etc"],
      2,
      /^daemonize: invalid NAME "..\/etc": use letters, digits/,
    );
    expectRefusal(
      c,
      ["start", "--name", "bad name", "--", "sleep", "1"],
      2,
      /^daemonize: invalid --name "bad name": use letters, digits, '\.', '_', '@' and '-' \(see 'daemonize start --help'\)$/,
    );
    expectRefusal(
      c,
      ["start", "--", "./my prog"],
      2,
      /^daemonize: the program's name "my prog" can't name the daemon: give --name/,
    );
    expectRefusal(
      c,
      ["stauts", "x"],
      2,
      /^daemonize: unknown command "stauts"; did you mean "status"\? \(see 'daemonize --help'\)$/,
    );
    expectRefusal(
      c,
      ["stop", "x", "--timout", "3"],
      2,
      /^daemonize: unknown option --timout; did you mean "--timeout"\? \(see 'daemonize stop --help'\)$/,
    );
    expectRefusal(
      c,
      ["start", "--", "sleep", "1"],
      1,
      /^daemonize: options: cannot create state folder \/proc\/nope/,
      {
        DAEMONIZE_HOME: "/proc/nope",
      },
    );
  },
);

t(
  "--help on every command prints to stdout and exits 0; --version too",
  ({ cli }) => {
    for (
      const command of ["start", "stop", "restart", "reload", "status", "run"]
    ) {
      const ran = cli([command, "--help"]);
      assert.equal(ran.code, 0);
      assert.match(ran.stdout, new RegExp(`^daemonize ${command}`));
    }
    const top = cli(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: daemonize COMMAND/);
    const version = cli(["--version"]);
    assert.match(
      version.stdout,
      /^daemonize \d+\.\d+\.\d+ \(@[\w-]+\/daemonize: the Unix daemonizer for Deno and Bun\)\n$/,
    );
  },
);

t("colour only on a terminal and never with NO_COLOR", ({ home, cli }) => {
  assert.equal(cli(["start", "--", "sleep", "300"]).code, 0);
  assert.ok(
    !cli(["status", "sleep"]).stdout.includes("\x1b["),
    "no colour into a pipe",
  );
  const command = shellQuote(cliCommand(["status", "sleep"]));
  const onTty = run(["script", "-qec", command, "/dev/null"], {
    env: { DAEMONIZE_HOME: home, NO_COLOR: "" },
  });
  // NO_COLOR="" still counts as set: colour off.
  assert.ok(!onTty.stdout.includes("\x1b[32m"));
  const coloured = run([
    "script",
    "-qec",
    `unset NO_COLOR; ${command}`,
    "/dev/null",
  ], {
    env: { DAEMONIZE_HOME: home },
  });
  assert.ok(
    coloured.stdout.includes("\x1b[32mrunning\x1b[0m"),
    coloured.stdout,
  );
});

if (form !== "binary") {
  t(
    "a script controls itself: start, status, restart, stop",
    ({ home, tag, cli }) => {
      const hello = runtimeCommand(join(root, "examples", "hello.ts"));
      const self = (command: string) =>
        run([...hello, command], {
          env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
        });
      const started = self("start");
      assert.equal(started.code, 0, started.stderr);
      const pid = pidOf(home, "hello");
      assert.equal(started.stdout, `hello started (pid ${pid})\n`);
      const again = self("start");
      assert.equal(again.code, 1);
      assert.equal(again.stderr, `hello: pid-file: already running (pid ${pid})\n`);
      assert.equal(self("status").code, 0);
      assert.equal(cli(["status", "hello"]).code, 0, "the command sees it too");
      // hello has no SIGHUP handler: reload refuses rather than end it,
      // under Deno too (whose own handler shows in SigCgt).
      const reload = self("reload");
      assert.equal(reload.code, 1, reload.stdout);
      assert.match(
        reload.stderr,
        /^hello: pid \d+ has no handler for SIGHUP, so it would end; not sent/,
      );
      assert.equal(cli(["reload", "hello"]).code, 1);
      assert.equal(self("status").code, 0, "still running");
      const foreign = cli(["restart", "hello"]);
      assert.equal(foreign.code, 1);
      assert.match(
        foreign.stderr,
        /^daemonize: saved-start: cannot restart hello: this command did not start it \(no .*hello\.start\.json\); restart it the way it was started/,
      );
      const restarted = self("restart");
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.notEqual(pidOf(home, "hello"), pid);
      const stopped = self("stop");
      assert.match(stopped.stdout, /^hello stopped/);
      assert.equal(self("status").code, 3);
      assert.equal(self("bogus").code, 2);
    },
  );
}

t("--notify waits for the program's READY=1, and reports its absence", ({ home, cli }) => {
  const notifier = join(root, "tests", "fixtures", "notifier.py");
  const started = Date.now();
  const ran = cli(["start", "--notify", "--name", "ready", "--", python(), notifier, "0.4"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.ok(Date.now() - started >= 400, "returned before READY=1");
  const pid = pidOf(home, "ready");
  assert.match(readFileSync(`/proc/${pid}/cmdline`, "utf8"), /notifier\.py/);
  const single = cli([
    "start",
    "--notify",
    "--single-detach",
    "--name",
    "single",
    "--",
    python(),
    notifier,
    "0",
  ]);
  assert.equal(single.code, 0, single.stderr);
  const silent = cli([
    "start",
    "--notify",
    "--ready-timeout",
    "0.5",
    "--name",
    "silent",
    "--",
    "sleep",
    "300",
  ]);
  assert.equal(silent.code, 1);
  assert.equal(
    silent.stderr,
    "daemonize: ready: sleep did not send READY=1 within 500 ms; it was killed\n",
  );
  assert.ok(!existsSync(join(home, "silent.pid")));
  const dying = cli(["start", "--notify", "--name", "dying", "--", "sh", "-c", "exit 4"]);
  assert.equal(dying.code, 1);
  assert.match(dying.stderr, /^daemonize: startup: sh exited with status 4 before it sent READY=1/);
});

t(
  "a start that times out before the daemon even said its pid leaves nothing running",
  ({ home, tag, cli }) => {
    const ran = cli(["start", "--ready-timeout", "0.01", "--name", "slow", "--", "sleep", "300"]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /^daemonize: ready: daemon not ready within 10 ms; it was killed\n$/);
    assert.ok(waitForSync(() => tagged(tag).length === 0), "something was left running");
    assert.ok(!existsSync(join(home, "slow.pid")));
  },
);

t(
  "a program given by a relative path is found in the daemon's directory (--cwd), as a shell there would",
  ({ home, work, tag }) => {
    writeFileSync(join(work, "local.sh"), "#!/bin/sh\nexec sleep 300\n", { mode: 0o755 });
    const ran = run(cliCommand(["start", "--cwd", work, "--name", "local", "--", "./local.sh"]), {
      cwd: "/",
      env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidOf(home, "local");
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, "utf8"), "sleep\x00300\x00");
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), work);
    const missing = run(
      cliCommand(["start", "--cwd", "/", "--name", "other", "--", "./local.sh"]),
      {
        cwd: work,
        env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
      },
    );
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, "daemonize: program: program not found: ./local.sh (in /)\n");
  },
);

if (form === "deno") {
  t(
    "without FFI access Deno gets one line naming the flag, exit 2, and --allow-ffi is enough",
    ({ home }) => {
      const env = { DAEMONIZE_HOME: home, NO_COLOR: "1" };
      for (const script of [join(root, "mod.ts"), join(root, "examples", "hello.ts")]) {
        const args = script.endsWith("mod.ts") ? ["status", "x"] : ["status"];
        // Denied outright: a deno started from this test may be handed its grants.
        const denied = run([Deno.execPath(), "run", "--deny-ffi", script, ...args], { env });
        assert.equal(denied.code, 2, denied.stderr);
        assert.match(
          denied.stderr,
          /^[\w.]+: needs FFI access \(it calls libc\): run it with deno run --allow-ffi, or -A\n$/,
        );
      }
      const ffiOnly = (args: string[]) =>
        run([
          Deno.execPath(),
          "run",
          "--allow-ffi",
          ...["read", "write", "env", "net", "run", "sys"].map((p) => `--deny-${p}`),
          join(root, "mod.ts"),
          ...args,
        ], { env });
      assert.equal(ffiOnly(["start", "--name", "f", "--", "sleep", "300"]).code, 0);
      assert.equal(ffiOnly(["status", "f"]).code, 0);
      assert.equal(ffiOnly(["stop", "f"]).code, 0);
    },
  );
}

if (form === "deno") {
  t("deno install puts a daemonize on PATH that names itself", ({ work }) => {
    const installed = run([
      Deno.execPath(),
      "install",
      "-g",
      "--allow-ffi",
      "-n",
      "daemonize",
      "--root",
      work,
      join(root, "mod.ts"),
    ]);
    assert.equal(installed.code, 0, installed.stderr);
    const version = run([join(work, "bin", "daemonize"), "--version"], {
      env: { PATH: `${dirname(Deno.execPath())}:${process.env.PATH}` },
    });
    assert.match(version.stdout, /^daemonize \d+\.\d+\.\d+ \(@[\w-]+\/daemonize: /);
  });
}

t("the help and the README speak to users about the product only", ({ cli }) => {
  const internal = /our machines|the seeds?'|seed \d{3}|PLATFORM\.md|this session/i;
  const readme = readFileSync(join(root, "README.md"), "utf8");
  assert.doesNotMatch(readme, internal);
  for (
    const topic of ["", "start", "stop", "restart", "reload", "status", "logs", "forget", "run"]
  ) {
    const help = cli(topic ? [topic, "--help"] : ["--help"]);
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, internal);
  }
});

t("with --chroot and no --cwd the program starts at the jail's root", ({ home, work, cli }) => {
  const jail = join(work, "jail");
  for (const sub of ["bin", "lib/x86_64-linux-gnu", "lib64"]) {
    mkdirSync(join(jail, sub), { recursive: true });
  }
  for (
    const file of [
      "/bin/sleep",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]
  ) {
    copyFileSync(realpathSync(file), join(jail, file));
    chmodSync(join(jail, file), 0o755);
  }
  const ran = cli(["start", "--name", "j", "--chroot", jail, "--", "/bin/sleep", "300"]);
  assert.equal(ran.code, 0, ran.stderr);
  const pid = pidOf(home, "j");
  assert.equal(readlinkSync(`/proc/${pid}/root`), jail);
  assert.equal(readlinkSync(`/proc/${pid}/cwd`), jail, "the jail's root");
  assert.equal(cli(["stop", "j"]).code, 0);
});

t("status shows a command line with newlines in it on one line", ({ cli }) => {
  assert.equal(
    cli(["start", "--name", "nl", "--", "sh", "-c", "sleep 300\n# second line"]).code,
    0,
  );
  const status = cli(["status", "nl"]);
  assert.equal(status.code, 0);
  assert.equal(status.stdout.split("\n").length, 2, status.stdout);
  assert.match(status.stdout, /: sh -c sleep 300\\n# second line\n$/);
  assert.equal(cli(["stop", "nl"]).code, 0);
});

t(
  "a relative DAEMONIZE_HOME is taken from the current directory, for the folder and the pid file alike",
  ({ work, tag }) => {
    const inDir = (args: string[]) =>
      run(cliCommand(args), { cwd: work, env: { DAEMONIZE_HOME: "state", TEST_TAG: tag } });
    const started = inDir(["start", "--name", "rel", "--", "sleep", "300"]);
    assert.equal(started.code, 0, started.stderr);
    const pid = pidOf(join(work, "state"), "rel");
    assert.ok(alive(pid));
    assert.ok(existsSync(join(work, "state", "rel.log")));
    assert.ok(!existsSync("/state"), "nothing made under /");
    assert.equal(inDir(["status", "rel"]).code, 0);
    assert.equal(inDir(["stop", "rel"]).code, 0);
    assert.ok(!alive(pid));
  },
);
