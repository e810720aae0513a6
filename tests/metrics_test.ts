/**
 * What `status` says of the present (under Deno, Bun, or the binary): CPU
 * use over a recent moment, the program's memory apart from its
 * supervisor's, and `status --prometheus`, checked by `promtool`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { exposition } from "../src/observe/prometheus.ts";
import { exitCodeOf } from "../src/cli/report.ts";
import type { StatusReport } from "../src/cli/format.ts";
import { type Ctx, formTest, pidOf, procStatus, python, readText, test, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

/** `promtool`, when installed (Debian's `prometheus` package). */
const PROMTOOL = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => existsSync(p));

/** Checks `text` with `promtool check metrics`; says so when promtool is missing. */
function promtoolAccepts(text: string): void {
  if (!PROMTOOL) {
    console.warn("promtool not installed (Debian's prometheus package): its check is skipped");
    return;
  }
  const ran = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
  assert.equal(ran.status, 0, `promtool check metrics: ${ran.stdout}${ran.stderr}\n${text}`);
}

/** The samples of an exposition, by `name{labels}` as written. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

/** `status --prometheus`, checked by promtool, as samples. */
function scrape(cli: Ctx["cli"], ...args: string[]): Map<string, number> {
  const ran = cli(["status", "--prometheus", ...args]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stderr, "");
  promtoolAccepts(ran.stdout);
  return samples(ran.stdout);
}

/** What a supervisor's record says (`NAME.pid.supervisor`). */
function record(home: string, name: string): { program: number | null; restarts: number } {
  const path = join(home, `${name}.pid.supervisor`);
  return existsSync(path) ? JSON.parse(readText(path)) : { program: null, restarts: -1 };
}

/** Resident memory of a live process, from its `/proc` status. */
function rssOf(pid: number): number {
  return Number(procStatus(pid).get("VmRSS")!.split(" ")[0]) * 1024;
}

t(
  "status --prometheus of a supervised, a plain, a stopped and a failed daemon passes promtool, with each one's state",
  async ({ home, cli }) => {
    const sup = cli([
      "start",
      "--name",
      "sup",
      "--restart",
      "always",
      "--health-cmd",
      "true",
      "--health-interval",
      "1",
      "--",
      "sh",
      "-c",
      "echo hello; exec sleep 300",
    ]);
    assert.equal(sup.code, 0, sup.stderr);
    assert.equal(cli(["start", "--name", "plain", "--", "sleep", "300"]).code, 0);
    assert.equal(cli(["start", "--name", "gone", "--", "sleep", "300"]).code, 0);
    assert.equal(cli(["stop", "gone"]).code, 0);
    const failing = cli([
      "start",
      "--name",
      "crash",
      "--restart",
      "on-failure",
      "--restart-delay",
      "0.1",
      "--max-restarts",
      "1",
      "--",
      "sh",
      "-c",
      "sleep 0.2; exit 3",
    ]);
    assert.equal(failing.code, 0, failing.stderr);
    await until(() => cli(["status", "crash"]).stdout.startsWith("crash: failed"), "crash failed");
    await until(() => readText(join(home, "sup.log")).includes("hello\n"), "sup's output");
    const health = () => readText(join(home, "sup.pid.supervisor")).includes('"health"');
    await until(health, "sup's first health check");

    const m = scrape(cli);
    const expected: Record<string, string> = {
      sup: "running",
      plain: "running",
      gone: "stopped",
      crash: "failed",
    };
    for (const [name, state] of Object.entries(expected)) {
      assert.equal(m.get(`daemonize_up{name="${name}"}`), state === "running" ? 1 : 0, name);
      for (const s of ["running", "restarting", "dead", "stopped", "failed"]) {
        assert.equal(
          m.get(`daemonize_state{name="${name}",state="${s}"}`),
          s === state ? 1 : 0,
          `${name} ${s}`,
        );
      }
    }
    assert.equal(m.get('daemonize_restarts_total{name="crash"}'), 1);
    assert.equal(m.get('daemonize_last_exit_code{name="crash"}'), 3);
    assert.equal(m.get('daemonize_restarts_total{name="sup"}'), 0);
    assert.equal(m.has('daemonize_restarts_total{name="plain"}'), false, "no supervisor");
    assert.equal(m.get('daemonize_health_ok{name="sup"}'), 1);
    assert.equal(m.has('daemonize_health_ok{name="plain"}'), false, "no check configured");
    assert.equal(m.get('daemonize_processes{name="sup"}'), 1);
    assert.equal(m.get('daemonize_processes{name="plain"}'), 1);
    assert.equal(m.get('daemonize_dropped_lines_total{name="sup"}'), 0);
    assert.equal(m.get('daemonize_info{name="plain",command="sleep 300"}'), 1);
    assert.equal(
      m.get('daemonize_log_bytes{name="sup"}'),
      statSync(join(home, "sup.log")).size,
    );
    const plain = pidOf(home, "plain");
    const started = m.get('daemonize_start_time_seconds{name="plain"}')!;
    const boot = Number(/^btime (\d+)$/m.exec(readText("/proc/stat"))![1]);
    const ticks = Number(readText(`/proc/${plain}/stat`).split(") ")[1]!.split(" ")[19]);
    assert.ok(Math.abs(started - (boot + ticks / 100)) < 0.005, `started at ${started}`);
    assert.ok(m.get('daemonize_resident_memory_bytes{name="plain"}')! > 0);
    assert.ok(m.get('daemonize_supervisor_resident_memory_bytes{name="sup"}')! > 0);
    assert.ok(m.get('daemonize_cpu_seconds_total{name="plain"}')! >= 0);

    // One daemon, and a few by name: the same exposition, of those only.
    const one = scrape(cli, "plain");
    assert.equal(one.get('daemonize_up{name="plain"}'), 1);
    assert.equal(one.has('daemonize_up{name="sup"}'), false);
    const two = scrape(cli, "crash", "gone");
    assert.deepEqual(
      [...two.keys()].filter((k) => k.startsWith("daemonize_up")).sort(),
      ['daemonize_up{name="crash"}', 'daemonize_up{name="gone"}'],
    );
    assert.equal(cli(["stop", "sup"]).code, 0);
    assert.equal(cli(["stop", "plain"]).code, 0);
  },
);

t(
  "a crash of a supervised program counts as a restart, and its last exit code is the signal's",
  async ({ home, cli }) => {
    assert.equal(
      cli(["start", "--name", "sup", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    const first = record(home, "sup").program!;
    process.kill(first, "SIGKILL");
    await until(() => {
      const r = record(home, "sup");
      return r.restarts === 1 && r.program !== null && r.program !== first;
    }, "the program's restart");
    const m = scrape(cli);
    assert.equal(m.get('daemonize_up{name="sup"}'), 1);
    assert.equal(m.get('daemonize_restarts_total{name="sup"}'), 1);
    assert.equal(m.get('daemonize_last_exit_code{name="sup"}'), 128 + 9);
    const json = JSON.parse(cli(["status", "sup", "--json"]).stdout);
    assert.equal(json.lastExitCode, 137);
    assert.equal(json.lastExit, "was killed by SIGKILL");
    assert.equal(cli(["stop", "sup"]).code, 0);
  },
);

t(
  "a daemon whose program waits to be started again is restarting: down, with its last exit code",
  async ({ home, cli }) => {
    const started = cli([
      "start",
      "--name",
      "later",
      "--restart",
      "always",
      "--restart-delay",
      "300",
      "--",
      "sh",
      "-c",
      "sleep 0.2; exit 4",
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(
      () => readText(join(home, "later.pid.supervisor")).includes('"state":"restarting"'),
      "the wait before its restart",
    );
    const m = scrape(cli);
    assert.equal(m.get('daemonize_up{name="later"}'), 0);
    assert.equal(m.get('daemonize_state{name="later",state="restarting"}'), 1);
    assert.equal(m.get('daemonize_state{name="later",state="running"}'), 0);
    assert.equal(m.get('daemonize_last_exit_code{name="later"}'), 4);
    assert.equal(m.get('daemonize_processes{name="later"}'), 0);
    assert.ok(m.get('daemonize_supervisor_resident_memory_bytes{name="later"}')! > 0);
    assert.equal(m.has('daemonize_start_time_seconds{name="later"}'), false, "no program runs");
    assert.equal(cli(["status", "later"]).code, 3, "not running, as before");
    assert.equal(cli(["stop", "later"]).code, 0);
  },
);

t(
  "the list's CPU use of a program that was busy and now idles is low: it is measured over the last half second",
  async ({ work, cli }) => {
    const flag = join(work, "idle");
    // One second of CPU, then idle: over its life it averaged a lot.
    const program =
      "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass\n" +
      `open(${JSON.stringify(flag)}, "w").close()\ntime.sleep(300)\n`;
    const started = cli(["start", "--name", "calm", "--", python(), "-c", program]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => existsSync(flag), "the busy second's end");
    const [calm] = JSON.parse(cli(["status", "--json"]).stdout);
    assert.equal(calm.name, "calm");
    assert.ok(calm.cpuSeconds >= 1, `it used ${calm.cpuSeconds} s of CPU`);
    assert.ok(calm.cpuPercent < 5, `${calm.cpuPercent}% now: it idles`);
    assert.equal(calm.cpuWindowSeconds, 0.5);
    const table = cli(["list"]);
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split("\n");
    assert.match(header!, /^NAME +PID +STATE +UPTIME +RESTARTS +CPU\(0\.5s\) +MEMORY +SUPERVISOR$/);
    assert.match(row!, /^calm +\d+ +running +\S+ +- +[0-4]\.\d% +[\d.]+ MB +-$/);
    assert.equal(cli(["stop", "calm"]).code, 0);
  },
);

t(
  "a program that keeps busy shows CPU use in the list",
  ({ cli }) => {
    const started = cli(["start", "--name", "spin", "--", "sh", "-c", "while :; do :; done"]);
    assert.equal(started.code, 0, started.stderr);
    const [spin] = JSON.parse(cli(["status", "--json"]).stdout);
    assert.ok(spin.cpuPercent > 0, `${spin.cpuPercent}%`);
    assert.equal(cli(["stop", "spin"]).code, 0);
  },
);

t(
  "the supervisor's memory is reported apart from its program's, in the list and in JSON",
  ({ home, cli }) => {
    assert.equal(
      cli(["start", "--name", "sup", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    const supervisor = pidOf(home, "sup");
    const program = record(home, "sup").program!;
    const json = JSON.parse(cli(["status", "sup", "--json"]).stdout);
    assert.equal(json.pid, program);
    assert.equal(json.supervisorPid, supervisor);
    assert.equal(json.processes, 1, "the program alone");
    // Each measured apart: neither includes the other (the supervisor is a
    // runtime of tens of MB, `sleep` a few hundred kB).
    const programRss = rssOf(program);
    const supervisorRss = rssOf(supervisor);
    assert.ok(json.rssBytes < supervisorRss, `${json.rssBytes} < ${supervisorRss}`);
    assert.ok(json.rssBytes <= programRss * 2, `${json.rssBytes} is about ${programRss}`);
    assert.ok(
      json.supervisorRssBytes >= supervisorRss / 2 && json.supervisorRssBytes <= supervisorRss * 2,
      `${json.supervisorRssBytes} is about ${supervisorRss}`,
    );
    const line = cli(["status", "sup"]).stdout;
    assert.match(line, /, RSS [\d.]+ MB, supervisor RSS [\d.]+ MB\): sleep 300\n$/);
    const [, row] = cli(["list"]).stdout.trimEnd().split("\n");
    assert.match(row!, /^sup +\d+ +running +\S+ +0 +\d+\.\d% +[\d.]+ MB +[\d.]+ MB$/);
    assert.equal(cli(["stop", "sup"]).code, 0);
  },
);

/** A report of a daemon named `name`, in state `state`, knowing nothing else. */
function bare(name: string, state: StatusReport["state"]): StatusReport {
  return {
    name,
    state,
    pid: null,
    supervisorPid: null,
    uptimeSeconds: null,
    rssBytes: null,
    supervisorRssBytes: null,
    cpuPercent: null,
    cpuWindowSeconds: null,
    cpuSeconds: null,
    processes: null,
    startTime: null,
    command: null,
    pidFile: `/run/${name}.pid`,
    otherProcesses: 0,
    unverifiedProcesses: 0,
    restarts: null,
    lastExit: null,
    lastExitCode: null,
    restartAt: null,
    found: null,
    unsupervised: null,
    logBytes: null,
    droppedLines: null,
  };
}

test("the exposition escapes label values and passes promtool", () => {
  const odd = { ...bare("a", "running"), command: 'say "hi" \\ then\nbye', lastExitCode: 0 };
  const text = exposition([odd, bare("b", "dead"), bare("a", "stopped")]);
  assert.ok(
    text.includes('daemonize_info{name="a",command="say \\"hi\\" \\\\ then\\nbye"} 1\n'),
    text,
  );
  assert.equal(text.match(/^daemonize_up\{/gm)?.length, 2, "a name given twice is given once");
  assert.ok(text.includes("# TYPE daemonize_restarts_total counter") === false, "none known");
  assert.ok(text.includes('daemonize_last_exit_code{name="a"} 0\n'));
  promtoolAccepts(text);
  assert.equal(exposition([]), "");
});

test("a last run's words give the exit code a shell would", () => {
  assert.equal(exitCodeOf("exited with status 3"), 3);
  assert.equal(exitCodeOf("was killed by SIGTERM"), 128 + 15);
  assert.equal(exitCodeOf(null), null);
  assert.equal(exitCodeOf("something else"), null);
});
