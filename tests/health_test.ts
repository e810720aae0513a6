/**
 * Health checks end to end (under Deno, Bun, or the binary): a program that
 * stops answering its port, or whose check command fails, is restarted; a
 * healthy one never is; a hung check is killed; and a program that needs
 * time to stop gets it, whoever stops it.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { rmSync } from "node:fs";
import { basename, join } from "node:path";
import { alive, formTest, freePort, pidOf, python, readText, tagged, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

interface Record {
  supervisor: number;
  program: number | null;
  state: string;
  restarts: number;
  lastExit: string | null;
  health?: { ok: boolean; failures: number; retries: number; at: number; message: string };
}

function record(home: string, name: string): Record | undefined {
  const text = readText(join(home, `${name}.pid.supervisor`));
  return text ? JSON.parse(text) : undefined;
}

/** The program's name in the supervisor's log lines, as a pattern. */
function pythonName(): string {
  return basename(python()).replaceAll(".", "\\.");
}

/** A TCP server that stops listening (and stays up) once `trigger` exists. */
const SERVER = `import os, socket, sys, time
port, trigger = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
s.settimeout(0.05)
print("listening", flush=True)
while not os.path.exists(trigger):
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        pass
s.close()
print("closed its port", flush=True)
time.sleep(300)
`;

t(
  "a program that stops answering its health port is restarted after --health-retries failures",
  async ({ home, work, cli }) => {
    const port = await freePort();
    const trigger = join(work, "close");
    const started = cli([
      "start",
      "--name",
      "web",
      "--health-port",
      String(port),
      "--health-interval",
      "0.2",
      "--health-retries",
      "2",
      "--",
      python(),
      "-c",
      SERVER,
      String(port),
      trigger,
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => record(home, "web")?.health?.ok === true, "a passing check");
    const first = record(home, "web")!.program!;
    writeFileSync(trigger, "");
    await until(
      () => (record(home, "web")?.restarts ?? 0) >= 1,
      () => readText(join(home, "web.log")),
    );
    rmSync(trigger);
    assert.ok(!alive(first), "the unhealthy program was ended");
    const log = readText(join(home, "web.log"));
    assert.match(
      log,
      new RegExp(
        `${pythonName()} failed its health check 2 times in a row \\(port ${port}: connection refused\\); restarting it\n`,
      ),
    );
    assert.match(log, new RegExp(`${pythonName()} was killed by SIGTERM; restarting in 100 ms\n`));
    await until(() => {
      const r = record(home, "web");
      return r?.program != null && r.program !== first && r.health?.ok === true;
    }, () => readText(join(home, "web.log")));
    const status = JSON.parse(cli(["status", "web", "--json"]).stdout);
    assert.equal(status.health.ok, true);
    assert.equal(status.health.message, `port ${port}: connection accepted`);
    assert.equal(cli(["stop", "web"]).code, 0);
  },
);

t(
  "a --health-cmd that fails restarts the program, runs in its directory and environment, and its output is in the log",
  async ({ home, work, cli }) => {
    const sick = join(work, "sick");
    const check =
      `test ! -e ${sick} || { echo "first line"; echo "sick in $(pwd) $CHECK_VAR" >&2; exit 3; }`;
    const started = cli([
      "start",
      "--name",
      "app",
      "--cwd",
      work,
      "--env",
      "CHECK_VAR=xyz",
      "--health-cmd",
      check,
      "--health-interval",
      "0.2",
      "--health-retries",
      "2",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => record(home, "app")?.health?.ok === true, "a passing check");
    const first = record(home, "app")!.program!;
    const line = cli(["status", "app"]).stdout;
    assert.match(line, /, health ok \d+s ago\)/);
    writeFileSync(sick, "");
    await until(
      () => (record(home, "app")?.restarts ?? 0) >= 1,
      () => readText(join(home, "app.log")),
    );
    rmSync(sick);
    const log = readText(join(home, "app.log"));
    assert.ok(
      log.includes(
        `daemonize: sleep failed its health check 2 times in a row (exited with status 3: sick in ${work} xyz); restarting it\n` +
          "daemonize: health check output: first line\n" +
          `daemonize: health check output: sick in ${work} xyz\n`,
      ),
      log,
    );
    assert.ok(!alive(first));
    await until(() => {
      const r = record(home, "app");
      return r?.program != null && r.program !== first && r.health?.ok === true;
    }, () => readText(join(home, "app.log")));
    assert.equal(cli(["stop", "app"]).code, 0);
  },
);

t(
  "a health check that passes never restarts the program",
  async ({ home, work, cli }) => {
    const checks = join(work, "checks");
    const started = cli([
      "start",
      "--name",
      "fine",
      "--health-cmd",
      `echo . >> ${checks}`,
      "--health-interval",
      "0.1",
      "--health-retries",
      "1",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    const program = record(home, "fine")!.program;
    await until(() => readText(checks).length >= 20, "ten checks");
    const r = record(home, "fine")!;
    assert.equal(r.restarts, 0);
    assert.equal(r.program, program);
    assert.equal(r.health?.ok, true);
    assert.equal(r.health?.message, "exited with status 0");
    assert.equal(readText(join(home, "fine.log")), "");
    assert.equal(cli(["stop", "fine"]).code, 0);
  },
);

t(
  "a hung health command is killed after --health-timeout and counts as a failure",
  async ({ home, tag, cli }) => {
    const started = cli([
      "start",
      "--name",
      "hung",
      "--health-cmd",
      "sleep 1000; true",
      "--health-interval",
      "0.1",
      "--health-timeout",
      "0.3",
      "--health-retries",
      "1",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(
      () => (record(home, "hung")?.restarts ?? 0) >= 1,
      () => readText(join(home, "hung.log")),
    );
    assert.match(
      readText(join(home, "hung.log")),
      /daemonize: sleep failed its health check 1 time in a row \(still running after 0\.3 s; killed\); restarting it\n/,
    );
    const checks = () =>
      tagged(tag).filter((pid) => readText(`/proc/${pid}/cmdline`).startsWith("sleep\u00001000"));
    assert.equal(cli(["stop", "hung"]).code, 0);
    await until(() => checks().length === 0, "no check left running");
    assert.equal(pidOf(home, "hung"), 0, "stopped");
  },
);

/** Stops slowly on SIGTERM (5 s, then exit 0); grows while `grow` exists. */
const SLOW = `import os, signal, sys, time
grow = sys.argv[1]
def term(*_):
    print("stopping slowly", flush=True)
    time.sleep(5)
    print("stopped in time", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
print("up", os.getpid(), flush=True)
hog = []
while True:
    if os.path.exists(grow) and len(hog) < 20:
        hog.append(b"x" * (10 * 1024 * 1024))
    time.sleep(0.05)
`;

t(
  "a program that needs 5 s to stop gets them from a health restart, a memory restart, restart and stop, and exits 0",
  async ({ home, work, cli }) => {
    const sick = join(work, "sick");
    const grow = join(work, "grow");
    const log = () => readText(join(home, "slow.log"));
    const count = (text: string) => log().split(text).length - 1;
    const started = cli([
      "start",
      "--name",
      "slow",
      "--health-cmd",
      `test ! -e ${sick}`,
      "--health-interval",
      "0.2",
      "--health-retries",
      "1",
      "--max-memory",
      "60M",
      "--",
      python(),
      "-c",
      SLOW,
      grow,
    ]);
    assert.equal(started.code, 0, started.stderr);
    const name = pythonName();
    await until(() => record(home, "slow")?.health?.ok === true, "a passing check");
    // A health restart.
    writeFileSync(sick, "");
    await until(() => count("stopping slowly") === 1, log);
    rmSync(sick);
    await until(() => (record(home, "slow")?.restarts ?? 0) === 1, log);
    assert.equal(record(home, "slow")!.lastExit, "exited with status 0");
    assert.equal(count("stopped in time"), 1, log());
    assert.match(log(), new RegExp(`${name} exited with status 0; restarting in 100 ms\n`));
    // A memory restart.
    await until(() => count("up ") === 2, log);
    writeFileSync(grow, "");
    await until(() => count("stopping slowly") === 2, log);
    rmSync(grow);
    await until(() => (record(home, "slow")?.restarts ?? 0) === 2, log);
    assert.equal(record(home, "slow")!.lastExit, "exited with status 0");
    assert.equal(count("stopped in time"), 2, log());
    // restart, then stop.
    await until(() => count("up ") === 3, log);
    const restarted = cli(["restart", "slow", "--timeout", "10"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /^slow stopped \(pid \d+, and 1 process it started\)\n/);
    assert.equal(count("stopped in time"), 3, log());
    await until(() => count("up ") === 4, log);
    const stopped = cli(["stop", "slow", "--timeout", "10"]);
    assert.match(stopped.stdout, /^slow stopped \(pid \d+, and 1 process it started\)\n/);
    assert.equal(count("stopped in time"), 4, log());
    assert.doesNotMatch(log(), /SIGKILL/);
    assert.equal(count(`${name} exited with status 0\n`), 2, log());
  },
);
