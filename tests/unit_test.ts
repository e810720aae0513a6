/**
 * One table of start options behind the parser, help, the README, a file of
 * daemons and systemd units: units checked by `systemd-analyze verify`, and
 * a file of daemons brought up, listed and down with real processes.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../src/cli/command_table.ts";
import { EXIT } from "../src/cli/exit_codes.ts";
import { failureOf } from "../src/cli/failure.ts";
import { healthFacts } from "../src/cli/format.ts";
import { helpText } from "../src/cli/help.ts";
import { parseArgs, UsageError } from "../src/cli/parse.ts";
import { DEFAULTS } from "../src/defaults.ts";
import { DaemonError } from "../src/errors.ts";
import { type OptionType, START_OPTIONS } from "../src/cli/start_options.ts";
import {
  alive,
  cliCommand,
  formTest,
  pidOf,
  python,
  readText,
  root,
  run,
  tagged,
  test,
  until,
  waitFor,
} from "./harness.ts";

const t = formTest;

/** `systemd-analyze verify` of `text` saved as `NAME.service` in `dir`: what it printed. */
function verify(dir: string, name: string, text: string): string {
  const path = join(dir, `${name}.service`);
  writeFileSync(path, text);
  const ran = run(["systemd-analyze", "verify", path], { cwd: dir });
  assert.notEqual(ran.code, null, "systemd-analyze ran (apt-get install systemd)");
  return `${ran.stdout}${ran.stderr}`.trim();
}

test("the README's table of start options is the option table: flags, file keys and unit settings", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8").split("\n");
  const first = readme.findIndex((l) => l.startsWith("| option "));
  const rows: string[][] = [];
  for (let i = first + 2; readme[i]?.startsWith("|"); i++) {
    rows.push(readme[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  assert.deepEqual(
    rows.map((r) => [r[0], r[3], r[4]]),
    START_OPTIONS.map((o) => [
      `\`${o.flag}${o.value ? ` ${o.value}` : ""}\``,
      o.flag === "--exec" ? "—" : `\`${o.key}\``,
      o.unit.startsWith("none") ? "—" : `\`${o.unit.replace(/ \(.*\)$/, "")}\``,
    ]),
  );
});

test("a bad value of every option of the table is refused, naming the option", () => {
  const bad: Partial<Record<OptionType, string>> = {
    seconds: "-1",
    count: "x",
    size: "12Q",
    octal: "999",
    port: "0",
    regex: "(",
    signal: "NOPE",
    policy: "sometimes",
    variable: "=x",
    name: "a/b",
    command: " ",
    glob: "",
  };
  let checked = 0;
  for (const o of START_OPTIONS) {
    const value = bad[o.type];
    if (value === undefined) continue;
    // Supervision's values are checked when there is a supervisor.
    const extra = o.section === "supervision" && o.flag !== "--restart" ? ["--restart=always"] : [];
    assert.throws(
      () => parseArgs(["start", ...extra, `${o.flag}=${value}`, "--", "sleep", "1"]),
      (error: Error) => error instanceof UsageError && error.message.includes(o.flag),
      `${o.flag}=${value}`,
    );
    checked++;
  }
  assert.equal(checked, 26, "options with a bad value to try");
  // A switch takes no value, and an option unknown to the table is refused.
  for (const o of START_OPTIONS.filter((o) => o.type === "switch")) {
    assert.throws(() => parseArgs(["start", `${o.flag}=yes`, "--", "sleep"]), UsageError, o.flag);
  }
  assert.throws(() => parseArgs(["start", "--no-such-option", "--", "sleep"]), UsageError);
});

test("health options: one check, its settings only with it, and a supervisor implied", () => {
  const refused: [string[], string][] = [
    [["--health-cmd", "true", "--health-port", "80"], "give one of --health-cmd, --health-port"],
    [
      ["--health-interval", "1"],
      "--health-interval needs a health check: give --health-cmd or --health-port",
    ],
    [
      ["--health-retries", "0", "--health-cmd", "true"],
      "invalid --health-retries 0: must be positive",
    ],
    [
      ["--health-timeout", "x", "--health-port", "80"],
      'invalid --health-timeout "x": expected seconds',
    ],
    [
      ["--health-cmd", "true", "--user", "nobody"],
      "--health-cmd can't go with --user (it would run as root, as the supervisor does): give --health-port instead",
    ],
  ];
  for (const [args, message] of refused) {
    assert.throws(
      () => parseArgs(["start", ...args, "--", "sleep", "1"]),
      (e: Error) => e instanceof UsageError && e.message === message,
      args.join(" "),
    );
  }
  const parsed = parseArgs(["start", "--health-port", "8080", "--", "sleep", "1"]);
  assert.equal(parsed.command, "start");
  assert.deepEqual(parsed.command === "start" ? parsed.supervision?.health : undefined, {
    port: 8080,
    interval: DEFAULTS.healthInterval,
    timeout: DEFAULTS.healthTimeout,
    retries: DEFAULTS.healthRetries,
  });
});

test("status says a health check's last result: ok, or failing N of M with its message", () => {
  const at = 1_000_000;
  const result = {
    ok: false,
    failures: 1,
    retries: 3,
    at,
    message: "port 8080: connection refused",
  };
  assert.equal(
    healthFacts(result, at + 2_400),
    "health failing 1 of 3 2s ago (port 8080: connection refused)",
  );
  assert.equal(
    healthFacts({ ...result, ok: true, failures: 0, message: "exited with status 0" }, at + 65_000),
    "health ok 1m 5s ago",
  );
});

test("every word of the command table chooses its command, and the overview lists each command", () => {
  const overview = helpText("daemonize", undefined, false);
  for (const c of COMMANDS) {
    for (const word of [...c.words, ...c.hidden ?? []]) {
      const parsed = parseArgs([word, "--help"]);
      const expected = c.name === "help"
        ? { command: "help", topic: "--help" }
        : c.name === "version"
        ? { command: "version" }
        : { command: "help", topic: c.name };
      assert.deepEqual(parsed, expected, word);
    }
    for (const [usage] of c.overview) assert.ok(overview.includes(usage), c.name);
  }
});

test("help shows the defaults of the defaults table", () => {
  const help = (topic: string) => helpText("daemonize", topic, false);
  assert.match(help("stop"), new RegExp(`--timeout seconds \\[${DEFAULTS.stopTimeout / 1000}\\]`));
  assert.match(help("logs"), new RegExp(`last N lines \\[${DEFAULTS.logLines}\\]`));
  assert.match(
    help("start"),
    new RegExp(`--ready-timeout SEC .*\\[${DEFAULTS.readyTimeout / 1000}\\]`),
  );
});

test("a failure is one line and the exit status of the exit-code table", () => {
  const missing = new DaemonError("program", "no such program", { code: "ENOENT" });
  const denied = new DaemonError("program", "not executable", { code: "EACCES" });
  assert.deepEqual(failureOf(missing, "x"), {
    message: "program: no such program",
    code: EXIT.notFound,
  });
  assert.equal(failureOf(denied, "x")?.code, EXIT.notExecutable);
  assert.deepEqual(failureOf(new UsageError("bad", "stop"), "x"), {
    message: "bad (see 'x stop --help')",
    code: EXIT.usage,
  });
  assert.equal(failureOf(new Error("a bug"), "x"), undefined);
});

t("start's help lists every option of the table", ({ cli }) => {
  const help = cli(["start", "--help"]).stdout + cli(["run", "--help"]).stdout;
  for (const o of START_OPTIONS) {
    const value = o.value?.replace(/[[\]]/g, "\\$&");
    assert.match(help, new RegExp(`^  ${o.flag}${value ? ` ${value}` : ""} `, "m"), o.flag);
  }
});

t(
  "unit prints a service that systemd-analyze verifies, odd arguments quoted its way",
  ({ home, work, cli }) => {
    const ran = cli([
      "unit",
      "--name",
      "odd",
      "--cwd",
      work,
      "--env",
      'GREETING=say "hi" for 100% of $USER',
      "--restart",
      "on-failure",
      "--max-memory",
      "64M",
      "--log",
      join(work, "odd 100%.log"),
      "--",
      "sh",
      "-c",
      "echo \"$1\" '$HOME' 100%; exec sleep 1",
      "a b",
      ";",
      "back\\slash",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const values = join(home, "odd.env");
    assert.equal(
      ran.stderr,
      `daemonize: note: the --env values are in ${values} (mode 0600), which the unit reads\n`,
    );
    const unit = ran.stdout;
    assert.match(unit, /^Type=exec$/m);
    assert.match(
      unit,
      /^ExecStart=\/\S*sh -c "echo \\"\$\$1\\" '\$\$HOME' 100%%; exec sleep 1" "a b" \\; "back\\\\slash"$/m,
    );
    // No value in the unit: the file it names holds them, for its owner only.
    assert.ok(!unit.includes("GREETING") && !unit.includes("Environment="), unit);
    assert.match(unit, new RegExp(`^EnvironmentFile=${values}$`, "m"));
    assert.equal(statSync(values).mode & 0o777, 0o600);
    assert.match(readText(values), /^GREETING='say "hi" for 100% of \$USER'$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^MemoryMax=67108864$/m);
    assert.match(unit, /^UMask=0022$/m);
    assert.match(unit, /^KillMode=mixed$/m);
    assert.equal(verify(work, "odd", unit), "");
  },
);

t(
  "unit maps --notify, the user, the reload signal and the timeouts, and notes what systemd lacks",
  ({ work, cli }) => {
    const ran = cli([
      "unit",
      "--name",
      "svc",
      "--notify",
      "--user",
      "daemon",
      "--umask",
      "027",
      "--reload-signal",
      "USR1",
      "--ready-timeout",
      "5",
      "--log-time",
      "--health-port",
      "8080",
      "--",
      "sleep",
      "1000",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    for (
      const line of [
        "Type=notify",
        "User=daemon",
        "UMask=0027",
        "ExecReload=/bin/kill -s USR1 $MAINPID",
        "TimeoutStartSec=5s",
        "LimitCORE=0",
      ]
    ) {
      assert.ok(ran.stdout.split("\n").includes(line), line);
    }
    assert.equal(
      ran.stderr,
      "daemonize: note: --log-time has no systemd setting (the journal stamps each line): left out\n" +
        "daemonize: note: --health-port has no systemd setting (systemd has no health check; a daemon using the library can feed WatchdogSec= with startWatchdog()): left out\n",
    );
    assert.equal(verify(work, "svc", ran.stdout), "");
    // A unit that systemd would refuse fails the same check: the check can fail.
    assert.notEqual(
      verify(work, "broken", ran.stdout.replace(/^ExecStart=.*$/m, 'ExecStart="x')),
      "",
    );
  },
);

t(
  "unit takes relative paths from where it runs, and refuses a line break in a value",
  ({ work, cli }) => {
    const ran = run(
      cliCommand(["unit", "--name", "rel", "--cwd", "sub", "--log", "app.log", "--", "sleep", "1"]),
      { cwd: work },
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, new RegExp(`^WorkingDirectory=${work}/sub$`, "m"));
    assert.match(ran.stdout, new RegExp(`^StandardOutput=append:${work}/app\\.log$`, "m"));
    for (
      const [flag, value] of [["--stdout", "/tmp/x\nExecStartPre=/bin/touch /tmp/pwned"], [
        "--user",
        "a\nExecStartPre=/bin/evil",
      ]]
    ) {
      const injected = cli(["unit", flag!, value!, "--", "sleep", "1"]);
      assert.equal(injected.code, 2);
      assert.equal(injected.stdout, "");
      assert.match(
        injected.stderr,
        new RegExp(
          `^daemonize: ${flag} ".*\\\\n.*" can't go into a unit: a control character .*\n$`,
        ),
      );
    }
  },
);

t("unit of a missing program names it and prints no unit", ({ cli }) => {
  const ran = cli(["unit", "--", "no-such-program-xyz"]);
  assert.equal(ran.code, 127);
  assert.equal(ran.stdout, "");
  assert.equal(ran.stderr, "daemonize: program: program not found in PATH: no-such-program-xyz\n");
});

t(
  "a file of daemons: up starts them, up again leaves them alone, status lists them, down stops them",
  async ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      `{
  // two daemons, one with its own directory and variable
  "daemons": [
    { "name": "first", "command": ["sleep", "300"] },
    /* the second */
    { "name": "second", "command": ["sh", "-c", "echo \\"$GREETING\\" in $(pwd); exec sleep 300"],
      "cwd": ".", "env": { "GREETING": "hello // not a comment" }, "restart": "on-failure" }
  ]
}
`,
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    const first = pidOf(home, "first");
    const second = pidOf(home, "second");
    // Neither comes after the other: they start at once, each says so when started.
    assert.deepEqual(
      up.stdout.split("\n").sort(),
      ["", `first started (pid ${first})`, `second started (pid ${second})`],
    );
    assert.ok(alive(first) && alive(second));
    const again = cli(["up", "--file", file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^first already running \\(pid ${first}\\)$`, "m"));
    assert.match(again.stdout, new RegExp(`^second already running \\(pid ${second}\\)`, "m"));
    assert.equal(pidOf(home, "first"), first, "the running one is left alone");
    const status = cli(["status", "-f", file, "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const listed = JSON.parse(status.stdout) as { name: string; state: string }[];
    assert.deepEqual(listed.map((d) => [d.name, d.state]), [["first", "running"], [
      "second",
      "running",
    ]]);
    const said = `hello // not a comment in ${work}\n`;
    await until(
      () => readText(join(home, "second.log")) === said,
      () => `second's line in its log, not ${JSON.stringify(readText(join(home, "second.log")))}`,
    );
    const down = cli(["down", "-f", file, "first"]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!alive(first));
    assert.ok(alive(second), "only the daemon named is stopped");
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.ok(!alive(second));
  },
);

t(
  "up fails a daemon whose program fails during its start-up, with its message, and starts the others",
  ({ home, work, cli, tag }) => {
    const file = join(work, "daemonize.json");
    // A start-up that costs 0.4 s of work, as an interpreter loading an application does.
    const failing = [
      python(),
      "-c",
      "import sys, time\nt = time.time()\nwhile time.time() - t < 0.4: pass\nsys.exit('fatal: no DATABASE_URL')",
    ];
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "bad", command: failing },
          { name: "worse", command: failing, restart: "on-failure" },
          { name: "good", command: ["sleep", "300"], settleLimit: 2 },
        ],
      }),
    );
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 1, up.stdout);
    assert.equal(up.stdout, `good started (pid ${pidOf(home, "good")})\n`);
    for (const name of ["bad", "worse"]) {
      assert.match(
        up.stderr,
        new RegExp(
          `startup: \\S*python[\\d.]* exited with status 1 during its start-up\n  \\S*${name}\\.log: fatal: no DATABASE_URL\n`,
        ),
      );
    }
    const listed = JSON.parse(cli(["status", "-f", file, "--json"]).stdout) as { state: string }[];
    assert.deepEqual(listed.map((d) => d.state), ["stopped", "running", "stopped"]);
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a mistake in a file of daemons is one line naming the file, the daemon and the key; nothing starts",
  ({ work, cli }) => {
    const file = join(work, "bad.json");
    const cases: [string, string][] = [
      [
        `{"daemons": [{"name": "web", "command": ["sleep", "1"], "restat": "always"}]}`,
        `daemonize: ${file}: daemon "web" (entry 1): unknown key "restat"; did you mean "restart"?\n`,
      ],
      [
        `{"daemons": [{"name": "web", "command": ["sleep", "1"], "restart": "sometimes"}]}`,
        `daemonize: ${file}: daemon "web" (entry 1): invalid "restart" "sometimes": expected no, on-failure or always\n`,
      ],
      [
        `{"daemons": [{"name": "web"}]}`,
        `daemonize: ${file}: daemon "web" (entry 1): "command" must be the program and its arguments, as an array of strings\n`,
      ],
      [
        `{"daemons": [}`,
        `daemonize: ${file}: line 1, column 14: not valid JSON: expected a value, found "}"\n`,
      ],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      const ran = cli(["up", "-f", file]);
      assert.equal(ran.code, 2, ran.stderr);
      assert.equal(ran.stdout, "");
      assert.equal(ran.stderr, message);
    }
    assert.equal(cli(["status", "--json"]).stdout, "[]\n", "nothing was started");
  },
);

t("unit -f prints the unit of a daemon of the file", ({ work, cli }) => {
  const file = join(work, "daemonize.json");
  writeFileSync(
    file,
    `{"daemons": [{"name": "web", "command": ["sleep", "300"], "umask": "077"}]}`,
  );
  const ran = cli(["unit", "-f", file, "web"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^UMask=0077$/m);
  assert.equal(verify(work, "web", ran.stdout), "");
  const missing = cli(["unit", "-f", file, "wbe"]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `daemonize: ${file}: no daemon named "wbe"; did you mean "web"?\n`);
});

t("run by another user than root, unit prints a user unit, and refuses --user", ({ work }) => {
  const asNobody = (args: string[]) =>
    run([
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "env",
      `HOME=${work}`,
      `DENO_DIR=${join(work, "deno")}`,
      ...cliCommand(args),
    ], { cwd: work });
  const ran = asNobody(["unit", "--name", "mine", "--", "sleep", "100"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^WantedBy=default\.target$/m);
  assert.doesNotMatch(ran.stdout, /^User=/m);
  assert.equal(verify(work, "mine", ran.stdout), "");
  const refused = asNobody(["unit", "--user", "root", "--", "sleep", "100"]);
  assert.equal(refused.code, 2);
  assert.equal(
    refused.stderr,
    "daemonize: --user and --group need a system unit: run unit as root (see 'daemonize unit --help')\n",
  );
});

t(
  "down run from inside one of the file's daemons goes on outside it and stops them all",
  async ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    const out = join(work, "hook.out");
    const go = join(work, "go");
    const down = cliCommand(["down", "-f", file]).map((w) => `'${w}'`).join(" ");
    // It runs down once up is over (the test says go), not while up starts the other.
    const wait = `until [ -e ${go} ]; do sleep 0.05; done`;
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          {
            name: "hook",
            command: ["sh", "-c", `${wait}; ${down} >> ${out} 2>&1; exec sleep 300`],
          },
          { name: "other", command: ["sleep", "300"] },
        ],
      }),
    );
    assert.equal(cli(["up", "-f", file]).code, 0);
    const hook = pidOf(home, "hook");
    const other = pidOf(home, "other");
    writeFileSync(go, "");
    assert.ok(await waitFor(() => /other stopped/.test(readText(out)), 10_000), readText(out));
    const said = readText(out);
    assert.match(
      said,
      /this down runs in hook's own session, which it ends: it goes on as pid \d+/,
    );
    assert.match(said, new RegExp(`hook stopped \\(pid ${hook}`));
    assert.ok(!alive(hook) && !alive(other));
  },
);
