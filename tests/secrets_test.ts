/**
 * `--env` and environment-file values stay out of sight: no command line of
 * the command's processes (supervisor, a program's own stage, a start run by
 * `up`) holds one, as read by another user from /proc, and no message prints
 * one.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { alive, cliCommand, formTest, pidOf, readText, runAsync, waitFor } from "./harness.ts";

/** Every process's command line, as user `nobody` reads them. */
function commandLinesAsNobody(): string {
  const read = spawnSync(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", "cat /proc/[0-9]*/cmdline"],
    { encoding: "latin1", maxBuffer: 64 << 20 },
  );
  return read.stdout.replaceAll("\0", " ");
}

/** The children of `pid` (a supervisor's: its program, and the keeper of its output). */
function children(pid: number): string[] {
  return readText(`/proc/${pid}/task/${pid}/children`).trim().split(" ").filter(Boolean);
}

/** The environment of `pid`, as root reads it. */
function environ(pid: number): string[] {
  return readText(`/proc/${pid}/environ`).split("\0");
}

formTest(
  "no --env or --env-file value shows in any command line, supervised, privileged or plain",
  async ({ home: dir, work: out, cli }) => {
    const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
    // Readable by the program's user too (the program's own stage reads nothing of it).
    const envFile = join(out, "secrets.env");
    writeFileSync(envFile, `FILE_SECRET='${secret}-f'\n`);
    const sup = cli([
      "start",
      "--name",
      "sup",
      "--restart",
      "always",
      "--env-file",
      envFile,
      "--env",
      `API_SECRET=${secret}-a`,
      "--",
      "sh",
      "-c",
      `echo "$API_SECRET" > ${out}/sup; exec sleep 300`,
    ]);
    assert.equal(sup.code, 0, sup.stderr);
    const dropped = cli([
      "start",
      "--name",
      "dropped",
      "--user",
      "nobody",
      "--restart",
      "on-failure",
      `--env-file=${envFile}`,
      `--env=API_SECRET=${secret}-b`,
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(dropped.code, 0, dropped.stderr);
    const plain = cli([
      "start",
      "--name",
      "plain",
      "--env-file",
      envFile,
      `--env=API_SECRET=${secret}-c`,
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(await waitFor(() => readText(join(out, "sup")).trim() === `${secret}-a`, 10_000));
    const lines = commandLinesAsNobody();
    assert.ok(lines.includes("API_SECRET"), "the names are there (the test reads what it should)");
    assert.ok(!lines.includes(secret), "no value in any command line");
    // The program still gets each value, and the supervisor holds it in its environment only.
    assert.ok(environ(pidOf(dir, "sup")).includes(`API_SECRET=${secret}-a`));
    assert.ok(environ(pidOf(dir, "plain")).includes(`API_SECRET=${secret}-c`));
    // Each program gets the file's values (a supervised one is its supervisor's child).
    for (const name of ["sup", "dropped", "plain"]) {
      const pid = pidOf(dir, name);
      const program = () =>
        name === "plain" ? pid : Number(
          children(pid).find((c) => readText(`/proc/${c}/cmdline`).startsWith("sleep\0")) ?? 0,
        );
      assert.ok(await waitFor(() => program() > 0, 10_000), name);
      const env = environ(program());
      assert.ok(env.includes(`FILE_SECRET=${secret}-f`), `${name} has the file's value`);
      assert.ok(!env.some((e) => e.startsWith("DAEMONIZE_STAGE")), `${name}: no value of ours`);
    }
    for (const name of ["sup", "dropped", "plain"]) {
      assert.ok(!cli(["status", name, "--json"]).stdout.includes(secret), `status of ${name}`);
      assert.equal(cli(["stop", name]).code, 0);
    }
  },
);

formTest("a changed start's note names the changes but never shows a value", ({ cli }) => {
  const first = cli(["start", "--name", "n", "--env", "TOKEN=old-value-1", "--", "sleep", "300"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(cli(["stop", "n"]).code, 0);
  const second = cli(["start", "--name", "n", "--env", "TOKEN=new-value-2", "--", "sleep", "301"]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /now starts with another command line \(was: .*--env TOKEN=…/);
  assert.ok(!/old-value|new-value/.test(second.stdout + second.stderr), second.stderr);
  assert.equal(cli(["stop", "n"]).code, 0);
});

formTest(
  "--env NAME takes the value NAME has in the starter's environment",
  async ({ work: out, cli }) => {
    const started = cli(
      [
        "start",
        "--name",
        "e",
        "--clear-env",
        "--env",
        "PASSED",
        "--",
        "sh",
        "-c",
        `echo "$PASSED" > ${out}/e; exec sleep 300`,
      ],
      { PASSED: "from-the-caller" },
    );
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => readText(join(out, "e")).trim() === "from-the-caller", 10_000));
    assert.equal(cli(["stop", "e"]).code, 0);
    const unset = cli(["start", "--name", "u", "--env", "NOT_SET_ANYWHERE", "--", "sleep", "1"]);
    assert.equal(unset.code, 2);
    assert.match(
      unset.stderr,
      /--env "NOT_SET_ANYWHERE": NOT_SET_ANYWHERE is not set in the environment/,
    );
  },
);

formTest(
  "up starts a file's daemon without its env or envFile values in any command line",
  async ({ home: dir, work, cli }) => {
    const secret = `f1le-${Math.random().toString(36).slice(2)}`;
    const file = join(work, "daemonize.json");
    writeFileSync(join(work, "app.env"), `FROM_FILE=${secret}-e\n`);
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          {
            name: "slow",
            command: ["sleep", "300"],
            env: { FILE_SECRET: secret },
            envFile: "app.env",
            grace: 1.5,
          },
        ],
      }),
    );
    const up = runAsync(cliCommand(["up", "-f", file]), { env: { DAEMONIZE_HOME: dir } });
    let seen = "";
    // While up's start of the daemon waits out its grace, its processes run.
    await waitFor(() => {
      seen += commandLinesAsNobody();
      return seen.includes("FILE_SECRET");
    }, 10_000);
    const done = await up;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(seen.includes("FILE_SECRET"), "the start was seen");
    assert.ok(!seen.includes(secret), "with no value");
    const pid = pidOf(dir, "slow");
    assert.ok(environ(pid).includes(`FILE_SECRET=${secret}`));
    assert.ok(environ(pid).includes(`FROM_FILE=${secret}-e`));
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.ok(await waitFor(() => !alive(pid), 5000));
  },
);
