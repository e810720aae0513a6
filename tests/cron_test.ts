/**
 * Schedules end to end (under Deno, Bun, or the binary): `--cron` runs a
 * program at its times, never two runs at once, skips logged; `--restart-at`
 * restarts a program gracefully, once all of the last run is gone (its port
 * is free); `stop` ends a run in progress; a wrong
 * field is named; and the `.timer` units `unit` prints pass `systemd-analyze
 * verify` and elapse when croner says.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { scheduleExposition } from "../src/observe/schedule_metrics.ts";
import {
  alive,
  fixture,
  formTest,
  freePort,
  python,
  readText,
  root,
  run,
  runtime,
  test,
  until,
} from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

interface Schedule {
  expression: string;
  nextRun: number | null;
  runs: number;
  skipped: number;
  lastRun?: { start: number; durationMs?: number; exit?: string; exitCode?: number };
}

interface Record {
  supervisor: number;
  program: number | null;
  state: string;
  restarts: number;
  schedule?: Schedule;
  restartAt?: { expression: string; nextRestart: number | null };
}

function record(home: string, name: string): Record | undefined {
  const text = readText(join(home, `${name}.pid.supervisor`));
  return text ? JSON.parse(text) : undefined;
}

/** A shell script in `work` (mode 0755); returns its path. */
function script(work: string, name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}`, { mode: 0o755 });
  return path;
}

/** The runs a job wrote to `file`, one `start PID TIME` and one `end PID TIME` line each. */
function runsIn(file: string): { pid: number; start: number; end?: number }[] {
  const runs = new Map<number, { pid: number; start: number; end?: number }>();
  for (const line of readText(file).split("\n").filter(Boolean)) {
    const [what, pid, time] = line.split(" ");
    if (what === "start") runs.set(Number(pid), { pid: Number(pid), start: Number(time) });
    else runs.get(Number(pid))!.end = Number(time);
  }
  return [...runs.values()];
}

t(
  "a job of every second that takes 1.5 s runs again and again, never two runs at once, and each time it still runs is skipped and logged",
  async ({ home, work, cli }) => {
    const runs = join(work, "runs");
    const job = script(
      work,
      "job.sh",
      `echo "start $$ $(date +%s.%N)" >> ${runs}\nsleep 1.5\necho "end $$ $(date +%s.%N)" >> ${runs}\n`,
    );
    const started = cli(["start", "--name", "job", "--cron", "* * * * * *", "--", job]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout, `job started (pid ${record(home, "job")!.supervisor})\n`);
    await until(
      () => runsIn(runs).filter((r) => r.end !== undefined).length >= 3,
      () => readText(join(home, "job.log")),
    );
    const done = runsIn(runs).sort((a, b) => a.start - b.start);
    for (let i = 1; i < done.length; i++) {
      assert.ok(
        done[i]!.start >= done[i - 1]!.end!,
        `run ${done[i]!.pid} started before run ${done[i - 1]!.pid} ended: ${readText(runs)}`,
      );
    }
    const log = readText(join(home, "job.log"));
    assert.match(
      log,
      /run due at \d\d:\d\d:\d\d skipped: the run started at \d\d:\d\d:\d\d \(pid \d+\) still goes\n/,
    );
    assert.match(log, /job\.sh exited with status 0\n/);
    const schedule = record(home, "job")!.schedule!;
    assert.equal(schedule.expression, "* * * * * *");
    assert.ok(schedule.runs >= 3, `${schedule.runs} runs`);
    assert.ok(schedule.skipped >= 1, `${schedule.skipped} skipped`);
    // Between two runs or during one, a schedule's daemon is as it should be: status 0.
    const status = cli(["status", "job", "--json"]);
    assert.equal(status.code, 0, status.stdout);
    const report = JSON.parse(status.stdout);
    assert.ok(["running", "scheduled"].includes(report.state), report.state);
    assert.equal(report.schedule.expression, "* * * * * *");
    assert.ok(Date.parse(report.schedule.nextRun) > Date.parse(report.schedule.lastRun.start));
    let ended: { exit: string | null; exitCode: number | null; durationSeconds: number } = {
      exit: null,
      exitCode: null,
      durationSeconds: 0,
    };
    let between: unknown;
    await until(() => {
      const now = JSON.parse(cli(["status", "job", "--json"]).stdout);
      between = now;
      ended = now.schedule.lastRun;
      return now.state === "scheduled" && ended.exit !== null;
    }, "a run ended");
    assert.equal(ended.exit, "exited with status 0");
    assert.equal(ended.exitCode, 0);
    assert.ok(ended.durationSeconds >= 1.5, `${ended.durationSeconds} s`);
    // The same facts as Prometheus series, for status --prometheus.
    const series = scheduleExposition([between as Parameters<typeof scheduleExposition>[0][0]]);
    assert.match(series, /^# TYPE daemonize_cron_next_run_time_seconds gauge$/m);
    assert.match(series, /^daemonize_cron_next_run_time_seconds\{name="job"\} \d+$/m);
    assert.match(series, /^daemonize_cron_last_run_start_time_seconds\{name="job"\} [\d.]+$/m);
    assert.match(
      series,
      new RegExp(
        `^daemonize_cron_last_run_duration_seconds\\{name="job"\\} ${ended.durationSeconds}$`,
        "m",
      ),
    );
    assert.match(series, /^daemonize_cron_last_run_exit_code\{name="job"\} 0$/m);
    assert.match(series, /^daemonize_cron_runs_total\{name="job"\} \d+$/m);
    assert.match(series, /^daemonize_cron_skipped_total\{name="job"\} [1-9]\d*$/m);
    assert.equal(scheduleExposition([{ name: "plain" }]), "");
    await until(() => {
      const line = cli(["status", "job"]);
      return line.code === 0 &&
        /^job: scheduled \(next run at \d\d:\d\d:\d\d, in \d+\.\d s; last run at \d\d:\d\d:\d\d took \d+\.\d s, exited with status 0; \d+ runs, \d+ skipped; supervisor pid \d+\)\n$/
          .test(line.stdout);
    }, "a status line between two runs");
    assert.equal(cli(["stop", "job"]).code, 0);
  },
);

t("stop during a run ends the run (TERM first) and the schedule", async ({ home, work, cli }) => {
  const term = join(work, "term");
  const running = join(work, "running");
  const job = script(
    work,
    "job.sh",
    `trap 'echo "TERM $$" >> ${term}; exit 143' TERM\necho $$ > ${running}\nwhile :; do sleep 0.1; done\n`,
  );
  assert.equal(cli(["start", "--name", "job", "--cron", "* * * * * *", "--", job]).code, 0);
  await until(() => existsSync(running) && readText(running) !== "", "a run");
  const pid = Number(readText(running));
  const supervisor = record(home, "job")!.supervisor;
  const stopped = cli(["stop", "job"]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(readText(term), `TERM ${pid}\n`);
  assert.ok(!alive(pid) && !alive(supervisor), "the run and the supervisor ended");
  const status = cli(["status", "job"]);
  assert.equal(status.stdout, "job: stopped\n");
  assert.equal(status.code, 3);
});

t(
  "--restart-at with a seconds field restarts the program gracefully: TERM, then a new process",
  async ({ home, work, cli }) => {
    const seen = join(work, "seen");
    const program = script(
      work,
      "server.sh",
      `trap 'echo "TERM $$" >> ${seen}; exit 0' TERM\necho "up $$" >> ${seen}\nwhile :; do sleep 0.1; done\n`,
    );
    // A planned restart is no failure: one more than --max-restarts allows leaves it running.
    const started = cli([
      "start",
      "--name",
      "srv",
      "--restart-at",
      "*/2 * * * * *",
      "--max-restarts",
      "1",
      "--",
      program,
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(
      () => readText(seen).split("\n").filter((l) => l.startsWith("up")).length >= 3,
      () => readText(join(home, "srv.log")),
    );
    const [first, , second] = readText(seen).split("\n");
    const old = Number(first!.split(" ")[1]);
    assert.equal(readText(seen).split("\n")[1], `TERM ${old}`, "the first run was sent TERM");
    const now = Number(second!.split(" ")[1]);
    assert.notEqual(now, old);
    assert.ok(!alive(old), "the first run ended");
    const log = readText(join(home, "srv.log"));
    assert.match(
      log,
      /server\.sh reached a time of --restart-at "\*\/2 \* \* \* \* \*"; restarting it\n/,
    );
    assert.match(log, /server\.sh exited with status 0; starting it again\n/);
    assert.doesNotMatch(log, /restarting in/, "a planned restart waits for no restart delay");
    await until(() => (record(home, "srv")?.restarts ?? 0) >= 2, "the restarts counted");
    assert.equal(record(home, "srv")!.state, "running");
    const report = JSON.parse(cli(["status", "srv", "--json"]).stdout);
    assert.equal(report.restartSchedule.expression, "*/2 * * * * *");
    assert.equal(cli(["stop", "srv"]).code, 0);
  },
);

t(
  "a --restart-at restart waits for all of the last run: a child that holds the port for 1 s after TERM is gone before the new run binds it",
  async ({ home, work, cli }) => {
    const port = await freePort();
    const runs = join(work, "runs");
    const failures = join(work, "failures");
    // The server is the shell's child: the shell ends at once on SIGTERM, the server 1 s later.
    const command = `'${python()}' '${
      fixture("slow_server.py")
    }' ${port} '${runs}' '${failures}' & wait`;
    // Every 5 s: a time that comes while the start is judged (its readiness is
    // the port) passes, and the first after it restarts the server.
    const started = cli([
      "start",
      "--name",
      "web",
      "--restart-at",
      "*/5 * * * * *",
      "--ready-port",
      String(port),
      "--",
      "/bin/sh",
      "-c",
      command,
    ]);
    assert.equal(started.code, 0, started.stderr);
    const lines = (path: string) => readText(path).split("\n").filter(Boolean);
    assert.equal(lines(runs).length, 1, readText(runs));
    const old = Number(lines(runs)[0]);
    await until(
      () => lines(runs).length === 2 || readText(failures) !== "",
      () => readText(join(home, "web.log")),
    );
    assert.equal(readText(failures), "", "the new run found the port taken");
    assert.ok(!alive(old), "the last run's server ended");
    const log = readText(join(home, "web.log"));
    assert.match(log, /reached a time of --restart-at "\*\/5 \* \* \* \* \*"; restarting it\n/);
    assert.match(
      log,
      new RegExp(`1 process of the last run left \\(pid ${old}\\): ending it first\n`),
    );
    assert.match(log, /; starting it again\n/);
    assert.equal(cli(["stop", "web"]).code, 0);
  },
);

t(
  "a cron expression with a wrong field is refused at start in one line naming the field",
  ({ home, work, cli }) => {
    const cases: [string[], string][] = [
      [
        ["--cron", "61 * * * *"],
        'invalid --cron "61 * * * *": the minute field "61" is not valid (expected 0-59, *, a range a-b, a list a,b or a step */n)',
      ],
      [
        ["--cron", "0 0 * 13 *"],
        'invalid --cron "0 0 * 13 *": the month field "13" is not valid (expected 1-12 or JAN-DEC, *, a range a-b, a list a,b or a step */n)',
      ],
      [
        ["--restart-at", "*/0 * * * * *"],
        'invalid --restart-at "*/0 * * * * *": the second field "*/0" is not valid (expected 0-59, *, a range a-b, a list a,b or a step */n)',
      ],
      [["--cron", "* * *"], 'invalid --cron "* * *": expected 5 fields'],
      [["--cron", "@daily", "--cron-tz", "Mars/Base"], 'invalid --cron-tz "Mars/Base"'],
      [["--cron", "@daily", "--restart", "always"], "--cron can't go with --restart"],
    ];
    for (const [options, message] of cases) {
      const ran = cli(["start", "--name", "job", ...options, "--", "true"]);
      assert.equal(ran.code, 2, ran.stderr);
      assert.equal(ran.stderr.split("\n").length, 2, ran.stderr);
      assert.ok(ran.stderr.startsWith(`daemonize: ${message}`), ran.stderr);
    }
    assert.ok(!existsSync(join(home, "job.pid")), "nothing started");
    // A file's key is checked as the option is.
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({ daemons: [{ name: "j", command: ["true"], cron: "0 25 * * *" }] }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 2, up.stderr);
    assert.equal(
      up.stderr,
      `daemonize: ${file}: daemon "j" (entry 1): invalid "cron" "0 25 * * *": the hour field "25" is not valid (expected 0-23, *, a range a-b, a list a,b or a step */n)\n`,
    );
  },
);

/** The next `n` times systemd's calendar `spec` elapses, as ISO strings (UTC). */
function elapses(spec: string, n: number, from: string): string[] {
  const ran = run([
    "systemd-analyze",
    "calendar",
    `--iterations=${n}`,
    `--base-time=${from}`,
    spec,
  ], { env: { TZ: "UTC" } });
  assert.equal(ran.code, 0, ran.stderr);
  return [...ran.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC/g)].map((m) =>
    new Date(`${m[1]}Z`).toISOString()
  );
}

t(
  "unit prints a .timer beside a oneshot service for --cron, and a restart timer for --restart-at, that systemd-analyze verifies",
  async ({ work, cli }) => {
    const { Cron } = await import("croner");
    const dir = join(work, "units");
    mkdirSync(dir);
    const write = (text: string) => {
      const names: string[] = [];
      for (const part of text.split(/^# /m).filter(Boolean)) {
        const name = part.slice(0, part.indexOf("\n"));
        writeFileSync(join(dir, name), part.slice(name.length + 1));
        names.push(join(dir, name));
      }
      return names;
    };
    const expression = "*/20 9-17 1,15 * MON-FRI";
    const ran = cli([
      "unit",
      "--name",
      "job",
      "--cron",
      expression,
      "--cron-tz",
      "UTC",
      "--",
      "true",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const files = write(ran.stdout);
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ["job.service", "job.timer"]);
    const service = readText(files[0]!);
    assert.match(service, /^Type=oneshot$/m);
    assert.doesNotMatch(service, /^Restart=|^\[Install\]/m);
    const checked = run(["systemd-analyze", "verify", ...files], { cwd: dir });
    assert.equal(`${checked.stdout}${checked.stderr}`.trim(), "");
    // Its OnCalendar= lines together elapse when croner says the expression does.
    const timer = readText(files[1]!);
    const from = "2026-01-01 00:00:00 UTC";
    const calendar = [...timer.matchAll(/^OnCalendar=(.*)$/gm)]
      .flatMap((m) => elapses(m[1]!, 12, from)).sort();
    const croner = new Cron(expression, { timezone: "UTC", mode: "5-or-6-parts" })
      .nextRuns(12, new Date("2026-01-01T00:00:00Z")).map((d) => d.toISOString());
    assert.deepEqual([...new Set(calendar)].slice(0, 12), croner);
    const restart = cli(["unit", "--name", "srv", "--restart-at", "@weekly", "--", "true"]);
    assert.equal(restart.code, 0, restart.stderr);
    const more = write(restart.stdout);
    assert.deepEqual(more.map((f) => f.slice(dir.length + 1)), [
      "srv.service",
      "srv-restart.timer",
      "srv-restart.service",
    ]);
    const again = run(["systemd-analyze", "verify", ...more], { cwd: dir });
    assert.equal(`${again.stdout}${again.stderr}`.trim(), "");
    assert.match(readText(more[1]!), /^OnCalendar=Sun \*-\*-\* 00:00:00$/m);
  },
);

test("the cron library is loaded by a schedule only: the command and the supervisor import it on demand", () => {
  const deno = runtime === "deno" ? Deno.execPath() : join(root, "node_modules", ".bin", "deno");
  for (const entry of ["src/cli/main.ts", "src/supervisor/main.ts", "mod.ts"]) {
    const out = spawnSync(deno, ["info", "--json", join(root, entry)], { encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    const modules = (JSON.parse(out.stdout) as {
      modules: {
        specifier: string;
        dependencies?: { specifier: string; code?: { specifier: string }; isDynamic?: boolean }[];
      }[];
    }).modules;
    const importers = modules.flatMap((m) =>
      (m.dependencies ?? []).filter((d) => d.specifier === "croner" && d.code).map((d) => ({
        from: relative(root, fileURLToPath(m.specifier)),
        dynamic: d.isDynamic === true,
      }))
    );
    assert.deepEqual(importers, [{ from: "src/supervisor/schedule.ts", dynamic: true }], entry);
  }
});
