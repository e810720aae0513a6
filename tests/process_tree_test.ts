/**
 * A daemon is its whole process tree, known by its recorded identity, under
 * Deno, Bun or the binary ($DAEMONIZE_TEST_BINARY): wrappers with workers,
 * fd-closing programs, programs that background themselves, forged and
 * stale records, reused pids and sessions. Real processes, checked via /proc.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  alive,
  cliCommand,
  formTest,
  pidOf,
  procStat,
  python,
  readText,
  root,
  run,
  runAsync,
  runsUnsignalled,
  runtimeCommand,
  tagged,
  until,
  waitFor,
} from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 120_000);

const WRAPPER = ["sh", "-c", "sleep 1000 & sleep 2000 & wait"];
/** A program that closes every descriptor it inherited (the real interpreter: see python()). */
const fdCloser = () => [
  python(),
  "-c",
  "import os,time; os.closerange(3,65536); time.sleep(300)",
];

/** Pids of the live processes in session `sid`. */
function sessionMembers(sid: number): number[] {
  const found: number[] = [];
  for (const pid of allPids()) {
    try {
      if (Number(procStat(pid)[3]) === sid && alive(pid)) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Whether any process, zombies included, is in session `sid`. */
function holdsSession(sid: number): boolean {
  return allPids().some((pid) => {
    try {
      return Number(procStat(pid)[3]) === sid;
    } catch {
      return false;
    }
  });
}

function allPids(): number[] {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
}

/** A process of nobody's daemon, killed by pid afterwards. */
function bystander(args: string[] = ["sleep", "300"]): ChildProcess {
  return spawn(args[0]!, args.slice(1), { stdio: "ignore" });
}

function kill(child: ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // Gone.
  }
}

/**
 * Starts `command` as pid `pid` (root: the kernel's ns_last_pid, set by a
 * shell just before it forks, since a runtime's own threads take pids too).
 * Returns the pid it got.
 */
async function startAsPid(pid: number, command: string): Promise<number> {
  // A zombie holds its pid (and session number) until it is reaped, which
  // init may do late.
  await waitFor(() => !existsSync(`/proc/${pid}`) && !holdsSession(pid), 15_000);
  let got = 0;
  for (let i = 0; i < 20 && got !== pid; i++) {
    if (got) process.kill(got, "SIGKILL");
    const shell = spawn("sh", [
      "-c",
      `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid; ${command} & echo $!; wait`,
    ], { stdio: ["ignore", "pipe", "ignore"] });
    got = await new Promise<number>((resolve) => {
      let out = "";
      shell.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(Number(out.trim()));
      });
    });
  }
  return got;
}

t(
  "a wrapper's workers are part of the daemon: status counts them, stop ends them all",
  async ({ home, cli }) => {
    const started = cli(["start", "--name", "w", "--", ...WRAPPER]);
    assert.equal(started.code, 0, started.stderr);
    const pid = pidOf(home, "w");
    const sid = Number(procStat(pid)[3]);
    assert.ok(await waitFor(() => sessionMembers(sid).length === 3, 15_000));
    const workers = sessionMembers(sid).filter((p) => p !== pid);
    const status = cli(["status", "w"]);
    assert.equal(status.code, 0);
    assert.match(
      status.stdout,
      new RegExp(`^w: running \\(pid ${pid}, and 2 processes it started, `),
    );
    assert.equal(JSON.parse(cli(["status", "w", "--json"]).stdout).otherProcesses, 2);
    const stopped = cli(["stop", "w"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `w stopped (pid ${pid}, and 2 processes it started)\n`);
    for (const p of [pid, ...workers]) assert.ok(!alive(p), `pid ${p} still runs`);
    assert.equal(cli(["status", "w"]).stdout, "w: stopped\n");
    assert.ok(!existsSync(join(home, "w.pid")) && !existsSync(join(home, "w.pid.identity")));
    const again = cli(["start", "--name", "w", "--", ...WRAPPER]);
    assert.equal(again.code, 0, again.stderr);
  },
);

t(
  "stop ends workers that cleared their environment, though their main process dies at once",
  async ({ home, cli }) => {
    // Nothing of the daemon's is left in the workers' environment (but the
    // test's tag, to clean up): once the shell dies of SIGTERM, only what
    // stop saw before signalling proves them.
    const clean = 'env -i TEST_TAG="$TEST_TAG"';
    const wrapper = ["sh", "-c", `${clean} sleep 1000 & ${clean} sleep 2000 & wait`];
    assert.equal(cli(["start", "--name", "e", "--", ...wrapper]).code, 0);
    const pid = pidOf(home, "e");
    const sid = Number(procStat(pid)[3]);
    assert.ok(await waitFor(() => sessionMembers(sid).length === 3, 15_000));
    const workers = sessionMembers(sid).filter((p) => p !== pid);
    const stopped = cli(["stop", "e"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `e stopped (pid ${pid}, and 2 processes it started)\n`);
    for (const p of [pid, ...workers]) assert.ok(!alive(p), `pid ${p} still runs`);
  },
);

t(
  "after the main process is killed, status, start and stop agree on the workers it left",
  async ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "w", "--", ...WRAPPER]).code, 0);
    const pid = pidOf(home, "w");
    const sid = Number(procStat(pid)[3]);
    assert.ok(await waitFor(() => sessionMembers(sid).length === 3, 15_000));
    const workers = sessionMembers(sid).filter((p) => p !== pid);
    process.kill(pid, "SIGKILL");
    assert.ok(await waitFor(() => !alive(pid), 15_000));
    const status = cli(["status", "w"]);
    assert.equal(status.code, 1, "dead");
    assert.match(
      status.stdout,
      new RegExp(
        `^w: dead \\(pid ${pid} has ended; 2 processes of its session still running; pid file `,
      ),
    );
    assert.equal(JSON.parse(cli(["status", "w", "--json"]).stdout).otherProcesses, 2);
    const start = cli(["start", "--name", "w", "--", ...WRAPPER]);
    assert.equal(start.code, 1);
    assert.match(
      start.stderr,
      /already running: 2 processes of its last start still run \(pid \d+, \d+\); stop it first\n$/,
    );
    const stopped = cli(["stop", "w"]);
    assert.equal(stopped.stdout, `w stopped (2 processes left by pid ${pid})\n`);
    for (const p of workers) assert.ok(!alive(p), `worker ${p} still runs`);
    assert.equal(cli(["status", "w"]).code, 3);
  },
);

t(
  "a program that closes every inherited descriptor is still known: status, a refused second start, stop",
  ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "c", "--", ...fdCloser()]).code, 0);
    const pid = pidOf(home, "c");
    const status = cli(["status", "c"]);
    assert.equal(status.code, 0, status.stdout);
    const second = cli(["start", "--name", "c", "--", ...fdCloser()]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `daemonize: pid-file: already running (pid ${pid})\n`);
    assert.equal(cli(["stop", "c"]).stdout, `c stopped (pid ${pid})\n`);
    assert.ok(!alive(pid));
  },
);

t("workers that ignore SIGTERM are killed when the timeout runs out", async ({ home, cli }) => {
  const program = [
    "sh",
    "-c",
    '(trap "" TERM; exec sleep 1000) & (trap "" TERM; exec sleep 1001) & wait',
  ];
  assert.equal(cli(["start", "--name", "w", "--", ...program]).code, 0);
  const pid = pidOf(home, "w");
  const sid = Number(procStat(pid)[3]);
  await until(() => sessionMembers(sid).length === 3, "the shell's two workers");
  const stopped = cli(["stop", "w", "--timeout", "0.5"]);
  assert.equal(
    stopped.stdout,
    `w killed (pid ${pid}, and 2 processes it started): still running 0.5 s after SIGTERM\n`,
  );
  assert.deepEqual(sessionMembers(sid), []);
});

t(
  "twenty concurrent starts of an fd-closing program leave one daemon and nineteen refusals naming it",
  async ({ home, tag }) => {
    const command = cliCommand(["start", "--name", "c", "--", ...fdCloser()]);
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag };
    const results = await Promise.all(Array.from({ length: 20 }, () => runAsync(command, { env })));
    const ok = results.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, results.map((r) => r.stderr).join(""));
    const pid = pidOf(home, "c");
    assert.ok(alive(pid));
    for (const r of results.filter((r) => r.code !== 0)) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `daemonize: pid-file: already running (pid ${pid})\n`);
    }
    // A refused start's last process may still be on its way out: wait for it.
    const sid = procStat(pid)[3];
    const strays = () =>
      tagged(tag).filter((p) => {
        try {
          return procStat(p)[3] !== sid;
        } catch {
          return false;
        }
      });
    await until(() => strays().length === 0, () => `no process outside the daemon's: ${strays()}`);
  },
);

t("a forged pid file naming a bystander never gets it signalled", async ({ home, cli }) => {
  const other = bystander();
  try {
    await until(() => alive(other.pid!), "the bystander");
    // Forged in the state folder on purpose: the records under test.
    writeFileSync(join(home, "f.pid"), `${other.pid}\n`);
    const status = cli(["status", "f"]);
    assert.equal(status.code, 1);
    assert.match(
      status.stdout,
      /^f: dead \(no process of it running; pid file .* left: it names pid \d+, a process this pid file does not prove its own\)/,
    );
    assert.equal(cli(["stop", "f"]).stdout, "f is not running\n");
    assert.equal(cli(["reload", "f"]).code, 7);
    // A forged identity too, with the bystander's true start time, written by
    // another user: believed only about that user's processes, so not here.
    const identity = {
      pid: other.pid,
      start: Number(procStat(other.pid!)[19]),
      sid: null,
      sidStart: null,
      boot: readText("/proc/sys/kernel/random/boot_id").trim(),
      token: "0".repeat(32),
    };
    writeFileSync(join(home, "f.pid"), `${other.pid}\n`);
    writeFileSync(join(home, "f.pid.identity"), JSON.stringify(identity), { mode: 0o644 });
    chownSync(join(home, "f.pid.identity"), 65534, 65534);
    assert.equal(cli(["stop", "f"]).stdout, "f is not running\n");
    assert.ok(runsUnsignalled(other.pid!), "the bystander was signalled");
  } finally {
    kill(other);
  }
});

t("a recorded pid now held by another process is not the daemon", async ({ home, cli }) => {
  assert.equal(cli(["start", "--name", "r", "--", "sleep", "300"]).code, 0);
  const pid = pidOf(home, "r");
  process.kill(pid, "SIGKILL");
  assert.ok(await waitFor(() => !alive(pid), 15_000));
  // The kernel hands the same pid to a bystander.
  const other = await startAsPid(pid, "exec sleep 300");
  try {
    assert.equal(other, pid, "the pid was reused");
    assert.equal(cli(["status", "r"]).code, 1);
    assert.equal(cli(["stop", "r"]).stdout, "r is not running\n");
    assert.equal(cli(["reload", "r"]).code, 7);
    assert.ok(runsUnsignalled(pid), "the process that got the pid was signalled");
  } finally {
    process.kill(other, "SIGKILL");
  }
});

t(
  "a session number reused by a stranger's setsid() is not the daemon's session",
  async ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "s", "--", ...WRAPPER]).code, 0);
    const pid = pidOf(home, "s");
    const sid = Number(procStat(pid)[3]);
    const record = JSON.parse(readText(join(home, "s.pid.identity")));
    const token = readText(join(home, "s.pid.token"));
    assert.equal(record.sid, sid);
    assert.equal(cli(["stop", "s"]).code, 0);
    // A stranger's session now has that number: it leads it, others are in it.
    const stranger = await startAsPid(sid, "exec setsid sh -c 'sleep 300 & sleep 301 & wait'");
    try {
      assert.equal(stranger, sid, "the session number was reused");
      assert.ok(await waitFor(() => sessionMembers(sid).length === 3, 15_000));
      // The old record, put back (in the state folder, on purpose) as a stale
      // daemon would have left it.
      writeFileSync(join(home, "s.pid"), `${pid}\n`);
      writeFileSync(join(home, "s.pid.identity"), JSON.stringify(record), { mode: 0o644 });
      writeFileSync(join(home, "s.pid.token"), token, { mode: 0o600 });
      const status = cli(["status", "s", "--json"]);
      assert.equal(JSON.parse(status.stdout).otherProcesses, 0);
      assert.equal(cli(["stop", "s"]).stdout, "s is not running\n");
      const members = sessionMembers(sid);
      assert.equal(members.length, 3, "the stranger's session was signalled");
      assert.ok(members.every(runsUnsignalled), "the stranger's session was signalled");
    } finally {
      // Only a session the test made: the number may belong to anyone else.
      const ours = stranger === sid ? sessionMembers(sid) : [stranger];
      for (const p of ours) process.kill(p, "SIGKILL");
    }
  },
);

t(
  "a program that puts itself in the background fails the start, and what it left is stopped",
  ({ home, tag, cli }) => {
    const ran = cli(["start", "--name", "bg", "--", "sh", "-c", "sleep 1000 & exit 0"]);
    assert.equal(ran.code, 1);
    assert.match(
      ran.stderr,
      /^daemonize: startup: sh put itself in the background: it exited with status 0 during its start-up, leaving pid \d+ running \(now stopped\); run it in the foreground instead/,
    );
    assert.equal(ran.stderr.trimEnd().split("\n").length, 1);
    assert.deepEqual(tagged(tag), []);
    for (const file of ["bg.pid", "bg.pid.identity", "bg.start.json"]) {
      assert.ok(!existsSync(join(home, file)), `${file} left behind`);
    }
    // What the failed start did leave, its log and its lock, can be forgotten.
    assert.equal(cli(["forget", "bg"]).stdout, "bg forgotten (removed its log)\n");
    assert.ok(!existsSync(join(home, "bg.log")) && !existsSync(join(home, "bg.lock")));
    // One that leaves its session (fork, exit, setsid) is found by its token.
    const escaping = cli([
      "start",
      "--name",
      "bg",
      "--grace",
      "3",
      "--",
      python(),
      "-c",
      "import os,time\nif os.fork(): os._exit(0)\nos.setsid(); time.sleep(300)",
    ]);
    assert.equal(escaping.code, 1, escaping.stdout + escaping.stderr);
    assert.match(escaping.stderr, /put itself in the background/);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "reload refuses a program that would die of SIGHUP and uses the saved --reload-signal",
  async ({ home, work, cli }) => {
    assert.equal(cli(["start", "--name", "plain", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(home, "plain");
    const refused = cli(["reload", "plain"]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^plain: pid \d+ neither catches nor ignores SIGHUP, so it would end; not sent\. Use restart/,
    );
    assert.ok(alive(pid));
    const log = join(work, "usr2.log");
    const script = `trap 'echo reloaded >> ${log}' USR2; while :; do sleep 0.05; done`;
    const ran = cli(["start", "--name", "r2", "--reload-signal", "USR2", "--", "sh", "-c", script]);
    assert.equal(ran.code, 0, ran.stderr);
    const reloaded = cli(["reload", "r2"]);
    assert.equal(reloaded.stdout, `r2 reloaded (SIGUSR2 to pid ${pidOf(home, "r2")})\n`);
    assert.ok(await waitFor(() => readText(log) === "reloaded\n", 15_000));
    assert.equal(cli(["status", "r2"]).code, 0);
  },
);

t(
  "restart gets the environment start was given; start NAME and forget act on the saved start",
  async ({ home, work, cli }) => {
    const out = join(work, "env.out");
    const program = ["sh", "-c", `echo "$SECRET" > ${out}; exec sleep 300`];
    assert.equal(cli(["start", "--name", "e", "--", ...program], { SECRET: "s3" }).code, 0);
    assert.ok(await waitFor(() => readText(out) === "s3\n", 15_000));
    assert.equal(statSync(join(home, "e.start.json")).mode & 0o777, 0o600);
    writeFileSync(out, "");
    const restarted = cli(["restart", "e"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(
      restarted.stderr,
      /keeps the environment it was started with; yours differs \(SECRET removed\)/,
    );
    assert.ok(await waitFor(() => readText(out) === "s3\n", 15_000), "SECRET kept");
    assert.equal(cli(["forget", "e"]).code, 1, "a running daemon is not forgotten");
    assert.equal(cli(["stop", "e"]).code, 0);
    writeFileSync(out, "");
    const again = cli(["start", "e"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `e started (pid ${pidOf(home, "e")})\n`);
    assert.ok(
      await waitFor(() => readText(out) === "s3\n", 15_000),
      "the saved start, SECRET kept",
    );
    assert.equal(cli(["stop", "e"]).code, 0);
    const forgotten = cli(["forget", "e"]);
    assert.equal(forgotten.stdout, "e forgotten (removed its saved start and log)\n");
    assert.ok(!existsSync(join(home, "e.start.json")) && !existsSync(join(home, "e.log")));
    const unknown = cli(["forget", "e"]);
    assert.equal(unknown.code, 5);
    assert.equal(unknown.stderr, `daemonize: no daemon named "e" in ${home}\n`);
  },
);

t(
  "a daemon with a pid file outside the state folder is listed, and stop cleans its files",
  ({ work, cli }) => {
    mkdirSync(join(work, "elsewhere"));
    const pidFile = join(work, "elsewhere", "x.pid");
    assert.equal(
      cli(["start", "--name", "x", "--pid-file", pidFile, "--", "sleep", "300"]).code,
      0,
    );
    const list = JSON.parse(cli(["status", "--json"]).stdout);
    assert.deepEqual(list.map((d: { name: string; pidFile: string }) => [d.name, d.pidFile]), [[
      "x",
      pidFile,
    ]]);
    assert.equal(cli(["stop", "--pid-file", pidFile]).code, 0);
    assert.ok(!existsSync(pidFile) && !existsSync(`${pidFile}.identity`));
  },
);

t(
  "a self-controlled script run by the command is listed once, under its own pid file or the command's",
  async ({ home, cli }) => {
    const hello = runtimeCommand(join(root, "examples", "hello.ts"), ["run"]);
    const other = cli(["start", "--name", "h", "--grace", "0.5", "--", ...hello]);
    assert.equal(other.code, 0, other.stderr);
    const pid = pidOf(home, "h");
    assert.ok(await waitFor(() => pidOf(home, "hello") === pid, 15_000), "hello.pid written");
    const list = JSON.parse(cli(["status", "--json"]).stdout);
    assert.deepEqual(list.map((d: { pid: number }) => d.pid), [pid]);
    assert.equal(cli(["stop", "h"]).stdout, `h stopped (pid ${pid})\n`);
    assert.ok(
      await waitFor(() => !existsSync(join(home, "hello.pid")), 15_000),
      "hello.pid removed",
    );
    // Under the same name both use one pid file: the start's record stays.
    const same = cli(["start", "--name", "hello", "--grace", "0.5", "--", ...hello]);
    assert.equal(same.code, 0, same.stderr);
    const again = pidOf(home, "hello");
    assert.equal(cli(["status", "hello"]).code, 0);
    assert.equal(cli(["stop", "hello"]).stdout, `hello stopped (pid ${again})\n`);
    assert.equal(cli(["status", "hello"]).code, 3);
  },
);

t(
  "a restart run from inside the daemon's own session goes on outside it and completes",
  async ({ home, work, cli }) => {
    const out = join(work, "hook.out");
    const go = join(work, "go");
    const restart = cliCommand(["restart", "selfr"]).map((w) => `'${w}'`).join(" ");
    // It restarts itself once its start is over (the test says go), not
    // mid-start; and once: the run that takes the go file away.
    const wait = `until rm ${go} 2>/dev/null; do sleep 0.05; done`;
    const program = ["sh", "-c", `${wait}; ${restart} >> ${out} 2>&1; exec sleep 300`];
    const started = cli(["start", "--name", "selfr", "--", ...program]);
    assert.equal(started.code, 0, started.stderr);
    const first = pidOf(home, "selfr");
    writeFileSync(go, "");
    assert.ok(
      await waitFor(() => /selfr started \(pid \d+\)/.test(readText(out)), 10_000),
      readText(out),
    );
    assert.match(
      readText(out),
      /runs in selfr's own session, which it ends: it goes on as pid \d+/,
    );
    assert.match(readText(out), new RegExp(`selfr stopped \\(pid ${first}`));
    const second = pidOf(home, "selfr");
    assert.notEqual(second, first);
    assert.ok(!alive(first));
    assert.equal(cli(["status", "selfr"]).code, 0);
  },
);

t("one name never runs twice, whichever pid file each start names", ({ work, cli }) => {
  mkdirSync(join(work, "other"));
  const pidFile = join(work, "other", "x.pid");
  assert.equal(cli(["start", "--name", "x", "--pid-file", pidFile, "--", "sleep", "300"]).code, 0);
  const pid = Number(readText(pidFile));
  const second = cli(["start", "--name", "x", "--", "sleep", "301"]);
  assert.equal(second.code, 1);
  assert.equal(
    second.stderr,
    `daemonize: pid-file: already running (pid ${pid}), with pid file ${pidFile}\n`,
  );
  assert.equal(cli(["stop", "x"]).stdout, `x stopped (pid ${pid})\n`);
});

t(
  "stop leaves alone a pid file it did not write while the pid it names runs",
  async ({ work, cli }) => {
    const other = bystander();
    try {
      await until(() => alive(other.pid!), "the bystander");
      const pidFile = join(work, "foreign.pid");
      writeFileSync(pidFile, `${other.pid}\n`);
      assert.equal(cli(["stop", "--pid-file", pidFile]).stdout, `${pidFile} is not running\n`);
      assert.equal(readText(pidFile), `${other.pid}\n`, "the file was removed");
      assert.ok(alive(other.pid!));
    } finally {
      kill(other);
    }
  },
);

t(
  "the token is kept apart from the public identity, readable by its owner only",
  ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "k", "--", "sleep", "300"]).code, 0);
    const identity = JSON.parse(readText(join(home, "k.pid.identity")));
    assert.equal(identity.token, undefined);
    assert.equal(statSync(join(home, "k.pid.identity")).mode & 0o777, 0o644);
    assert.equal(statSync(join(home, "k.pid.token")).mode & 0o777, 0o600);
    const token = readText(join(home, "k.pid.token")).trim();
    assert.match(
      readText(`/proc/${pidOf(home, "k")}/environ`),
      new RegExp(`(^|\\0)DAEMONIZE_ID=${token}\\0`),
    );
    assert.equal(cli(["stop", "k"]).code, 0);
    assert.ok(!existsSync(join(home, "k.pid.token")));
  },
);

t(
  "another user who can't check the session says so instead of calling it gone",
  async ({ home, cli }) => {
    const started = cli(["start", "--name", "u", "--", ...WRAPPER]);
    assert.equal(started.code, 0, started.stderr);
    const pid = pidOf(home, "u");
    const sid = Number(procStat(pid)[3]);
    assert.ok(await waitFor(() => sessionMembers(sid).length === 3, 15_000));
    process.kill(pid, "SIGKILL");
    assert.ok(await waitFor(() => !alive(pid), 15_000));
    const asNobody = (args: string[]) =>
      run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cliCommand(args)], {
        env: { DAEMONIZE_HOME: home, NO_COLOR: "", HOME: "/" },
      });
    const status = asNobody(["status", "u"]);
    assert.equal(status.code, 4, status.stdout + status.stderr);
    assert.match(status.stdout, /2 processes of its session can't be checked by this user/);
    const stop = asNobody(["stop", "u"]);
    assert.equal(stop.code, 1);
    assert.match(
      stop.stderr,
      /^daemonize: stop: 2 processes of its session can't be checked by this user: stop it as root\n$/,
    );
    assert.equal(sessionMembers(sid).length, 2, "nothing was signalled");
    assert.equal(cli(["stop", "u"]).stdout, `u stopped (2 processes left by pid ${pid})\n`);
  },
);

t(
  "a reader that goes away early and a FIFO where a record should be end in one line, never a hang",
  ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "p", "--", "sleep", "300"]).code, 0);
    const piped = run([
      "sh",
      "-c",
      `${cliCommand(["status", "p"]).map((w) => `'${w}'`).join(" ")} | true`,
    ], {
      env: { DAEMONIZE_HOME: home },
    });
    assert.equal(piped.stderr, "");
    // A record forged in the state folder on purpose, with a FIFO for its identity.
    writeFileSync(join(home, "q.pid"), "1\n");
    run(["mkfifo", join(home, "q.pid.identity")]);
    const status = cli(["status", "q"]);
    assert.equal(status.code, 1, status.stderr);
    assert.equal(cli(["stop", "q"]).code, 0);
  },
);

t(
  "concurrent starts of one name with different pid files leave one daemon",
  async ({ home, work, tag }) => {
    mkdirSync(join(work, "a"));
    mkdirSync(join(work, "b"));
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runAsync(
          cliCommand([
            "start",
            "--name",
            "n",
            "--pid-file",
            join(work, i % 2 ? "a" : "b", "n.pid"),
            "--",
            "sleep",
            "300",
          ]),
          { env },
        )),
    );
    const ok = results.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, results.map((r) => r.stderr).join(""));
    for (const r of results.filter((r) => r.code !== 0)) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^daemonize: pid-file: already running \(pid \d+\)/);
    }
    const list = JSON.parse(run(cliCommand(["status", "--json"]), { env }).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].state, "running");
  },
);
