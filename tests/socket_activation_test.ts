/**
 * Socket activation passed through every form: `systemd-socket-activate`
 * (Debian's systemd package) listens, starts us on the first connection,
 * and the program that finally runs serves that very connection, named by
 * LISTEN_PID.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import process from "node:process";
import {
  alive,
  cliCommand,
  fixture,
  form,
  formTest,
  freePort,
  pidOf,
  procStat,
  python,
  runtime,
  runtimeCommand,
  test,
  until,
  waitFor,
  withHome,
} from "./harness.ts";

/**
 * Starts `command` behind systemd-socket-activate on a free port (what it
 * says goes to `work`/activate-PORT.log); resolves once it listens, with the
 * port and its pid (which the command will have). It can't be given port 0:
 * should another process take the port first, it tries another.
 */
async function activate(
  work: string,
  command: string[],
  env: Record<string, string>,
): Promise<{ port: number; pid: number }> {
  for (let tries = 1;; tries++) {
    const port = await freePort();
    const log = join(work, `activate-${port}.log`);
    const out = openSync(log, "a");
    // It passes on only the variables given with --setenv.
    const variables = Object.entries({ PATH: process.env.PATH ?? "", ...env })
      .map(([name, value]) => `--setenv=${name}=${value}`);
    const child = spawn(
      "systemd-socket-activate",
      ["-l", `127.0.0.1:${port}`, "--fdname=web", ...variables, ...command],
      { stdio: ["ignore", out, out], detached: true },
    );
    closeSync(out);
    child.unref();
    const said = () => readFileSync(log, "utf8");
    await until(
      () => said().includes("Listening on") || !alive(child.pid!),
      () => `systemd-socket-activate to listen on ${port}: ${said()}`,
    );
    if (said().includes("Listening on")) return { port, pid: child.pid! };
    if (tries === 5) throw new Error(`systemd-socket-activate did not listen: ${said()}`);
  }
}

/** Connects to `port` (retrying while it is not listening yet); resolves with the first line. */
async function ask(port: number): Promise<string> {
  for (let tries = 0;; tries++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const socket = createConnection({ host: "127.0.0.1", port });
        let data = "";
        socket.on("data", (chunk) => data += chunk);
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
        socket.setTimeout(30_000, () => {
          socket.destroy();
          reject(new Error("no answer"));
        });
      });
    } catch (error) {
      if (tries > 100) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// The real interpreter: the process that answers is the one LISTEN_PID names.
const server = [python(), fixture("activated_server.py")];
const t = formTest;

t(
  "start passes activated sockets to the program, named by LISTEN_PID",
  async ({ home, work, tag }) => {
    const { port } = await activate(work, cliCommand(["start", "--name", "web", "--", ...server]), {
      DAEMONIZE_HOME: home,
      TEST_TAG: tag,
    });
    const answer = await ask(port);
    await until(() => existsSync(join(home, "web.pid")) && pidOf(home, "web") > 0, "web.pid");
    const pid = pidOf(home, "web");
    assert.equal(answer, `pid=${pid} fds=1 names=web\n`);
    await until(() => procStat(pid)[1] === "1", "the start to end, leaving the daemon to init");
  },
);

t("a supervised start passes them to each run of the program", async ({ home, work, tag, cli }) => {
  const { port } = await activate(
    work,
    cliCommand(["start", "--name", "web", "--restart", "always", "--", ...server]),
    { DAEMONIZE_HOME: home, TEST_TAG: tag },
  );
  const first = await ask(port);
  assert.match(first, /^pid=(\d+) fds=1 names=web\n$/);
  const pid = Number(/pid=(\d+)/.exec(first)![1]);
  // Once the start is over (a death within its grace period fails the start).
  const log = join(work, `activate-${port}.log`);
  await until(() => readFileSync(log, "utf8").includes("web started"), "the start to end");
  process.kill(pid, "SIGKILL");
  // Gone first: a connection it accepted as it died would be closed unanswered.
  assert.ok(await waitFor(() => !alive(pid), 15_000));
  const second = await ask(port);
  assert.match(second, /^pid=(\d+) fds=1 names=web\n$/);
  assert.notEqual(Number(/pid=(\d+)/.exec(second)![1]), pid, "restarted, same socket");
  assert.equal(cli(["stop", "web"]).code, 0);
});

t(
  "run passes them to its program, and run --exec keeps them as it becomes it",
  async ({ home, work, tag, cli }) => {
    const first = await activate(work, cliCommand(["run", "--name", "web", "--", ...server]), {
      DAEMONIZE_HOME: home,
      TEST_TAG: tag,
    });
    const answer = await ask(first.port);
    const program = Number(/^pid=(\d+) fds=1 names=web\n$/.exec(answer)?.[1]);
    assert.equal(Number(procStat(program)[1]), first.pid, "run's child");
    assert.equal(cli(["stop", "web"]).code, 0);
    const second = await activate(
      work,
      cliCommand(["run", "--exec", "--name", "web2", "--", ...server]),
      { DAEMONIZE_HOME: home, TEST_TAG: tag },
    );
    const exec = second.pid;
    assert.equal(await ask(second.port), `pid=${exec} fds=1 names=web\n`);
    process.kill(exec, "SIGTERM");
    await waitFor(() => !alive(exec), 15_000);
  },
);

if (form !== "binary") {
  test(`[${runtime}] a daemonize() daemon gets them from listenFds()`, async () => {
    await withHome(async ({ work, tag }) => {
      const report = join(work, "report");
      const { port } = await activate(
        work,
        runtimeCommand(fixture("activated_daemon.ts"), [join(work, "d.pid"), report]),
        { TEST_TAG: tag },
      );
      // The first connection starts it; nobody answers it (the daemon only reports).
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      await until(
        () => existsSync(report) && readFileSync(report, "utf8").includes("\n"),
        "the daemon's report",
      );
      socket.destroy();
      const seen = JSON.parse(readFileSync(report, "utf8"));
      assert.deepEqual(seen.fds, [{ fd: 3, name: "web" }]);
      assert.equal(seen.listenPid, String(seen.pid));
      assert.match(seen.fd3, /^socket:\[\d+\]$/);
      assert.equal(Number(readFileSync(join(work, "d.pid"), "utf8").trim()), seen.pid);
      process.kill(seen.pid, "SIGTERM");
      await waitFor(() => !alive(seen.pid), 15_000);
    });
  });
}
