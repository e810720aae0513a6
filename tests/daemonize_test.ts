/**
 * daemonize() end to end: real starters, real daemons, checked through /proc.
 * Each test tags its processes and kills what is left of them by pid.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import process from "node:process";
import { join, relative } from "node:path";
import {
  alive,
  fixture,
  inMask,
  openFiles,
  procStat,
  procStatus,
  readText,
  run,
  runAsync,
  runtime,
  runtimeCommand,
  shellQuote,
  startFixture,
  tagged,
  test,
  until,
  waitFor,
  withTemp,
} from "./harness.ts";
import { status } from "../mod.ts";

function pidIn(path: string): number {
  return Number(readText(path).split("\n")[0]);
}

async function stopAndWait(pid: number): Promise<void> {
  process.kill(pid, "SIGTERM");
  assert.ok(await waitFor(() => !alive(pid), 15_000), `pid ${pid} did not stop`);
}

const SIG = { HUP: 1, TERM: 15, TSTP: 20, TTIN: 21, TTOU: 22, USR1: 10 };

test("the starter exits 0 only once the daemon runs, detached twice in its own session", async () => {
  await withTemp((dir, tag) => {
    const report = join(dir, "report");
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, report, { options: { pidFile } });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.ok(alive(pid));
    assert.equal(
      pidIn(report),
      pid,
      "the daemon ran the code after daemonize()",
    );
    const [, ppid, pgid, sid, ttyNr] = procStat(pid);
    assert.equal(Number(ttyNr), 0, "no controlling terminal");
    assert.notEqual(Number(sid), pid, "not a session leader");
    assert.notEqual(Number(pgid), pid, "not a process group leader");
    assert.equal(Number(ppid), 1, "reparented away from the starter");
    const ignored = procStatus(pid).get("SigIgn")!;
    assert.ok(!inMask(ignored, 2) && !inMask(ignored, 3), "SIGINT or SIGQUIT left ignored");
    assert.deepEqual(tagged(tag), [pid], "only the daemon is left running");
  });
});

test("with singleDetach the daemon leads its own session", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, singleDetach: true },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    const [, , pgid, sid, ttyNr] = procStat(pid);
    assert.equal(Number(sid), pid);
    assert.equal(Number(pgid), pid);
    assert.equal(Number(ttyNr), 0);
  });
});

test("started from a terminal, the daemon has no controlling terminal and outlives it", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const env = `DAEMON_OPTIONS=${shellQuote([JSON.stringify({ pidFile })])} `;
    const ran = startFixture(tag, join(dir, "report"), {
      wrap: () => [
        "script",
        "-qec",
        `${env}${shellQuote(command)}; tty`,
        "/dev/null",
      ],
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(
      ran.stdout,
      /\/dev\/pts\//,
      "the starter did run on a terminal",
    );
    const pid = pidIn(pidFile);
    assert.ok(await waitFor(() => alive(pid), 15_000));
    assert.equal(Number(procStat(pid)[4]), 0, "tty_nr is 0");
    for (const target of openFiles(pid).values()) {
      assert.doesNotMatch(target, /pts|tty/, `holds ${target}`);
    }
  });
});

test("the daemon's working directory, umask and core limit take their defaults", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile },
      wrap: (c) => ["sh", "-c", `umask 077; cd ${dir}; exec ${shellQuote(c)}`],
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.equal(procStatus(pid).get("Umask"), "0022");
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), "/");
    assert.match(
      readFileSync(`/proc/${pid}/limits`, "utf8"),
      /Max core file size\s+0\s+0\s/,
    );
    assert.equal(
      (statSync(pidFile).mode & 0o777).toString(8),
      "644",
      "pid file mode",
    );
  });
});

test("working directory, umask and core dumps follow the options", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: {
        pidFile,
        workingDirectory: dir,
        umask: 0o027,
        preventCore: false,
      },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.equal(procStatus(pid).get("Umask"), "0027");
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), dir);
    assert.doesNotMatch(
      readFileSync(`/proc/${pid}/limits`, "utf8"),
      /Max core file size\s+0\s+0\s/,
    );
  });
});

test("as root, the daemon drops to nobody for good: groups, gid, uid", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const log = join(dir, "out.log");
    const report = join(dir, "report");
    writeFileSync(report, "");
    run(["chown", "nobody", report]);
    const ran = startFixture(tag, report, {
      options: { pidFile, user: "nobody", stdout: log, stderr: log },
    });
    assert.equal(ran.code, 0, ran.stderr + readText(log));
    const pid = pidIn(pidFile);
    const status = procStatus(pid);
    assert.equal(status.get("Uid"), "65534\t65534\t65534\t65534");
    assert.equal(status.get("Gid"), "65534\t65534\t65534\t65534");
    assert.equal(status.get("Groups"), "65534");
    assert.equal(
      status.get("CapEff"),
      "0000000000000000",
      "no capability left",
    );
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const uid = procStatus(`/proc/${pid}/task/${task}/status`).get("Uid");
      assert.equal(uid, "65534\t65534\t65534\t65534", `thread ${task}`);
    }
    assert.equal(statSync(pidFile).uid, 0, "the pid file was taken as root");
  });
});

test("user and group may be given by id, and initgroups can be turned off", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    writeFileSync(report, "");
    run(["chown", "65534", report]);
    const ran = startFixture(tag, report, {
      options: { pidFile, user: 65534, group: "daemon", initgroups: false },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const status = procStatus(pidIn(pidFile));
    assert.equal(status.get("Uid")!.split("\t")[0], "65534");
    assert.equal(status.get("Gid")!.split("\t")[0], "1");
    assert.equal(
      status.get("Groups"),
      "1",
      "only the chosen group, none of root's",
    );
  });
});

test("inherited descriptors are closed except those preserved; stdin is /dev/null", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const kept = join(dir, "kept");
    const dropped = join(dir, "dropped");
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, filesPreserve: [8] },
      wrap: () => [
        "sh",
        "-c",
        `exec 8>>${kept} 9>>${dropped}; exec ${shellQuote(command)}`,
      ],
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    const files = openFiles(pid);
    assert.equal(files.get(0), "/dev/null");
    assert.equal(files.get(1), "/dev/null");
    assert.equal(files.get(2), "/dev/null");
    assert.equal(files.get(8), kept);
    const targets = [...files.values()];
    assert.ok(!targets.includes(dropped), `fd to ${dropped} leaked`);
    // The daemon closes it right after writing READY, which the starter may beat.
    const pipeClosed = () => ![...openFiles(pid).values()].some((t) => t.startsWith("pipe:"));
    assert.ok(await waitFor(pipeClosed, 15_000), "the readiness pipe is closed");
  });
});

test("stdout and stderr are appended to their files, existing lines kept", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const out = join(dir, "out.log");
    const err = join(dir, "err.log");
    writeFileSync(out, "earlier line\n");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, stdout: out, stderr: err },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    const expected = `earlier line\ndaemon ${pid} running\n`;
    // Written by the daemon's code after daemonize(), which the start need not wait for.
    await until(() => readText(out) === expected, () => `${out}: ${readText(out)}`);
    assert.equal(openFiles(pid).get(2), err);
    assert.equal(ran.stdout, "", "the starter printed nothing");
  });
});

test("SIGTERM stops the daemon cleanly: stop callbacks run, pid file removed, exit 0", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    const ran = startFixture(tag, report, { options: { pidFile } });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    const status = procStatus(pid);
    for (const sig of [SIG.TSTP, SIG.TTIN, SIG.TTOU]) {
      assert.ok(inMask(status.get("SigIgn")!, sig), `signal ${sig} ignored`);
    }
    assert.ok(inMask(status.get("SigCgt")!, SIG.TERM), "SIGTERM caught");
    await stopAndWait(pid);
    assert.equal(readText(report), `${pid}\nstopped\nexit 0\n`);
    assert.ok(!existsSync(pidFile), "pid file removed");
  });
});

test("a daemon that dropped privileges still cleans its pid file on SIGTERM", async () => {
  await withTemp(async (dir, tag) => {
    const runDir = join(dir, "run");
    mkdirSync(runDir);
    const pidFile = join(runDir, "d.pid");
    const report = join(dir, "report");
    writeFileSync(report, "");
    run(["chown", "nobody", report]);
    const ran = startFixture(tag, report, {
      options: { pidFile, user: "nobody" },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    await stopAndWait(pid);
    assert.match(readText(report), /stopped\nexit 0\n$/);
    assert.equal(
      readText(pidFile),
      "",
      "emptied, since nobody may not remove it",
    );
    assert.equal(status(pidFile).state, "dead");
    const again = startFixture(tag, report, {
      options: { pidFile, user: "nobody" },
    });
    assert.equal(again.code, 0, again.stderr);
  });
});

test("a signalMap handler runs on its signal and the daemon keeps running", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    const ran = startFixture(tag, report, {
      options: { pidFile },
      behaviour: "reload-handler",
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    process.kill(pid, "SIGHUP");
    assert.ok(await waitFor(() => readText(report).includes("reloaded"), 15_000));
    assert.ok(alive(pid));
  });
});

test("a second start is refused with the first daemon's pid, and the first is untouched", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    assert.equal(startFixture(tag, report, { options: { pidFile } }).code, 0);
    const pid = pidIn(pidFile);
    const second = startFixture(tag, join(dir, "report2"), {
      options: { pidFile },
    });
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `daemonize: pid-file: already running (pid ${pid})\n`,
    );
    assert.equal(readText(pidFile), `${pid}\n`);
    assert.ok(alive(pid));
    assert.deepEqual(tagged(tag), [pid]);
  });
});

test("a pid file left by a daemon killed with SIGKILL does not block the next start", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    assert.equal(startFixture(tag, report, { options: { pidFile } }).code, 0);
    const first = pidIn(pidFile);
    process.kill(first, "SIGKILL");
    assert.ok(await waitFor(() => !alive(first), 15_000));
    assert.equal(
      readText(pidFile),
      `${first}\n`,
      "the stale file is still there",
    );
    const again = startFixture(tag, report, { options: { pidFile } });
    assert.equal(again.code, 0, again.stderr);
    const second = pidIn(pidFile);
    assert.notEqual(second, first);
    assert.ok(alive(second));
  });
});

test("a pid file that is a symbolic link is refused and its target untouched", async () => {
  await withTemp((dir, tag) => {
    const target = join(dir, "precious");
    writeFileSync(target, "keep me\n");
    const pidFile = join(dir, "d.pid");
    symlinkSync(target, pidFile);
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile },
    });
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /^daemonize: pid-file: .*symbolic link.*\n$/);
    assert.equal(readText(target), "keep me\n");
    assert.deepEqual(tagged(tag), []);
  });
});

/** Starts a fixture expected to fail; checks the one-line message and that nothing is left. */
function expectFailure(
  dir: string,
  tag: string,
  options: Record<string, unknown>,
  message: RegExp,
  behaviour = "",
): void {
  const pidFile = join(dir, "d.pid");
  const ran = startFixture(tag, join(dir, "report"), {
    options: { pidFile, ...options },
    behaviour,
  });
  assert.equal(ran.code, 1, ran.stderr);
  const lines = ran.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${ran.stderr}`);
  assert.match(lines[0]!, message);
  assert.deepEqual(tagged(tag), [], "nothing left running");
  assert.ok(!existsSync(pidFile), "no pid file left behind");
}

test("a missing working directory is reported by the starter, naming the step", async () => {
  await withTemp((dir, tag) =>
    expectFailure(
      dir,
      tag,
      { workingDirectory: join(dir, "nope") },
      /^daemonize: working-directory: cannot change working directory to .*nope: No such file or directory \(ENOENT\)$/,
    )
  );
});

test("an unknown user or group is reported, naming the step", async () => {
  await withTemp((dir, tag) => {
    expectFailure(
      dir,
      tag,
      { user: "no-such-user-x" },
      /^daemonize: user: unknown user "no-such-user-x"$/,
    );
    expectFailure(
      dir,
      tag,
      { group: "no-such-group-x" },
      /^daemonize: group: unknown group "no-such-group-x"$/,
    );
  });
});

test("a pid file the daemon may not create is reported with the system's reason", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "locked", "d.pid");
    mkdirSync(join(dir, "locked"), { mode: 0o755 });
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const ran = startFixture(tag, "/dev/null", {
      options: { pidFile },
      wrap: () => [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        ...command,
      ],
    });
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      `daemonize: pid-file: cannot lock pid file ${pidFile}: Permission denied (EACCES)\n`,
    );
    assert.deepEqual(tagged(tag), []);
  });
});

test("a log file that can't be opened is reported before anything starts", async () => {
  await withTemp((dir, tag) =>
    expectFailure(
      dir,
      tag,
      { stdout: join(dir, "no", "dir", "out.log") },
      /^daemonize: streams: cannot open stdout .*out\.log: No such file or directory \(ENOENT\)$/,
    )
  );
});

test("an exception thrown before the daemon is ready is the starter's error", async () => {
  await withTemp((dir, tag) =>
    expectFailure(
      dir,
      tag,
      {},
      /^daemonize: startup: uncaught Error: boom before ready$/,
      "throw",
    )
  );
});

test("a daemon exiting before it is ready is reported with its status", async () => {
  await withTemp((dir, tag) =>
    expectFailure(
      dir,
      tag,
      {},
      /^daemonize: startup: daemon exited with status 3 before it was ready$/,
      "exit-3",
    )
  );
});

test("a daemon never ready is killed after readyTimeout and reported", async () => {
  await withTemp((dir, tag) =>
    expectFailure(
      dir,
      tag,
      { readiness: "manual", readyTimeout: 700 },
      /^daemonize: ready: daemon not ready within 700 ms; it was killed$/,
      "manual-never-ready",
    )
  );
});

test("with manual readiness the starter waits for ready()", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const started = Date.now();
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, readiness: "manual" },
      behaviour: "manual-ready-later",
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(Date.now() - started >= 300, "returned before ready()");
    assert.ok(alive(pidIn(pidFile)));
  });
});

test("bad options are one-line errors naming the option, and nothing starts", async () => {
  await withTemp((dir, tag) => {
    expectFailure(
      dir,
      tag,
      { umask: 0o1000 },
      /^daemonize: options: Invalid umask: expected an integer from 0 to 0o777, got 512$/,
    );
    expectFailure(
      dir,
      tag,
      { umask: "022" },
      /^daemonize: options: Invalid umask/,
    );
    expectFailure(
      dir,
      tag,
      { readyTimeout: -1 },
      /^daemonize: options: Invalid readyTimeout/,
    );
    expectFailure(
      dir,
      tag,
      { pidFlie: "x" },
      /^daemonize: options: Unknown option "pidFlie"$/,
    );
    expectFailure(
      dir,
      tag,
      { signalMap: { SIGNOPE: "ignore" } },
      /^daemonize: options: Invalid signalMap: unknown signal "SIGNOPE"$/,
    );
  });
});

test("a bad program description is an error naming the field, and nothing starts", async () => {
  const { daemonizeProgram, isOptionError } = await import("../mod.ts");
  await withTemp(async (dir) => {
    const pidFile = join(dir, "p.pid");
    const every = { restartDelay: 100, maxRestarts: 1, restartWindow: 1000 };
    const cases: [unknown, RegExp][] = [
      [{ command: ["sleep", "9"], grace: "0.1" }, /^Invalid program\.grace: .*, got "0\.1"$/],
      [{ command: ["sleep", "9"], settleLimit: -1 }, /^Invalid program\.settleLimit: .*, got -1$/],
      [{ command: [], grace: 100 }, /^Invalid program\.command: .*, got \[\]$/],
      [{ command: ["sleep", 9], grace: 100 }, /^Invalid program\.command\[1\]: .*, got 9$/],
      [{ command: ["sleep"], grace: -1 }, /^Invalid program\.grace: .*, got -1$/],
      [{ command: ["sleep"], grace: 1, env: { A: 1 } }, /^Invalid program\.env\.A: .*, got 1$/],
      [
        { command: ["sleep"], grace: 1, supervise: { restart: "always" } },
        /^Invalid program\.supervise\.restartDelay: .*, got undefined$/,
      ],
      [
        { command: ["sleep"], grace: 1, supervise: { ...every, restart: "sometimes" } },
        /^Invalid program\.supervise\.restart: expected one of "no", "on-failure", "always", got "sometimes"$/,
      ],
      [
        { command: ["sleep"], grace: 1, supervise: { ...every, restart: "no", maxMemory: NaN } },
        /^Invalid program\.supervise\.maxMemory: .*, got NaN$/,
      ],
      [
        { command: ["sleep"], grace: 1, supervise: { ...every, restart: "no", killAfter: 1 / 0 } },
        /^Invalid program\.supervise\.killAfter: expected a finite number, 0 or more, got Infinity$/,
      ],
      [
        {
          command: ["sleep"],
          grace: 1,
          supervise: { ...every, restart: "no", health: { port: 80, command: "true" } },
        },
        /^Invalid program\.supervise\.health: expected an object with one of command or port/,
      ],
      [
        {
          command: ["sleep"],
          grace: 1,
          supervise: {
            ...every,
            restart: "no",
            health: { port: 80, interval: 1000, timeout: 0, retries: 3 },
          },
        },
        /^Invalid program\.supervise\.health\.timeout: expected a finite number above 0, got 0$/,
      ],
      // deno-lint-ignore no-sparse-arrays
      [{ command: [, "x"], grace: 1 }, /^Invalid program\.command\[0\]: .*, got undefined$/],
      [{ command: ["sleep"], grace: 1, env: ["A=b"] }, /^Invalid program\.env: .*, got \["A=b"\]$/],
      [{ command: ["sleep"], grace: 1, env: { "A=": "b" } }, /^Invalid program\.env: /],
      [{ command: ["sleep"], grace: 1, ready: {} }, /^Invalid program\.ready: .*, got \{\}$/],
      [
        { command: ["sleep"], grace: 1, ready: { port: 80, log: "up" } },
        /^Invalid program\.ready: expected one of port, log or command/,
      ],
      [{ command: ["sleep"], grace: 1, ready: { log: "(" } }, /^Invalid program\.ready\.log: /],
      [
        { command: ["sleep", "x".repeat(100)], grace: -5 },
        /^Invalid program\.grace: .*, got -5$/,
      ],
      [
        { command: ["sleep"], grace: 1, env: { A: "x".repeat(100) + "\0" } },
        /^Invalid program\.env\.A: expected a string without NUL, got "x{58}…$/,
      ],
    ];
    for (const [program, message] of cases) {
      await assert.rejects(
        daemonizeProgram(program as never, { pidFile }),
        (error: Error) => isOptionError(error) && message.test(error.message),
        JSON.stringify(program),
      );
    }
    // A health command would run as root: not for a program of another user.
    const health = { command: "true", interval: 1000, timeout: 1000, retries: 1 };
    await assert.rejects(
      daemonizeProgram({
        command: ["sleep"],
        grace: 1,
        supervise: { ...every, restart: "no", health },
      }, {
        pidFile,
        user: "nobody",
      }),
      (error: Error) =>
        isOptionError(error) &&
        /^Invalid program\.supervise\.health\.command: with user it would run as root/.test(
          error.message,
        ),
    );
    assert.deepEqual(readdirSync(dir), [], "nothing written");
    // No limit is a limit a caller may give.
    const unlimited = {
      command: ["no-such-program-xyz"],
      grace: 1,
      supervise: { ...every, restart: "always", maxRestarts: Infinity, restartWindow: Infinity },
    };
    await assert.rejects(
      daemonizeProgram(unlimited as never, { pidFile }),
      (error: Error) => !isOptionError(error) && /no-such-program-xyz/.test(error.message),
    );
  });
});

test(
  "20 concurrent starts on one pid file leave one daemon and 19 clean refusals",
  async () => {
    await withTemp(async (dir, tag) => {
      const pidFile = join(dir, "d.pid");
      const command = runtimeCommand(fixture("report.ts"), [tag]);
      const env = {
        DAEMON_OPTIONS: JSON.stringify({ pidFile }),
        DAEMON_REPORT: "/dev/null",
      };
      const results = await Promise.all(
        Array.from({ length: 20 }, () => runAsync(command, { env })),
      );
      const ok = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code === 1);
      assert.equal(ok.length, 1, results.map((r) => r.stderr).join(""));
      assert.equal(refused.length, 19);
      const pid = pidIn(pidFile);
      for (const r of refused) {
        assert.equal(
          r.stderr,
          `daemonize: pid-file: already running (pid ${pid})\n`,
        );
      }
      assert.deepEqual(tagged(tag), [pid]);
    });
  },
  120_000,
);

test("the daemon runs the same command line as the starter, runtime flags included", async () => {
  await withTemp((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const flags = runtime === "deno"
      ? ["--v8-flags=--max-old-space-size=64", "--no-check", "--unstable-ffi"]
      : ["--smol"];
    const args = ["a b", "--flag", "--", "c"];
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile },
      flags,
      args,
    });
    assert.equal(ran.code, 0, ran.stderr);
    const cmdline = readFileSync(`/proc/${pidIn(pidFile)}/cmdline`, "utf8")
      .split("\0");
    const expected = runtimeCommand(
      fixture("report.ts"),
      [tag, ...args],
      flags,
    );
    assert.deepEqual(cmdline.slice(1, -1), expected.slice(1));
  });
});

test("a relative script path and relative options resolve from the starting directory", async () => {
  await withTemp((dir, tag) => {
    const ran = startFixture(tag, "report", {
      options: { pidFile: "d.pid", stdout: "out.log" },
      cwd: dir,
      wrap: (c) => c.map((w) => w === fixture("report.ts") ? "../" + relativeFixture(dir) : w),
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(alive(pidIn(join(dir, "d.pid"))));
    assert.match(readText(join(dir, "out.log")), /running/);
  });
});

function relativeFixture(dir: string): string {
  return relative(join(dir, ".."), fixture("report.ts"));
}

test("started by a supervisor (stdin is a socket) the program stays in the foreground", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const python = "import socket,subprocess,sys\n" +
      "a,b=socket.socketpair()\n" +
      "p=subprocess.Popen(sys.argv[1:],stdin=a)\n" +
      "print(p.pid,flush=True)\n" +
      "p.wait()\n";
    const supervisor = runAsync(["python3", "-c", python, ...command], {
      env: {
        DAEMON_OPTIONS: JSON.stringify({ pidFile }),
        DAEMON_REPORT: report,
      },
    });
    assert.ok(
      await waitFor(() => readText(report) !== "", 10_000),
      "daemon did not start",
    );
    const pid = pidIn(report);
    const [, ppid] = procStat(pid);
    assert.notEqual(Number(ppid), 1, "it did not detach");
    assert.equal(pidIn(pidFile), pid, "the pid file names the program itself");
    process.kill(pid, "SIGTERM");
    await supervisor;
    assert.match(readText(report), /stopped\nexit 0\n$/);
    assert.ok(!existsSync(pidFile));
  });
});

test("a program whose parent is init (pid 1) stays in the foreground", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    // The shell backgrounds the program and exits: the program's parent is pid 1.
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const ran = run(["sh", "-c", `${shellQuote(command)} >/dev/null 2>&1 &`], {
      env: { DAEMON_OPTIONS: JSON.stringify({ pidFile }), DAEMON_REPORT: report },
    });
    assert.equal(ran.code, 0);
    assert.ok(await waitFor(() => readText(report) !== "", 10_000), "it did not start");
    const pid = pidIn(report);
    assert.equal(pidIn(pidFile), pid, "the program itself holds the pid file");
    const [, ppid, , sid] = procStat(pid);
    assert.equal(Number(ppid), 1);
    assert.equal(Number(sid), Number(procStat(process.pid)[3]), "it started a session of its own");
  });
});

test("detachProcess: false keeps the program in the foreground on request", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const foreground = runAsync(command, {
      env: {
        DAEMON_OPTIONS: JSON.stringify({ pidFile, detachProcess: false }),
        DAEMON_REPORT: report,
      },
    });
    assert.ok(await waitFor(() => readText(report) !== "", 10_000));
    const pid = pidIn(report);
    assert.equal(
      procStat(pid)[1],
      String(process.pid),
      "still the test's child",
    );
    process.kill(pid, "SIGTERM");
    const ended = await foreground;
    assert.equal(ended.code, 0);
    assert.match(ended.stdout, /running/, "stdout kept when not detaching");
  });
});

/**
 * Starts the report fixture (with `behaviour`) as a daemon chrooted to
 * `DIR/jail`; its pid and the jail (its report is `JAIL/report`).
 */
function startInJail(dir: string, tag: string, behaviour = ""): { jail: string; pid: number } {
  const jail = join(dir, "jail");
  mkdirSync(jail);
  const pidFile = join(dir, "d.pid");
  const ran = startFixture(tag, "/report", {
    options: { pidFile, chrootDirectory: jail },
    behaviour,
  });
  assert.equal(ran.code, 0, ran.stderr);
  return { jail, pid: pidIn(pidFile) };
}

test("chrootDirectory confines the daemon", async () => {
  await withTemp((dir, tag) => {
    const { jail, pid } = startInJail(dir, tag);
    assert.equal(readlinkSync(`/proc/${pid}/root`), jail);
    assert.equal(pidIn(join(jail, "report")), pid, "it wrote inside the jail");
  });
});

test("a chrooted daemon lives on past handing back its start-up pages (2 s after ready)", async () => {
  await withTemp(async (dir, tag) => {
    const { jail, pid } = startInJail(dir, tag, "mark-after-release");
    const past = () => readText(join(jail, "report")).includes("past release\n");
    await until(() => past() || !alive(pid), "the daemon's mark after its release");
    assert.ok(alive(pid), "the daemon died after it was ready");
    assert.ok(past(), "the daemon did not get past its release");
  });
});

if (runtime === "deno") {
  test("a Deno daemon ignores SIGUSR1 instead of opening the inspector", async () => {
    await withTemp(async (dir, tag) => {
      const pidFile = join(dir, "d.pid");
      assert.equal(
        startFixture(tag, join(dir, "report"), { options: { pidFile } }).code,
        0,
      );
      const pid = pidIn(pidFile);
      assert.ok(
        await waitFor(
          () => inMask(procStatus(pid).get("SigIgn")!, SIG.USR1),
          5000,
        ),
        "SIGUSR1 not ignored",
      );
      process.kill(pid, "SIGUSR1");
      // The point: a while in which an inspector would have opened, had the
      // signal reached Deno's handler.
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(alive(pid));
      assert.doesNotMatch(
        readFileSync("/proc/net/tcp", "utf8"),
        /:2405 00000000:0000 0A/,
      );
    });
  });

  test("a chrooted Deno daemon, blind to /proc, still keeps SIGUSR1 ignored", async () => {
    await withTemp(async (dir, tag) => {
      const { jail, pid } = startInJail(dir, tag, "mark-after-release");
      // Deno installs its handler once its event loop is first idle (about
      // 0.5 s after start); the fixture's timer 2.5 s after ready ran on that
      // loop after it. Then the guard's next tick (0.1 s) sets SIG_IGN again.
      await until(
        () => readText(join(jail, "report")).includes("past release\n"),
        "the daemon's loop to run 2.5 s past ready",
      );
      const now = () => procStatus(pid);
      const guarded = () =>
        inMask(now().get("SigIgn")!, SIG.USR1) && !inMask(now().get("SigCgt")!, SIG.USR1);
      await until(guarded, () => `SIGUSR1 ignored, not caught: ${[...now()].join(" ")}`, 5000);
    });
  });
}

if (runtime === "bun") {
  test("a compiled program daemonizes itself the same way", async () => {
    await withTemp((dir, tag) => {
      const binary = join(dir, "report.bin");
      const built = run([
        process.execPath,
        "build",
        "--compile",
        fixture("report.ts"),
        "--outfile",
        binary,
      ]);
      assert.equal(built.code, 0, built.stderr);
      const pidFile = join(dir, "d.pid");
      const report = join(dir, "report");
      const ran = run([binary, tag, "a b"], {
        env: { DAEMON_OPTIONS: JSON.stringify({ pidFile }), DAEMON_REPORT: report },
      });
      assert.equal(ran.code, 0, ran.stderr);
      const pid = pidIn(pidFile);
      assert.equal(pidIn(report), pid);
      assert.equal(readFileSync(`/proc/${pid}/cmdline`, "utf8"), `${binary}\0${tag}\0a b\0`);
      const [, ppid, , sid] = procStat(pid);
      assert.equal(Number(ppid), 1);
      assert.notEqual(Number(sid), pid);
    });
  });
}

test("in the foreground under systemd, readiness is sent to NOTIFY_SOCKET", async () => {
  await withTemp(async (dir, tag) => {
    const socketPath = join(dir, "notify.sock");
    const received = join(dir, "received");
    const listener = runAsync([
      "python3",
      "-c",
      "import socket,sys\n" +
      "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
      "s.bind(sys.argv[1]); s.settimeout(20)\n" +
      "open(sys.argv[2],'wb').write(s.recv(4096))\n",
      socketPath,
      received,
    ]);
    assert.ok(await waitFor(() => existsSync(socketPath), 15_000));
    const report = join(dir, "report");
    const foreground = runAsync(runtimeCommand(fixture("report.ts"), [tag]), {
      env: {
        DAEMON_OPTIONS: JSON.stringify({ detachProcess: false }),
        DAEMON_REPORT: report,
        NOTIFY_SOCKET: socketPath,
      },
    });
    await listener;
    const pid = pidIn(report);
    assert.equal(readText(received), `READY=1\nMAINPID=${pid}\n`);
    process.kill(pid, "SIGTERM");
    assert.equal((await foreground).code, 0);
  });
});
