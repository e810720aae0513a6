/**
 * A file of daemons in order: `after` starts a daemon once those it comes
 * after are ready (independent ones at once) and `down` stops in the reverse
 * order; a file's relative paths are relative to it, a relative program is
 * found in the daemon's directory; a file's mistakes name the file and the
 * entry; `unit -f FILE` prints the whole set.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  alive,
  cliCommand,
  formTest,
  freePort,
  pidOf,
  python,
  readText,
  run,
  tagged,
  until,
} from "./harness.ts";

const t = formTest;

/** A program that writes the time to `stamp`, then runs `then` (a shell command line). */
function stamped(stamp: string, then = "exec sleep 300"): string[] {
  return ["sh", "-c", `date +%s.%N > '${stamp}'; ${then}`];
}

/** A seconds-since-the-epoch stamp a program wrote. */
function stampOf(path: string): number {
  return Number(readFileSync(path, "utf8").trim());
}

/** A Python server that runs `before` (Python), writes the time to `stamp`, then listens on `port`. */
function server(port: number, stamp: string, before: string): string[] {
  return [
    python(),
    "-c",
    [
      "import os, socket, sys, time",
      before,
      `open(${JSON.stringify(stamp)}, "w").write(str(time.time()))`,
      "s = socket.socket()",
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
      `s.bind(("127.0.0.1", ${port}))`,
      "s.listen()",
      "time.sleep(300)",
    ].join("\n"),
  ];
}

t(
  "up starts a worker that comes after a server once the server is ready, a second after it started",
  async ({ home, work, cli }) => {
    const port = await freePort();
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          // Written first: the file's order is not the start's.
          { name: "worker", command: stamped(join(work, "worker")), after: ["server"] },
          {
            name: "server",
            command: server(port, join(work, "server"), "time.sleep(1)"),
            readyPort: port,
          },
        ],
      }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(
      up.stdout,
      `server started (pid ${pidOf(home, "server")})\nworker started (pid ${
        pidOf(home, "worker")
      })\n`,
    );
    await until(() => existsSync(join(work, "worker")), "the worker's stamp");
    assert.ok(
      stampOf(join(work, "worker")) > stampOf(join(work, "server")),
      "the worker started after the server was about to listen",
    );
  },
);

t(
  "up starts daemons that come after none at once: each is ready only once the other has started",
  async ({ home, work, cli }) => {
    const [a, b] = [await freePort(), await freePort()];
    // Started one after the other, the first would wait for the second for ever.
    const waitFor = (other: string) =>
      `while not os.path.exists(${
        JSON.stringify(join(work, `${other}.started`))
      }): time.sleep(0.01)`;
    const begin = (name: string) =>
      `open(${JSON.stringify(join(work, `${name}.started`))}, "w").close()`;
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          {
            name: "a",
            command: server(a, join(work, "a.ready"), `${begin("a")}\n${waitFor("b")}`),
            readyPort: a,
            readyTimeout: 20,
          },
          {
            name: "b",
            command: server(b, join(work, "b.ready"), `${begin("b")}\n${waitFor("a")}`),
            readyPort: b,
            readyTimeout: 20,
          },
          { name: "c", command: ["sleep", "300"], after: ["a", "b"] },
        ],
      }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`^a started \\(pid ${pidOf(home, "a")}\\)$`, "m"));
    assert.match(up.stdout, new RegExp(`^b started \\(pid ${pidOf(home, "b")}\\)$`, "m"));
    assert.match(up.stdout, new RegExp(`c started \\(pid ${pidOf(home, "c")}\\)\n$`));
  },
  60_000,
);

t(
  "a cycle or an unknown name in after is one usage error naming the daemons; nothing starts",
  ({ work, cli }) => {
    const file = join(work, "daemonize.json");
    const sleep = ["sleep", "300"];
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "api", command: sleep, after: ["worker"] },
          { name: "web", command: sleep },
          { name: "worker", command: sleep, after: ["api"] },
        ],
      }),
    );
    const cycle = cli(["up", "-f", file]);
    assert.equal(cycle.code, 2);
    assert.equal(
      cycle.stderr,
      `daemonize: ${file}: "after" goes round in a cycle: "api" → "worker" → "api"\n`,
    );
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [{ name: "api", command: sleep }, { name: "web", command: sleep, after: ["apo"] }],
      }),
    );
    const unknown = cli(["up", "-f", file]);
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      `daemonize: ${file}: daemon "web" (entry 2) comes after "apo", which is not in the file; did you mean "api"?\n`,
    );
    assert.equal(cli(["status", "--json"]).stdout, "[]\n", "nothing was started");
  },
);

t(
  "a dependency that fails to start fails its dependents with a line naming it; the others start",
  ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "api", command: ["sh", "-c", "exit 3"], grace: 5 },
          { name: "worker", command: ["sleep", "300"], after: ["api"] },
          { name: "mailer", command: ["sleep", "300"], after: ["worker"] },
          { name: "web", command: ["sleep", "300"] },
        ],
      }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 1, up.stderr);
    assert.equal(up.stdout, `web started (pid ${pidOf(home, "web")})\n`);
    assert.match(up.stderr, /^daemonize: worker: not started: api failed to start$/m);
    assert.match(up.stderr, /^daemonize: mailer: not started: worker failed to start$/m);
    const listed = JSON.parse(cli(["status", "-f", file, "--json"]).stdout) as {
      name: string;
      state: string;
    }[];
    assert.deepEqual(
      Object.fromEntries(listed.map((d) => [d.name, d.state])),
      { api: "stopped", worker: "stopped", mailer: "stopped", web: "running" },
    );
  },
);

t(
  "down stops a daemon before those it comes after; up of one name starts what it comes after too",
  ({ home, work, cli, tag }) => {
    const order = join(work, "stops");
    // Each writes its name to the shared file when told to stop, then ends; it is ready once it
    // would.
    const program = (name: string) => [
      python(),
      "-c",
      `import signal, sys, time\ndef end(*_):\n  open(${
        JSON.stringify(order)
      }, "a").write("${name}\\n")\n  sys.exit(0)\nsignal.signal(signal.SIGTERM, end)\nprint("ready", flush=True)\nwhile True: time.sleep(60)`,
    ];
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "db", command: program("db"), readyLog: "^ready$" },
          { name: "api", command: program("api"), after: ["db"], readyLog: "^ready$" },
          { name: "worker", command: program("worker"), after: ["api"], readyLog: "^ready$" },
          { name: "web", command: ["sleep", "300"], grace: 0.2 },
        ],
      }),
    );
    const up = cli(["up", "-f", file, "worker"]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(
      up.stdout,
      ["db", "api", "worker"].map((n) => `${n} started (pid ${pidOf(home, n)})\n`).join(""),
    );
    assert.ok(!existsSync(join(home, "web.pid")), "web is not needed by worker");
    const down = cli(["down", "-f", file]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readText(order), "worker\napi\ndb\n");
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a file's relative paths are relative to it, and ./run.sh with a cwd is found in that cwd",
  async ({ home, work, cli, tag }) => {
    mkdirSync(join(work, "app"));
    mkdirSync(join(work, "logs"));
    writeFileSync(join(work, "app", "run.sh"), "#!/bin/sh\necho ran in $(pwd)\nexec sleep 300\n", {
      mode: 0o755,
    });
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "app", command: ["./run.sh"], cwd: "app", log: "logs/app.log" },
          { name: "bin", command: ["app/run.sh"], log: "logs/bin.log", pidFile: "bin.pid" },
        ],
      }),
    );
    // Run from elsewhere: nothing is taken from up's own directory.
    const up = run(cliCommand(["up", "-f", file]), {
      cwd: "/",
      env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
    });
    assert.equal(up.code, 0, up.stderr);
    assert.ok(alive(pidOf(home, "app")));
    assert.ok(alive(Number(readText(join(work, "bin.pid")))), "the pid file is beside the file");
    await until(
      () => readText(join(work, "logs", "app.log")) === `ran in ${work}/app\n`,
      () => `app's log, not ${JSON.stringify(readText(join(work, "logs", "app.log")))}`,
    );
    await until(() => readText(join(work, "logs", "bin.log")) === `ran in ${work}\n`, "bin's log");
    assert.equal(cli(["down", "-f", file]).code, 0);
  },
);

t(
  "start --cwd DIR -- ./run.sh runs DIR/run.sh; a program not found says where it was looked for",
  ({ home, work, tag }) => {
    mkdirSync(join(work, "app"));
    writeFileSync(join(work, "app", "run.sh"), "#!/bin/sh\nexec sleep 300\n", { mode: 0o755 });
    const start = (args: string[]) =>
      run(cliCommand(["start", ...args]), {
        cwd: work,
        env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
      });
    const ran = start(["--cwd", "app", "--name", "app", "--", "./run.sh"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(readFileSync(`/proc/${pidOf(home, "app")}/cmdline`, "utf8"), "sleep\x00300\x00");
    const missing = start(["--cwd", "app", "--name", "none", "--", "./none.sh"]);
    assert.equal(missing.code, 127);
    assert.equal(
      missing.stderr,
      `daemonize: program: program not found: ./none.sh (in ${work}/app)\n`,
    );
  },
);

t(
  "a program, user or group a file names that does not exist names the file and the entry, with the closest name",
  ({ work, cli }) => {
    mkdirSync(join(work, "bin"));
    writeFileSync(join(work, "bin", "reporter7"), "#!/bin/sh\nexec sleep 300\n", { mode: 0o755 });
    const file = join(work, "daemonize.json");
    const cases: [object, string][] = [
      [
        { command: ["repotrer7"], env: { PATH: `${work}/bin:/usr/bin:/bin` } },
        `program not found in PATH: repotrer7; did you mean "reporter7"?`,
      ],
      [{ command: ["./run.sh"], cwd: "app" }, `program not found: ./run.sh (in ${work}/app)`],
      [
        { command: ["sleep", "300"], user: "nobdy" },
        `unknown user "nobdy"; did you mean "nobody"?`,
      ],
      [
        { command: ["sleep", "300"], user: "nobody", group: "nogruop" },
        `unknown group "nogruop"; did you mean "nogroup"?`,
      ],
    ];
    for (const [entry, message] of cases) {
      writeFileSync(
        file,
        JSON.stringify({
          daemons: [{ name: "web", command: ["sleep", "300"] }, { name: "worker", ...entry }],
        }),
      );
      const up = cli(["up", "-f", file]);
      assert.equal(up.code, 2, up.stderr);
      assert.equal(up.stdout, "");
      assert.equal(up.stderr, `daemonize: ${file}: daemon "worker" (entry 2): ${message}\n`);
    }
    assert.equal(cli(["status", "--json"]).stdout, "[]\n", "nothing was started");
  },
);

t("a JSON syntax error in a file of daemons gives its line and column", ({ work, cli }) => {
  const file = join(work, "daemonize.json");
  const cases: [string, string][] = [
    [
      '{\n  // the web server\n  "daemons": [\n    { "name": "web", "command": ["sleep"] }\n    { "name": "api" }\n  ]\n}\n',
      `line 5, column 5: not valid JSON: expected ',' or ']', found "{"`,
    ],
    ['{"daemons": [}', `line 1, column 14: not valid JSON: expected a value, found "}"`],
    [
      '{"daemons": [\n  /* a comment */ {"name": "x", "command": ["a",]}]}',
      `line 2, column 49: not valid JSON: expected a value, found "]"`,
    ],
    [
      '{"daemons": []',
      "line 1, column 15: not valid JSON: expected ',' or '}', found the end of the file",
    ],
  ];
  for (const [text, message] of cases) {
    writeFileSync(file, text);
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 2, up.stderr);
    assert.equal(up.stderr, `daemonize: ${file}: ${message}\n`);
  }
});

t(
  "unit -f FILE prints a target and a service per daemon, with After= and Requires=, that systemd-analyze verifies",
  ({ work, cli }) => {
    const dir = join(work, "shop");
    mkdirSync(join(dir, "app"), { recursive: true });
    writeFileSync(join(dir, "app", "run.sh"), "#!/bin/sh\nexec sleep 300\n", { mode: 0o755 });
    const file = join(dir, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "db", command: ["sleep", "300"], notify: true },
          { name: "api", command: ["./run.sh"], cwd: "app", after: ["db"], readyPort: 8080 },
          { name: "worker", command: ["sleep", "300"], after: ["api", "db"], readyPort: 8081 },
        ],
      }),
    );
    const ran = cli(["unit", "-f", file]);
    assert.equal(ran.code, 0, ran.stderr);
    const units = new Map<string, string>();
    for (const part of ran.stdout.split(/^# /m).slice(1)) {
      const name = part.slice(0, part.indexOf("\n"));
      units.set(name, part.slice(name.length + 1));
    }
    assert.deepEqual([...units.keys()], [
      "shop.target",
      "db.service",
      "api.service",
      "worker.service",
    ]);
    assert.match(units.get("shop.target")!, /^Wants=db.service api.service worker.service$/m);
    assert.match(units.get("db.service")!, /^Type=notify$/m);
    assert.match(units.get("api.service")!, /^After=db.service\nRequires=db.service$/m);
    assert.match(units.get("api.service")!, new RegExp(`^ExecStart=${dir}/app/run.sh$`, "m"));
    assert.match(units.get("worker.service")!, /^After=api.service db.service$/m);
    assert.match(units.get("worker.service")!, /^WantedBy=shop.target$/m);
    assert.equal(
      ran.stderr,
      "daemonize: note: --ready-port has no systemd setting (systemd has no such check (use --notify)): left out (api, worker)\n" +
        "daemonize: note: systemd starts what comes after api once it runs, not once ready as up does (--notify would say when)\n",
    );
    const paths = [...units].map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const verified = run(["systemd-analyze", "verify", ...paths], { cwd: dir });
    assert.notEqual(verified.code, null, "systemd-analyze ran (apt-get install systemd)");
    assert.equal(`${verified.stdout}${verified.stderr}`.trim(), "");
    assert.equal(verified.code, 0);
  },
);

t(
  "up again leaves a running daemon alone though its program was removed meanwhile",
  ({ home, work, cli }) => {
    writeFileSync(join(work, "app.sh"), "#!/bin/sh\nexec sleep 300\n", { mode: 0o755 });
    const file = join(work, "daemonize.json");
    writeFileSync(file, JSON.stringify({ daemons: [{ name: "app", command: ["./app.sh"] }] }));
    assert.equal(cli(["up", "-f", file]).code, 0);
    const pid = pidOf(home, "app");
    rmSync(join(work, "app.sh"));
    const again = cli(["up", "-f", file]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `app already running (pid ${pid})\n`);
  },
);
