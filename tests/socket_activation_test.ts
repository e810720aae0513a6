/**
 * Socket activation passed through every form: `systemd-socket-activate`
 * (Debian's systemd package) listens, starts us on the first connection,
 * and the program that finally runs serves that very connection, named by
 * LISTEN_PID.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import {
  alive,
  cliCommand,
  fixture,
  form,
  formTest,
  pidOf,
  procStat,
  runtime,
  runtimeCommand,
  test,
  waitFor,
  withHome,
} from "./harness.ts";

/** A TCP port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command` behind systemd-socket-activate on a free port (what it
 * says goes to `dir`/activate.log); resolves once it listens, with the port
 * and its pid (which the command will have).
 */
async function activate(
  dir: string,
  command: string[],
  env: Record<string, string>,
): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const log = join(dir, `activate-${port}.log`);
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
  await waitFor(() => readFileSync(log, "utf8").includes("Listening on"), 5000);
  return { port, pid: child.pid! };
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
        socket.setTimeout(10_000, () => {
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

const server = ["python3", fixture("activated_server.py")];
const t = formTest;

t("start passes activated sockets to the program, named by LISTEN_PID", async ({ dir, tag }) => {
  const { port } = await activate(dir, cliCommand(["start", "--name", "web", "--", ...server]), {
    DAEMONIZE_HOME: dir,
    TEST_TAG: tag,
  });
  const answer = await ask(port);
  await waitFor(() => existsSync(join(dir, "web.pid")) && pidOf(dir, "web") > 0, 5000);
  const pid = pidOf(dir, "web");
  assert.equal(answer, `pid=${pid} fds=1 names=web\n`);
  await waitFor(() => procStat(pid)[1] === "1", 5000);
});

t("a supervised start passes them to each run of the program", async ({ dir, tag, cli }) => {
  const { port } = await activate(
    dir,
    cliCommand(["start", "--name", "web", "--restart", "always", "--", ...server]),
    { DAEMONIZE_HOME: dir, TEST_TAG: tag },
  );
  const first = await ask(port);
  assert.match(first, /^pid=(\d+) fds=1 names=web\n$/);
  const pid = Number(/pid=(\d+)/.exec(first)![1]);
  // Once the start is over (a death within its grace period fails the start).
  const log = join(dir, `activate-${port}.log`);
  await waitFor(() => readFileSync(log, "utf8").includes("web started"), 5000);
  process.kill(pid, "SIGKILL");
  // Gone first: a connection it accepted as it died would be closed unanswered.
  assert.ok(await waitFor(() => !alive(pid), 5000));
  const second = await ask(port);
  assert.match(second, /^pid=(\d+) fds=1 names=web\n$/);
  assert.notEqual(Number(/pid=(\d+)/.exec(second)![1]), pid, "restarted, same socket");
  assert.equal(cli(["stop", "web"]).code, 0);
});

t(
  "run passes them to its program, and run --exec keeps them as it becomes it",
  async ({ dir, tag, cli }) => {
    const first = await activate(dir, cliCommand(["run", "--name", "web", "--", ...server]), {
      DAEMONIZE_HOME: dir,
      TEST_TAG: tag,
    });
    const answer = await ask(first.port);
    const program = Number(/^pid=(\d+) fds=1 names=web\n$/.exec(answer)?.[1]);
    assert.equal(Number(procStat(program)[1]), first.pid, "run's child");
    assert.equal(cli(["stop", "web"]).code, 0);
    const second = await activate(
      dir,
      cliCommand(["run", "--exec", "--name", "web2", "--", ...server]),
      { DAEMONIZE_HOME: dir, TEST_TAG: tag },
    );
    const exec = second.pid;
    assert.equal(await ask(second.port), `pid=${exec} fds=1 names=web\n`);
    process.kill(exec, "SIGTERM");
    await waitFor(() => !alive(exec), 5000);
  },
);

if (form !== "binary") {
  test(`[${runtime}] a daemonize() daemon gets them from listenFds()`, async () => {
    await withHome(async ({ dir, tag }) => {
      const report = join(dir, "report");
      const { port } = await activate(
        dir,
        runtimeCommand(fixture("activated_daemon.ts"), [join(dir, "d.pid"), report]),
        { TEST_TAG: tag },
      );
      // The first connection starts it; nobody answers it (the daemon only reports).
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      await waitFor(
        () => existsSync(report) && readFileSync(report, "utf8").includes("\n"),
        10_000,
      );
      socket.destroy();
      const seen = JSON.parse(readFileSync(report, "utf8"));
      assert.deepEqual(seen.fds, [{ fd: 3, name: "web" }]);
      assert.equal(seen.listenPid, String(seen.pid));
      assert.match(seen.fd3, /^socket:\[\d+\]$/);
      assert.equal(Number(readFileSync(join(dir, "d.pid"), "utf8").trim()), seen.pid);
      process.kill(seen.pid, "SIGTERM");
      await waitFor(() => !alive(seen.pid), 5000);
    });
  });
}
