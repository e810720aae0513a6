/**
 * `enable` and `disable`: the boot unit of a file of daemons, checked by
 * `systemd-analyze verify`, installed into a temporary unit folder with a
 * fake `systemctl` (and `loginctl`) that record their calls; without
 * systemd, the crontab line, run as cron would run it.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, cliCommand, type Ctx, formTest, pidOf, readText, run } from "./harness.ts";

/**
 * A file of three daemons: one with a secret in its environment and one
 * with an environment file, one that comes after the others.
 */
function threeDaemons(work: string): string {
  const file = join(work, "daemonize.json");
  writeFileSync(join(work, "worker.env"), "WORKER_TOKEN=another-s3cr3t\n", { mode: 0o600 });
  writeFileSync(
    file,
    JSON.stringify({
      daemons: [
        { name: "db", command: ["sleep", "300"] },
        { name: "api", command: ["sleep", "301"], env: { API_SECRET: "s3cr3t-token-123" } },
        {
          name: "worker",
          command: ["sleep", "302"],
          restart: "on-failure",
          after: ["db", "api"],
          envFile: "worker.env",
        },
      ],
    }),
  );
  return file;
}

/** A fake program at `work/NAME` that appends its arguments to `work/NAME.calls` and prints `output`. */
function fake(work: string, name: string, output = ""): string {
  const path = join(work, name);
  writeFileSync(
    path,
    `#!/bin/sh\necho "$*" >> '${path}.calls'\nprintf '%s' '${output}'\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** The calls a fake program recorded, one per line. */
function calls(path: string): string[] {
  return readText(`${path}.calls`).split("\n").filter(Boolean);
}

/** The test seams: a unit folder, a fake systemctl and a systemd that runs. */
function seams(work: string): Record<string, string> {
  const units = join(work, "units");
  const running = join(work, "systemd-runs");
  mkdirSync(running, { recursive: true });
  return {
    DAEMONIZE_TEST_UNIT_DIR: units,
    DAEMONIZE_TEST_SYSTEMCTL: fake(work, "systemctl"),
    DAEMONIZE_TEST_SYSTEMD_DIR: running,
  };
}

/** `systemd-analyze verify` of `text` saved in `dir` under `name`: what it printed. */
function verify(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  const ran = run(["systemd-analyze", "verify", path], { cwd: dir });
  assert.notEqual(ran.code, null, "systemd-analyze ran (apt-get install systemd)");
  return `${ran.stdout}${ran.stderr}`.trim();
}

/** The unit's file name, from the comment that heads what `enable --print` prints. */
function printedName(c: Ctx, file: string, extra: string[] = []): { name: string; text: string } {
  const printed = c.cli(["enable", "--print", "-f", file, ...extra]);
  assert.equal(printed.code, 0, printed.stderr);
  const name = /^# (daemonize-\S+\.service)\n/.exec(printed.stdout)?.[1];
  assert.ok(name, printed.stdout);
  return { name, text: printed.stdout };
}

formTest(
  "enable --print prints one unit for the file that systemd-analyze verifies: up at start, down at stop",
  (c) => {
    const file = threeDaemons(c.work);
    const { name, text } = printedName(c, file, ["--after-network"]);
    assert.match(name, /^daemonize-daemonize-test-[A-Za-z0-9_]+-[0-9a-f]{8}\.service$/);
    const lines = text.split("\n");
    for (
      const line of [
        "Type=oneshot",
        "RemainAfterExit=yes",
        "Wants=network-online.target",
        "After=network-online.target",
        "WantedBy=multi-user.target",
        `Environment="DAEMONIZE_HOME=${c.home}"`,
      ]
    ) {
      assert.ok(lines.includes(line), `${line} in:\n${text}`);
    }
    const start = lines.find((l) => l.startsWith("ExecStart="))!;
    const stop = lines.find((l) => l.startsWith("ExecStop="))!;
    assert.ok(start.endsWith(` up -f ${file}`), start);
    assert.ok(stop.endsWith(` down -f ${file}`), stop);
    const executable = start.slice("ExecStart=".length).split(" ")[0]!;
    assert.ok(executable.startsWith("/") && existsSync(executable), executable);
    assert.doesNotMatch(text, /s3cr3t/, "no value of the file's environment");
    assert.equal(verify(c.work, name, text), "");
    // The user's form: started by the user's own manager.
    const user = printedName(c, file, ["--user"]);
    assert.equal(user.name, name, "the name comes from the file's path");
    assert.ok(user.text.split("\n").includes("WantedBy=default.target"), user.text);
    assert.doesNotMatch(user.text, /network-online/);
    assert.equal(verify(c.work, `user-${name}`, user.text), "");
    // A mistake in the file shows now, not at the next boot.
    writeFileSync(join(c.work, "bad.json"), '{"daemons": [{"name": "x"}]}');
    const bad = c.cli(["enable", "--print", "-f", join(c.work, "bad.json")]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /^daemonize: .*bad\.json: daemon "x" \(entry 1\): "command" must be/);
  },
);

formTest(
  "enable installs the unit and runs systemctl daemon-reload and enable; disable undoes it",
  (c) => {
    const file = threeDaemons(c.work);
    const env = seams(c.work);
    const { name, text } = printedName(c, file);
    const enabled = c.cli(["enable", "-f", file], env);
    assert.equal(enabled.code, 0, enabled.stderr);
    const unit = join(c.work, "units", name);
    assert.equal(
      enabled.stdout,
      `enabled ${name}: the daemons of ${file} come up at every boot (${unit})\n`,
    );
    assert.equal(readFileSync(unit, "utf8"), text);
    assert.equal(statSync(unit).mode & 0o777, 0o644);
    assert.deepEqual(calls(env.DAEMONIZE_TEST_SYSTEMCTL!), ["daemon-reload", `enable ${name}`]);
    // Again: its own unit is replaced.
    assert.equal(c.cli(["enable", "-f", file], env).code, 0);
    const disabled = c.cli(["disable", "-f", file], env);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, new RegExp(`^disabled ${name.replaceAll(".", "\\.")}: `));
    assert.ok(!existsSync(unit), "the unit file is removed");
    assert.deepEqual(calls(env.DAEMONIZE_TEST_SYSTEMCTL!).slice(4), [
      `disable ${name}`,
      "daemon-reload",
    ]);
  },
);

formTest("enable and disable leave a unit file they did not write as it is", (c) => {
  const file = threeDaemons(c.work);
  const env = seams(c.work);
  const { name } = printedName(c, file);
  mkdirSync(join(c.work, "units"));
  const unit = join(c.work, "units", name);
  writeFileSync(unit, "[Service]\nExecStart=/bin/true\n");
  for (const command of ["enable", "disable"]) {
    const refused = c.cli([command, "-f", file], env);
    assert.equal(refused.code, 1, command);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      `daemonize: ${command}: ${unit} was not written by daemonize enable: left as it is; move it away first\n`,
    );
  }
  assert.equal(readFileSync(unit, "utf8"), "[Service]\nExecStart=/bin/true\n");
  assert.deepEqual(calls(env.DAEMONIZE_TEST_SYSTEMCTL!), [], "systemctl never ran");
});

formTest(
  "enable --user installs a user unit and says how to turn lingering on when it is off",
  (c) => {
    const file = threeDaemons(c.work);
    const env = seams(c.work);
    const user = run(["id", "-un"]).stdout.trim();
    const off = { ...env, DAEMONIZE_TEST_LOGINCTL: fake(c.work, "loginctl-off", "Linger=no\n") };
    const enabled = c.cli(["enable", "--user", "-f", file], off);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(
      enabled.stderr,
      `daemonize: note: run "loginctl enable-linger ${user}" so that it starts at boot (without lingering, user units start at login only)\n`,
    );
    assert.deepEqual(calls(off.DAEMONIZE_TEST_LOGINCTL), [`show-user ${user} -p Linger`]);
    const name = /^enabled (\S+):/.exec(enabled.stdout)![1]!;
    assert.deepEqual(calls(env.DAEMONIZE_TEST_SYSTEMCTL!), [
      "--user daemon-reload",
      `--user enable ${name}`,
    ]);
    assert.match(readFileSync(join(c.work, "units", name), "utf8"), /^WantedBy=default\.target$/m);
    const on = { ...env, DAEMONIZE_TEST_LOGINCTL: fake(c.work, "loginctl-on", "Linger=yes\n") };
    const again = c.cli(["enable", "--user", "-f", file], on);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "", "lingering is on: nothing to say");
    assert.equal(c.cli(["disable", "--user", "-f", file], env).code, 0);
  },
);

formTest(
  "without systemd, enable says so in one line and prints a crontab line that brings the file up",
  (c) => {
    const file = threeDaemons(c.work);
    const env = { ...seams(c.work), DAEMONIZE_TEST_SYSTEMD_DIR: join(c.work, "no-systemd") };
    const ran = c.cli(["enable", "-f", file], env);
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      "daemonize: systemd does not run here (no /run/systemd/system): nothing installed; add this line to your crontab (crontab -e) instead:\n",
    );
    assert.match(ran.stdout, /^@reboot cd \S+ && PATH=\S+ DAEMONIZE_HOME=\S+ \/\S+ .*up -f \S+\n$/);
    assert.ok(!existsSync(join(c.work, "units")), "nothing installed");
    // Run as cron runs it (a shell, from /): the file's daemons come up.
    const line = ran.stdout.trim().slice("@reboot ".length).replaceAll("\\%", "%");
    const booted = run(["sh", "-c", line], { cwd: "/", env: { TEST_TAG: c.tag } });
    assert.equal(booted.code, 0, booted.stderr);
    for (const name of ["db", "api", "worker"]) assert.ok(alive(pidOf(c.home, name)), name);
    assert.equal(c.cli(["down", "-f", file]).code, 0);
    const disabled = c.cli(["disable", "-f", file], env);
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /^daemonize: systemd does not run here .*crontab -e\)\n$/);
  },
);

formTest("enable of a system unit by another user than root is refused in one line", (c) => {
  const file = threeDaemons(c.work);
  const ran = run([
    "setpriv",
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    "env",
    `HOME=${c.work}`,
    `DENO_DIR=${join(c.work, "deno")}`,
    ...Object.entries(seams(c.work)).map(([k, v]) => `${k}=${v}`),
    ...cliCommand(["enable", "-f", file]),
  ], { cwd: c.work });
  assert.equal(ran.code, 2, ran.stderr);
  assert.equal(
    ran.stderr,
    "daemonize: a system unit needs root: run enable as root, or give --user (see 'daemonize enable --help')\n",
  );
  assert.ok(!existsSync(join(c.work, "units")), "nothing installed");
});
