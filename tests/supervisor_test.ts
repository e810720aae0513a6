/**
 * Supervision end to end (under Deno, Bun, or the binary): restarts with
 * backoff, giving up, `kill -9` of the program and of the supervisor, stop
 * during a backoff wait, captured output rotated without loss, `logs -f`
 * across a rotation, `reload` judged by the program, and `run` as PID 1.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import process from "node:process";
import { spawn } from "node:child_process";
import {
  alive,
  cliCommand,
  fixture,
  form,
  formTest,
  pidOf,
  procStat,
  procStatus,
  python,
  readText,
  removeDir,
  root,
  run,
  runtimeCommand,
  tagged,
  tempDir,
  until,
  waitFor,
} from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

interface Record {
  supervisor: number;
  program: number | null;
  state: string;
  restarts: number;
  lastExit: string | null;
}

function record(home: string, name: string): Record | undefined {
  const text = readText(join(home, `${name}.pid.supervisor`));
  return text ? JSON.parse(text) : undefined;
}

t(
  "a crashing program is restarted with a doubling delay, then the daemon is failed",
  async ({ home, work, cli }) => {
    const runs = join(work, "runs");
    const started = cli([
      "start",
      "--name",
      "crash",
      "--restart",
      "on-failure",
      "--restart-delay",
      "0.2",
      "--max-restarts",
      "3",
      "--",
      "sh",
      "-c",
      `date +%s%N >> ${runs}; sleep 0.3; echo oops >&2; exit 3`,
    ]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^crash started \(pid \d+\)\n$/);
    const supervisor = pidOf(home, "crash");
    assert.ok(
      await waitFor(() => !alive(supervisor), 15_000),
      "the supervisor gives up and exits",
    );
    const times = readText(runs).trim().split("\n").map((n) => Number(BigInt(n) / 1_000_000n));
    assert.equal(times.length, 4, "the first run and 3 restarts");
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Each run lasts 0.3 s, then waits 0.2, 0.4, 0.8 s: the delays double, and
    // no run comes sooner than its delay says (a loaded machine only adds).
    const delays = [...readText(join(home, "crash.log")).matchAll(/restarting in (\d+) ms\n/g)]
      .map((m) => Number(m[1]));
    assert.deepEqual(delays, [200, 400, 800], "the delays double");
    gaps.forEach((gap, i) =>
      assert.ok(gap >= 300 + delays[i]! - 20, `gaps ${gaps.join(", ")} ms: restart ${i + 1} early`)
    );
    const status = cli(["status", "crash"]);
    assert.equal(status.code, 3);
    assert.equal(
      status.stdout,
      "crash: failed (last run exited with status 3, 3 restarts)\n",
    );
    const json = JSON.parse(cli(["status", "crash", "--json"]).stdout);
    assert.equal(json.state, "failed");
    assert.equal(json.restarts, 3);
    assert.ok(!existsSync(join(home, "crash.pid")), "no pid file left");
    const log = readText(join(home, "crash.log"));
    assert.equal(log.match(/^oops$/gm)?.length, 4, log);
    assert.match(log, /sh exited with status 3; restarting in 200 ms\n/);
    assert.match(log, /giving up after 3 restarts within 60 s\n/);
    // A failed daemon starts again by name.
    const again = cli(["start", "crash"]);
    assert.equal(again.code, 0, again.stderr);
    // Supervised again; its program (which crashes after 0.3 s) may be between runs by now.
    assert.match(
      cli(["status", "crash"]).stdout,
      /^crash: (running \(pid \d+, supervisor pid \d+, |restarting \()/,
    );
    assert.equal(cli(["stop", "crash"]).code, 0);
  },
);

t(
  "a program killed with SIGKILL is replaced, and stop ends it for good",
  async ({ home, cli, tag }) => {
    const started = cli([
      "start",
      "--name",
      "k",
      "--restart",
      "on-failure",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    const first = record(home, "k")!.program!;
    assert.equal(Number(procStat(first)[1]), pidOf(home, "k"), "the supervisor is its parent");
    process.kill(first, "SIGKILL");
    assert.ok(
      await waitFor(() => {
        const now = record(home, "k")?.program;
        return !!now && now !== first && alive(now);
      }, 15_000),
      "a new program runs",
    );
    assert.equal(record(home, "k")!.lastExit, "was killed by SIGKILL");
    const status = cli(["status", "k"]);
    assert.match(
      status.stdout,
      /pid \d+, supervisor pid \d+, 1 restart, last run was killed by SIGKILL/,
    );
    const stopped = cli(["stop", "k"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^k stopped \(pid \d+(, and 1 process it started)?\)\n$/);
    assert.deepEqual(tagged(tag), [], "nothing left running");
    assert.equal(cli(["status", "k"]).code, 3);
    assert.ok(!existsSync(join(home, "k.pid.supervisor")), "a stop leaves no record");
  },
);

t(
  "a supervisor goes on in an image of its own, with the pid its start recorded",
  async ({ home, cli, tag }) => {
    const started = cli(["start", "--name", "lean", "--restart", "always", "--", "sleep", "300"]);
    assert.equal(started.code, 0, started.stderr);
    const supervisor = pidOf(home, "lean");
    assert.match(started.stdout, new RegExp(`^lean started \\(pid ${supervisor}\\)`));
    const words = readFileSync(`/proc/${supervisor}/cmdline`, "utf8").split("\0").slice(0, -1);
    // The command line stays, for ps; under a runtime, the supervisor's
    // module takes the main module's place (a compiled program has none
    // to run on its own: it supervises in place).
    assert.deepEqual(words.slice(-6), ["lean", "--restart", "always", "--", "sleep", "300"]);
    const main = form === "binary" ? [] : ["supervisor/main.ts"];
    assert.deepEqual(
      words.filter((w) => /\.ts$/.test(w)).map((w) => w.split("/").slice(-2).join("/")),
      main,
      words.join(" "),
    );
    const program = record(home, "lean")!.program!;
    assert.equal(Number(procStat(program)[1]), supervisor, "the supervisor is its parent");
    // Signals held across the exec are let through, and never held in the program.
    assert.equal(BigInt(`0x${procStatus(supervisor).get("SigBlk")}`) & 0x8004a07n, 0n);
    assert.equal(BigInt(`0x${procStatus(program).get("SigBlk")}`), 0n);
    const environ = readFileSync(`/proc/${program}/environ`, "utf8").split("\0");
    assert.deepEqual(environ.filter((e) => /^DAEMONIZE_(PLAN|STAGE)=/.test(e)), []);
    assert.equal(cli(["status", "lean"]).code, 0);
    const stopped = cli(["stop", "lean"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`^lean stopped \\(pid ${supervisor}, and 1 process`));
    assert.ok(await waitFor(() => !alive(supervisor) && !alive(program), 15_000));
    assert.ok(!existsSync(join(home, "lean.pid")), "its pid file is removed");
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a supervisor with nothing to read lives on: a program that fails after 3 s is restarted",
  async ({ home, cli, tag }) => {
    // No captured output (no pipes), no memory limit: nothing but the
    // supervisor's own wish keeps its runtime running.
    const started = cli([
      "start",
      "--name",
      "late",
      "--restart",
      "always",
      "--log",
      "/dev/null",
      "--",
      "sh",
      "-c",
      "sleep 3; exit 1",
    ]);
    assert.equal(started.code, 0, started.stderr);
    const supervisor = pidOf(home, "late");
    assert.ok(
      await waitFor(() => (record(home, "late")?.restarts ?? 0) >= 1, 15_000),
      "restarted after its failure",
    );
    assert.ok(alive(supervisor), "the supervisor runs on");
    assert.equal(record(home, "late")!.lastExit, "exited with status 1");
    const stopped = cli(["stop", "late"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(await waitFor(() => !alive(supervisor), 15_000));
    assert.deepEqual(tagged(tag), []);
  },
);

// A compiled program supervises in place: it has no image of its own to fail.
if (form !== "binary") {
  t(
    "a supervisor whose own image fails to start fails the start with its error, and leaves nothing running",
    ({ home, tag }) => {
      // A copy of the module whose supervisor image throws as it loads.
      const copy = tempDir();
      try {
        for (const part of ["mod.ts", "deno.json", "src", "ffi"]) {
          cpSync(join(root, part), join(copy, part), { recursive: true });
        }
        writeFileSync(
          join(copy, "src", "supervisor/main.ts"),
          'throw new Error("this image is broken");\n',
        );
        const ran = run(
          runtimeCommand(join(copy, "mod.ts"), [
            "start",
            "--name",
            "broken",
            "--restart",
            "always",
            "--",
            "sleep",
            "300",
          ]),
          { env: { DAEMONIZE_HOME: home, TEST_TAG: tag } },
        );
        assert.equal(ran.code, 1, ran.stderr);
        assert.match(
          ran.stderr,
          /^daemonize: startup: supervisor ended before it started sleep: it closed the readiness pipe without a word\n/,
        );
        assert.match(ran.stderr, /broken\.log: .*this image is broken/);
        assert.deepEqual(tagged(tag), [], "nothing of it runs");
        assert.ok(!existsSync(join(home, "broken.pid")), "no pid file is left");
      } finally {
        removeDir(copy);
      }
    },
  );
}

t(
  "a supervisor killed with SIGKILL leaves its program found by status and ended by stop, with its output keeper",
  async ({ home, cli, tag }) => {
    assert.equal(
      cli(["start", "--name", "orphan", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    const program = record(home, "orphan")!.program!;
    const supervisor = pidOf(home, "orphan");
    process.kill(supervisor, "SIGKILL");
    await until(() => !alive(supervisor), "the supervisor's death");
    assert.ok(alive(program), "the program runs on, unsupervised");
    const status = cli(["status", "orphan"]);
    assert.equal(status.code, 1);
    assert.match(
      status.stdout,
      new RegExp(
        `dead \\(its supervisor, pid ${supervisor}, was killed; its program, pid ${program}, runs on unsupervised: start orphan supervises it again;`,
      ),
    );
    const stopped = cli(["stop", "orphan"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /orphan stopped \(1 process left by pid \d+\)/);
    assert.ok(!alive(program));
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "stop during the wait before a restart ends the daemon at once",
  async ({ home, cli, tag }) => {
    assert.equal(
      cli([
        "start",
        "--name",
        "w",
        "--restart",
        "always",
        "--restart-delay",
        "20",
        "--",
        "sh",
        "-c",
        "sleep 0.3",
      ]).code,
      0,
    );
    assert.ok(await waitFor(() => record(home, "w")?.state === "restarting", 15_000));
    const before = Date.now();
    const stopped = cli(["stop", "w"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(Date.now() - before < 10_000, "not after the 20 s delay");
    assert.deepEqual(tagged(tag), []);
    assert.equal(cli(["status", "w"]).stdout, "w: stopped\n");
  },
);

t(
  "a daemon between two runs of its program is restarting: status says when it starts again and exits 3",
  async ({ home, cli, tag }) => {
    const started = cli([
      "start",
      "--name",
      "loop",
      "--restart",
      "always",
      "--restart-delay",
      "60",
      "--",
      "sh",
      "-c",
      "echo crashing >&2; sleep 1; exit 3",
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => record(home, "loop")?.state === "restarting", "the wait before a restart");
    const supervisor = pidOf(home, "loop");
    const status = cli(["status", "loop"]);
    assert.equal(status.code, 3, "its program is not up");
    assert.match(
      status.stdout,
      new RegExp(
        `^loop: restarting \\(next start at \\d\\d:\\d\\d:\\d\\d, in \\d+\\.\\d s; 0 restarts so far; last run exited with status 3; supervisor pid ${supervisor}\\)\n$`,
      ),
    );
    const json = JSON.parse(cli(["status", "loop", "--json"]).stdout);
    assert.equal(json.state, "restarting");
    assert.equal(json.pid, null);
    assert.equal(json.supervisorPid, supervisor);
    assert.equal(json.restarts, 0);
    assert.equal(json.lastExit, "exited with status 3");
    assert.ok(Date.parse(json.restartAt) > Date.now(), `${json.restartAt} is to come`);
    const list = cli(["status"]);
    assert.equal(list.code, 1, "the list says one is not up");
    assert.match(list.stdout, /^loop +- +restarting +- +0 /m);
    assert.equal(JSON.parse(cli(["status", "--json"]).stdout)[0].state, "restarting");
    assert.equal(cli(["stop", "loop"]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "200,000 lines written at full speed across many rotations are all kept, none split",
  async ({ home, cli }) => {
    const started = cli([
      "start",
      "--name",
      "burst",
      "--log-max-size",
      "64K",
      "--log-keep",
      "100",
      "--",
      "sh",
      "-c",
      "sleep 0.2; seq 1 200000; sleep 300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    const files = () => readdirSync(home).filter((f) => f.startsWith("burst.log"));
    const lines = () => files().flatMap((f) => readText(join(home, f)).split("\n").slice(0, -1));
    assert.ok(await waitFor(() => lines().length >= 200_000, 60_000), `${lines().length} lines`);
    const all = lines();
    assert.equal(all.length, 200_000);
    const seen = new Set(all.map(Number));
    assert.equal(seen.size, 200_000, "each line once, whole");
    for (let n = 1; n <= 200_000; n += 9973) assert.ok(seen.has(n));
    assert.ok(files().length >= 11, `at least 10 rotations (${files().length} files)`);
    for (const f of files()) {
      const size = readFileSync(join(home, f)).length;
      assert.ok(size <= 64 * 1024, `${f} is ${size} bytes`);
      assert.ok(readText(join(home, f)).endsWith("\n"), `${f} ends with a whole line`);
    }
    assert.equal(cli(["stop", "burst"]).code, 0);
  },
);

t(
  "a last line without a newline is kept when the program exits, and logs shows the tail",
  async ({ home, cli }) => {
    assert.equal(
      cli([
        "start",
        "--name",
        "tail",
        "--log-time",
        "--",
        "sh",
        "-c",
        "sleep 0.2; seq 1 30; printf 'no newline'",
      ]).code,
      0,
    );
    assert.ok(await waitFor(() => !alive(pidOf(home, "tail")), 15_000));
    const log = readText(join(home, "tail.log"));
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 1\n/);
    assert.match(log, /Z no newline\n/);
    const shown = cli(["logs", "tail", "-n", "2"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^\S+ no newline\n\S+ daemonize: sh exited with status 0\n$/);
    assert.equal(cli(["status", "tail"]).code, 3, "it exited and was not restarted");
  },
);

t(
  "logs -f follows the log across a rotation until interrupted",
  async ({ home, cli }) => {
    assert.equal(
      cli([
        "start",
        "--name",
        "f",
        "--log-max-size",
        "1K",
        "--",
        "sh",
        "-c",
        'i=0; while [ $i -lt 100000 ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done',
      ]).code,
      0,
    );
    const follower = spawn(
      cliCommand(["logs", "f", "-f", "-n", "1"])[0]!,
      cliCommand([
        "logs",
        "f",
        "-f",
        "-n",
        "1",
      ]).slice(1),
      { env: { ...process.env, DAEMONIZE_HOME: home }, stdio: "pipe" },
    );
    let out = "";
    follower.stdout!.on("data", (d) => out += d);
    const ended = new Promise<number | null>((r) => follower.on("close", (code) => r(code)));
    assert.ok(
      await waitFor(() => existsSync(join(home, "f.log.2")), 15_000),
      "rotated at least twice",
    );
    // Until what the follower printed spans a rotation it saw: it began before
    // the newest rotated file did, and has reached the file written now.
    const followed = () => out.trim().split("\n").filter(Boolean).map((l) => Number(l.slice(5)));
    const firstIn = (file: string) => Number(/^line (\d+)\n/.exec(readText(join(home, file)))?.[1]);
    await until(() => {
      const numbers = followed();
      return numbers.length > 60 && numbers[0]! < firstIn("f.log.1") &&
        numbers.at(-1)! >= firstIn("f.log");
    }, () => `logs -f to follow across a rotation (${followed().length} lines followed)`);
    process.kill(follower.pid!, "SIGINT");
    assert.equal(await ended, 0, "a clean stop on Ctrl-C");
    const numbers = out.trim().split("\n").map((l) => Number(l.replace("line ", "")));
    assert.ok(numbers.length > 60, `${numbers.length} lines followed`);
    for (let i = 1; i < numbers.length; i++) {
      assert.equal(numbers[i], numbers[i - 1]! + 1, `no line lost or repeated at ${i}`);
    }
    assert.equal(cli(["stop", "f"]).code, 0);
  },
);

t(
  "reload is judged by the supervised program: refused without a handler, passed on with one",
  async ({ home, work, cli }) => {
    assert.equal(
      cli(["start", "--name", "bare", "--restart", "on-failure", "--", "sleep", "300"]).code,
      0,
    );
    const refused = cli(["reload", "bare"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /its program \(pid \d+\) .*SIGHUP.*not sent/);
    const handled = join(work, "hup");
    assert.equal(
      cli([
        "start",
        "--name",
        "h",
        "--restart",
        "on-failure",
        "--",
        "sh",
        "-c",
        `trap 'echo got >> ${handled}' HUP; while :; do sleep 0.05; done`,
      ]).code,
      0,
    );
    const program = record(home, "h")!.program!;
    const reloaded = cli(["reload", "h"]);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.ok(await waitFor(() => readText(handled) === "got\n", 15_000), "the program got it");
    assert.equal(record(home, "h")!.program, program, "and was not restarted");
    assert.equal(cli(["stop", "h"]).code, 0);
    assert.equal(cli(["stop", "bare"]).code, 0);
  },
);

t(
  "with --user the program runs as that user while its supervisor stays root",
  async ({ home, cli }) => {
    const started = cli([
      "start",
      "--name",
      "u",
      "--user",
      "nobody",
      "--restart",
      "on-failure",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    const supervisor = pidOf(home, "u");
    const program = record(home, "u")!.program!;
    assert.equal(procStatus(supervisor).get("Uid")!.split("\t")[0], "0");
    // The program's own stage drops privileges, then executes it: after the grace period, maybe.
    await until(
      () => readText(`/proc/${program}/cmdline`) === "sleep\x00300\x00",
      () => `the program's exec (${readText(`/proc/${program}/cmdline`)})`,
    );
    assert.equal(procStatus(program).get("Uid")!.split("\t")[0], "65534");
    assert.equal(Number(procStat(program)[1]), supervisor, "its parent is the supervisor");
    assert.equal(cli(["stop", "u"]).code, 0);
    assert.ok(!existsSync(join(home, "u.pid")), "root removed the pid file");
  },
);

t(
  "a supervised start whose program exits within its grace fails with its status and log",
  ({ home, cli, tag }) => {
    const ran = cli([
      "start",
      "--name",
      "early",
      "--restart",
      "always",
      "--",
      "sh",
      "-c",
      "echo config is broken >&2; exit 4",
    ]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /^daemonize: startup: sh exited with status 4 during its start-up\n/);
    // An exit status above 128 is the program's own, not a signal's.
    const high = cli([
      "start",
      "--name",
      "high",
      "--restart",
      "always",
      "--",
      "sh",
      "-c",
      "exit 130",
    ]);
    assert.match(
      high.stderr,
      /^daemonize: startup: sh exited with status 130 during its start-up\n/,
    );
    assert.match(ran.stderr, /early\.log: config is broken/);
    assert.deepEqual(tagged(tag), []);
    assert.ok(!existsSync(join(home, "early.pid")));
  },
);

const unshare = run(["unshare", "--fork", "--pid", "--mount-proc", "true"]).code === 0;

t(
  "run as PID 1 reaps orphans and passes on the program's exit status",
  ({ home }) => {
    if (!unshare) throw new Error("unshare --pid is needed for this test");
    const inside = (script: string) =>
      run([
        "unshare",
        "--fork",
        "--pid",
        "--mount-proc",
        ...cliCommand([
          "run",
          "--name",
          "init",
          "--",
          "sh",
          "-c",
          script,
        ]),
      ], { env: { DAEMONIZE_HOME: home } });
    // Orphans (their parent exits at once) become PID 1's children; once
    // they end, none may stay a zombie.
    const reaped = inside(
      "sh -c 'sleep 0.1 & sleep 0.1 & exit 0'; sleep 0.5; " +
        "echo parent $PPID; grep -l '^State:.Z' /proc/[0-9]*/status | wc -l; exit 7",
    );
    assert.equal(reaped.code, 7, reaped.stderr);
    assert.equal(reaped.stdout, "parent 1\n0\n", "no zombie left");
    const killed = inside("kill -TERM $$");
    assert.equal(killed.code, 143, killed.stderr);
  },
);

t(
  "list shows every daemon in a table with its restarts, CPU and the memory of its whole tree",
  async ({ home, cli }) => {
    assert.equal(cli(["start", "--name", "plain", "--", "sh", "-c", "sleep 300 & wait"]).code, 0);
    assert.equal(
      cli(["start", "--name", "sup", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    const program = record(home, "sup")!.program!;
    process.kill(program, "SIGKILL");
    assert.ok(await waitFor(() => (record(home, "sup")?.restarts ?? 0) === 1, 15_000));
    const listed = cli(["list"]);
    assert.equal(listed.code, 0, listed.stderr);
    const [header, ...rows] = listed.stdout.trimEnd().split("\n");
    assert.match(header!, /^NAME +PID +STATE +UPTIME +RESTARTS +CPU\(0\.5s\) +MEMORY +SUPERVISOR$/);
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /^plain +\d+ +running +\d+s +- +\d+\.\d% +[\d.]+ MB +-$/);
    assert.match(rows[1]!, /^sup +\d+ +running +\d+s +1 +\d+\.\d% +[\d.]+ MB +[\d.]+ MB$/);
    const json = JSON.parse(cli(["status", "--json"]).stdout);
    const plain = json.find((d: { name: string }) => d.name === "plain");
    const sup = json.find((d: { name: string }) => d.name === "sup");
    assert.equal(plain.otherProcesses, 1, "the shell's sleep");
    const plainTree = rssOf(plain.pid) + rssOfChildren(plain.pid);
    assert.ok(plain.rssBytes >= plainTree * 0.8, "the whole tree's memory");
    assert.equal(sup.supervisorPid, pidOf(home, "sup"));
    assert.equal(sup.pid, record(home, "sup")!.program);
    assert.equal(sup.restarts, 1);
    assert.equal(sup.lastExit, "was killed by SIGKILL");
    assert.equal(cli(["stop", "sup"]).code, 0);
    assert.equal(cli(["stop", "plain"]).code, 0);
  },
);

function rssOf(pid: number): number {
  return Number(procStatus(pid).get("VmRSS")!.split(" ")[0]) * 1024;
}

function rssOfChildren(pid: number): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(procStat(Number(entry))[1]) === pid) total += rssOf(Number(entry));
    } catch {
      // Gone.
    }
  }
  return total;
}

t(
  "a program whose memory grows past --max-memory is restarted, and the log says how much it used",
  async ({ home, cli, tag }) => {
    const interpreter = basename(python());
    const grow = "import time\na=[]\nfor _ in range(60):\n" +
      "    a.append(b'x' * (10 * 1024 * 1024)); time.sleep(0.1)\ntime.sleep(300)\n";
    const started = cli([
      "start",
      "--name",
      "mem",
      "--max-memory",
      "60M",
      "--",
      python(),
      "-c",
      grow,
    ]);
    assert.equal(started.code, 0, started.stderr);
    const first = record(home, "mem")!.program!;
    assert.ok(
      await waitFor(() => (record(home, "mem")?.restarts ?? 0) >= 1, 15_000),
      readText(join(home, "mem.log")),
    );
    assert.ok(!alive(first), "the grown program was ended");
    const log = readText(join(home, "mem.log"));
    const name = interpreter.replaceAll(".", "\\.");
    const used = new RegExp(`${name} uses ([\\d.]+) MiB \\(limit 60\\.0 MiB\\); restarting it\n`)
      .exec(log);
    assert.ok(used && Number(used[1]) > 60, log);
    assert.match(log, new RegExp(`${name} was killed by SIGTERM; restarting in 100 ms\n`));
    assert.equal(cli(["stop", "mem"]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a daemonize() program under start --restart stays in the foreground and is restarted",
  async ({ home, work, cli, tag }) => {
    const appPid = join(work, "own.pid");
    const started = cli(
      [
        "start",
        "--name",
        "app",
        "--restart",
        "on-failure",
        "--",
        ...runtimeCommand(fixture("foreground_app.ts")),
      ],
      { APP_PID: appPid },
    );
    assert.equal(started.code, 0, started.stderr);
    const supervisor = pidOf(home, "app");
    assert.ok(
      await waitFor(() => readText(appPid) !== "", 10_000),
      readText(join(home, "app.log")),
    );
    const first = Number(readText(appPid));
    assert.equal(Number(procStat(first)[1]), supervisor, "its parent is the supervisor");
    // Its output reaches the log through the supervisor: soon after, not at once.
    const said = new RegExp(`app ${first} parent ${supervisor} detached false`);
    await until(
      () => said.test(readText(join(home, "app.log"))),
      () => readText(join(home, "app.log")),
    );
    process.kill(first, "SIGKILL");
    assert.ok(
      await waitFor(() => {
        const now = Number(readText(appPid));
        return now !== first && now > 0 && alive(now);
      }, 10_000),
      "replaced, in the foreground again",
    );
    assert.equal(cli(["stop", "app"]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a daemonize() program that is a container's PID 1 stays its init, and goes on as its child",
  async ({ work, tag }) => {
    if (!unshare) throw new Error("unshare --pid is needed for this test");
    const container = spawn(
      "unshare",
      ["--fork", "--pid", "--mount-proc", ...runtimeCommand(fixture("foreground_app.ts"))],
      { env: { ...process.env, APP_PID: join(work, "init.pid"), TEST_TAG: tag }, stdio: "pipe" },
    );
    let out = "";
    container.stdout!.on("data", (d) => out += d);
    container.stderr!.on("data", (d) => out += d);
    assert.ok(await waitFor(() => out.includes("app "), 10_000), out);
    // PID 1 stays the container's init, and runs the program again as its child.
    assert.match(out, /^app \d+ parent 1 detached false\n$/);
    // The point: a while with nothing to wait for, in which a PID 1 that left
    // its child behind would have ended the container.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(container.exitCode, null, "the container still runs");
    // Its PID 1 goes with the namespace; unshare itself by pid (the rest by tag).
    const ended = new Promise((r) => container.on("exit", r));
    for (const pid of tagged(tag)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone with its namespace's PID 1.
      }
    }
    container.kill("SIGKILL");
    await ended;
  },
);

t(
  "an external rotation (rename, then HUP) loses no line and leaves a program without a handler running",
  async ({ home, cli }) => {
    assert.equal(
      cli([
        "start",
        "--name",
        "ext",
        "--restart",
        "on-failure",
        "--",
        "sh",
        "-c",
        "i=0; while :; do echo $i; i=$((i+1)); sleep 0.005; done",
      ]).code,
      0,
    );
    const log = join(home, "ext.log");
    const program = record(home, "ext")!.program!;
    assert.ok(await waitFor(() => readText(log).split("\n").length > 20, 15_000));
    renameSync(log, `${log}.1`);
    // (The supervisor also finds the path moved by itself, within a second.)
    process.kill(pidOf(home, "ext"), "SIGHUP");
    assert.ok(await waitFor(() => readText(log).split("\n").length > 20, 15_000), "a new file");
    assert.equal(record(home, "ext")!.program, program, "the program was not ended by HUP");
    assert.ok(alive(program));
    assert.equal(cli(["stop", "ext"]).code, 0);
    const numbers = (readText(`${log}.1`) + readText(log)).trim().split("\n")
      .filter((l) => /^\d+$/.test(l)).map(Number);
    for (let i = 1; i < numbers.length; i++) {
      assert.equal(numbers[i], numbers[i - 1]! + 1, `line ${i}: none lost across the rotation`);
    }
  },
);

t(
  "a supervised start with --notify waits for the program's READY=1",
  ({ cli, tag }) => {
    const notifier = fixture("notifier.py");
    const before = Date.now();
    const ran = cli([
      "start",
      "--name",
      "n",
      "--notify",
      "--restart",
      "on-failure",
      "--",
      python(),
      notifier,
      "0.5",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(Date.now() - before >= 500, "it waited for READY=1");
    assert.equal(cli(["stop", "n"]).code, 0);
    const silent = cli([
      "start",
      "--name",
      "quiet",
      "--notify",
      "--restart",
      "on-failure",
      "--ready-timeout",
      "0.5",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(silent.code, 1);
    assert.match(
      silent.stderr,
      /^daemonize: ready: sleep did not send READY=1 within 500 ms; it was killed\n$/,
    );
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a supervised program that puts itself in the background fails the start, and what it left is stopped",
  ({ home, cli, tag }) => {
    const ran = cli([
      "start",
      "--name",
      "bg",
      "--restart",
      "on-failure",
      "--",
      "sh",
      "-c",
      "sleep 300 & exit 0",
    ]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /^daemonize: startup: sh put itself in the background: /);
    assert.deepEqual(tagged(tag), [], "nothing left running");
    assert.ok(!existsSync(join(home, "bg.pid")));
  },
);

t(
  "processes a supervised program leaves when it ends are still the daemon's: status counts them, stop ends them",
  async ({ home, cli, tag }) => {
    assert.equal(
      cli([
        "start",
        "--name",
        "left",
        "--restart",
        "on-failure",
        "--",
        "sh",
        "-c",
        "sleep 0.5; sleep 300 & exit 0",
      ])
        .code,
      0,
    );
    const supervisor = pidOf(home, "left");
    assert.ok(await waitFor(() => !alive(supervisor), 15_000), "no restart after exit 0");
    const status = cli(["status", "left"]);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /dead \(pid \d+ has ended; 1 process of its session still running/);
    assert.match(
      readText(join(home, "left.log")),
      /sh left 1 process running \(pid \d+\); stop ends them\n/,
    );
    assert.match(cli(["stop", "left"]).stdout, /^left stopped \(1 process left by pid \d+\)\n$/);
    assert.deepEqual(tagged(tag), []);
  },
);
