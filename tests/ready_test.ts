/**
 * Readiness checks end to end (under Deno, Bun, or the binary): `start`
 * waits for a port listened on, a log line or a command, and fails the start
 * with the program's own words when it ends first or never gets there.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { formTest, freePort, pidOf, python, readText, run, tagged, test } from "./harness.ts";
import { listeningInodes, listensOn } from "../src/start/ready_probe.ts";

const t = formTest;

/** A server of the test's own on a free port, and that port. */
async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const http = (
  port: number,
) => ["python3", "-m", "http.server", "--bind", "127.0.0.1", String(port)];

test("a listening socket is found by port and by the process that holds it", async () => {
  const { server, port } = await listen();
  try {
    assert.equal(listeningInodes(port).size, 1);
    assert.ok(listensOn(port, [process.pid]));
    assert.ok(!listensOn(port, [1]), "not a process that does not hold it");
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(listeningInodes(port).size, 0);
});

for (const supervised of [false, true]) {
  const restart = supervised ? ["--restart", "on-failure"] : [];
  const how = supervised ? ", supervised" : "";

  t(
    `--ready-port fails the start of a program that can't listen (port taken)${how}`,
    async ({ home, cli, tag }) => {
      const { server, port } = await listen();
      try {
        const ran = cli([
          "start",
          "--name",
          "web",
          ...restart,
          "--ready-port",
          String(port),
          "--",
          ...http(port),
        ]);
        assert.equal(ran.code, 1, ran.stdout);
        assert.match(
          ran.stderr,
          new RegExp(
            `^daemonize: startup: python3 exited with status 1 before it was listening on port ${port}\n`,
          ),
        );
        assert.match(ran.stderr, /web\.log: OSError: \[Errno 98\] Address already in use/);
        assert.deepEqual(tagged(tag), [], "nothing left running");
        assert.ok(!existsSync(join(home, "web.pid")));
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );

  t(`--ready-port succeeds once the program listens, not before${how}`, async ({ home, cli }) => {
    const port = await freePort();
    const before = Date.now();
    const ran = cli([
      "start",
      "--name",
      "slow",
      ...restart,
      "--ready-port",
      String(port),
      "--",
      "sh",
      "-c",
      `sleep 0.6; exec ${http(port).join(" ")}`,
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(Date.now() - before >= 600, "it waited for the listener");
    const holder = supervised
      ? JSON.parse(readText(join(home, "slow.pid.supervisor"))).program
      : pidOf(home, "slow");
    assert.ok(listensOn(port, [holder]), "the daemon's program listens");
    assert.equal(cli(["stop", "slow"]).code, 0);
  });

  t(
    `by default, a Python program that fails during its start-up fails the start, with its message${how}`,
    ({ home, cli, tag }) => {
      // Its start-up costs 0.4 s of work, as an interpreter loading an
      // application does (python3 may even be a shim that runs helpers first).
      const ran = cli([
        "start",
        "--name",
        "c",
        ...restart,
        "--",
        python(),
        "-c",
        "import sys, time\nt = time.time()\nwhile time.time() - t < 0.4: pass\n" +
        "sys.exit('fatal: DATABASE_URL is not set')",
      ]);
      assert.equal(ran.code, 1, ran.stdout);
      assert.match(
        ran.stderr,
        /^daemonize: startup: \S*python[\d.]* exited with status 1 during its start-up\n/,
      );
      assert.match(ran.stderr, /c\.log: fatal: DATABASE_URL is not set\n/);
      assert.deepEqual(tagged(tag), [], "nothing left running");
      assert.ok(!existsSync(join(home, "c.pid")));
    },
  );

  if (run(["node", "--version"]).code === 0) {
    t(
      `by default, a Node program that throws at once fails the start, with its error${how}`,
      ({ home, cli, tag }) => {
        const ran = cli([
          "start",
          "--name",
          "n",
          ...restart,
          "--",
          "node",
          "-e",
          "throw new Error('fatal: no configuration file')",
        ]);
        assert.equal(ran.code, 1, ran.stdout);
        assert.match(
          ran.stderr,
          /^daemonize: startup: node exited with status 1 during its start-up\n/,
        );
        assert.match(ran.stderr, /n\.log: Error: fatal: no configuration file\n/);
        assert.deepEqual(tagged(tag), [], "nothing left running");
        assert.ok(!existsSync(join(home, "n.pid")));
      },
    );
  }

  t(`by default, a Python server that starts well is started${how}`, ({ home, cli }) => {
    const ran = cli([
      "start",
      "--name",
      "web",
      ...restart,
      "--",
      python(),
      "-m",
      "http.server",
      "--bind",
      "127.0.0.1",
      "0",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^web started \(pid \d+\)\n$/);
    const status = cli(["status", "web"]);
    assert.equal(status.code, 0, status.stdout);
    assert.ok(existsSync(join(home, "web.pid")));
    assert.equal(cli(["stop", "web"]).code, 0);
  });

  t(`--ready-log waits for a matching line${how}`, ({ cli }) => {
    const before = Date.now();
    const ran = cli([
      "start",
      "--name",
      "logger",
      ...restart,
      "--ready-log",
      "listening on \\d+",
      "--",
      "sh",
      "-c",
      "sleep 0.3; echo warming up; sleep 0.3; echo listening on 8080; sleep 300",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(Date.now() - before >= 600, "not at the first line");
    assert.equal(cli(["stop", "logger"]).code, 0);
  });
}

t(
  "--ready-port times out when nothing listens, and stops the program",
  async ({ home, cli, tag }) => {
    const port = await freePort();
    const ran = cli([
      "start",
      "--name",
      "deaf",
      "--ready-port",
      String(port),
      "--ready-timeout",
      "0.5",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      `daemonize: ready: sleep was not listening on port ${port} within 500 ms; it was killed\n`,
    );
    assert.deepEqual(tagged(tag), []);
    assert.ok(!existsSync(join(home, "deaf.pid")));
  },
);

t("--ready-cmd waits until the command exits 0", ({ work, cli }) => {
  const flag = join(work, "up");
  const before = Date.now();
  const ran = cli([
    "start",
    "--name",
    "probe",
    "--ready-cmd",
    `test -e ${flag}`,
    "--",
    "sh",
    "-c",
    `sleep 0.5; touch ${flag}; sleep 300`,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.ok(Date.now() - before >= 500);
  assert.equal(cli(["stop", "probe"]).code, 0);
});

t("readiness options are checked before anything starts", ({ cli, tag }) => {
  for (
    const [args, message] of [
      [["--ready-port", "0"], /invalid --ready-port "0": expected a port number 1-65535/],
      [["--ready-log", "("], /invalid --ready-log "\(":/],
      [["--ready-port", "80", "--ready-cmd", "true"], /give one of --ready-port, --ready-cmd/],
      [["--ready-port", "80", "--notify"], /give --notify or --ready-port, not both/],
      [["--settle-limit", "2", "--grace", "1"], /give --settle-limit or --grace, not both/],
      [["--settle-limit", "0"], /invalid --settle-limit 0: must be positive/],
    ] as const
  ) {
    const ran = cli(["start", ...args, "--", "sleep", "300"]);
    assert.equal(ran.code, 2, ran.stderr);
    assert.match(ran.stderr, message);
    assert.equal(ran.stderr.trimEnd().split("\n").length, 1);
  }
  assert.deepEqual(tagged(tag), []);
});
