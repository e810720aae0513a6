/**
 * Environment files at work: `--env-file` and a file of daemons' `envFile`
 * read at each start and restart (the saved start keeps the path, not the
 * values), `--env` and later files winning, mistakes named by file and line
 * without a value, and units that name the files instead of holding values.
 */
import assert from "node:assert/strict";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliCommand, formTest, pidOf, readText, run, until } from "./harness.ts";

/** The variables `name` of the environment a program wrote to `file` (`env` output). */
function written(file: string, names: readonly string[]): Record<string, string | undefined> {
  const lines = readText(file).split("\n");
  return Object.fromEntries(
    names.map((n) => [n, lines.find((l) => l.startsWith(`${n}=`))?.slice(n.length + 1)]),
  );
}

formTest(
  "--env-file sets its variables, --env and later files win, and restart reads the file again",
  async ({ home, work, tag, cli }) => {
    const first = join(work, "first.env");
    const second = join(work, "second.env");
    const out = join(work, "out");
    writeFileSync(first, "# settings\nexport A=from-first\nB='b $HOME'\nC=first\r\n");
    writeFileSync(second, 'C="from \\"second\\""\nD=second\n');
    const args = [
      "start",
      "--name",
      "e",
      "--env-file",
      "first.env",
      `--env-file=${second}`,
      "--env",
      "D=from-env",
      "--",
      "sh",
      "-c",
      `env > ${out}.tmp; mv ${out}.tmp ${out}; exec sleep 300`,
    ];
    const started = run(cliCommand(args), {
      cwd: work,
      env: { DAEMONIZE_HOME: home, TEST_TAG: tag },
    });
    assert.equal(started.code, 0, started.stderr);
    const names = ["A", "B", "C", "D"];
    await until(() => written(out, names).A !== undefined, () => readText(out));
    assert.deepEqual(written(out, names), {
      A: "from-first",
      B: "b $HOME",
      C: 'from "second"',
      D: "from-env",
    });
    // The saved start keeps the files' paths, not their values.
    const saved = readText(join(home, "e.start.json"));
    assert.ok(saved.includes("first.env") && !saved.includes("from-first"), saved);
    // A changed secret takes effect on restart (run from another directory).
    writeFileSync(first, "A=changed\n");
    writeFileSync(out, "");
    const restarted = cli(["restart", "e"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await until(() => written(out, names).A !== undefined, () => readText(out));
    assert.deepEqual(written(out, names), {
      A: "changed",
      B: undefined,
      C: 'from "second"',
      D: "from-env",
    });
    assert.equal(cli(["stop", "e"]).code, 0);
  },
);

formTest(
  "a malformed environment file names the file and the line, never the value; restart refuses before stopping",
  ({ home, work, cli }) => {
    const file = join(work, "bad.env");
    writeFileSync(file, "A=1\nB s3cr3t-value\n");
    const refused = cli(["start", "--name", "x", "--env-file", file, "--", "sleep", "300"]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, "");
    assert.match(
      refused.stderr,
      new RegExp(`^daemonize: --env-file "${file}" line 2: expected NAME=value .*\n$`),
    );
    assert.ok(!refused.stderr.includes("s3cr3t"));
    const missing = cli(["start", "--env-file", join(work, "none.env"), "--", "sleep", "300"]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      new RegExp(`^daemonize: --env-file "${work}/none.env": cannot read it: no such file .*\n$`),
    );
    writeFileSync(file, "A=1\n");
    const started = cli(["start", "--name", "x", "--env-file", file, "--", "sleep", "300"]);
    assert.equal(started.code, 0, started.stderr);
    const pid = pidOf(home, "x");
    writeFileSync(file, "A='s3cr3t-value\n");
    const restart = cli(["restart", "x"]);
    assert.equal(restart.code, 2);
    assert.match(restart.stderr, /line 1: no closing single quote/);
    assert.ok(!restart.stderr.includes("s3cr3t"));
    assert.equal(pidOf(home, "x"), pid, "still running: nothing was stopped");
    assert.equal(cli(["stop", "x"]).code, 0);
  },
);

formTest(
  "a file of daemons' envFile, a path or a list, is relative to the file",
  async ({ work, cli }) => {
    const dir = join(work, "app");
    mkdirSync(join(dir, "conf"), { recursive: true });
    writeFileSync(join(dir, "conf", "base.env"), "LEVEL=base\nNAME=web\n");
    writeFileSync(join(dir, "conf", "prod.env"), "LEVEL=prod\n");
    const out = join(work, "out");
    const file = join(dir, "daemonize.json");
    const command = ["sh", "-c", `env > ${out}.tmp; mv ${out}.tmp ${out}; exec sleep 300`];
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [{ name: "w", command, envFile: ["conf/base.env", "conf/prod.env"] }],
      }),
    );
    // Run from elsewhere: the paths are the file's.
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    await until(() => written(out, ["LEVEL"]).LEVEL !== undefined, () => readText(out));
    assert.deepEqual(written(out, ["LEVEL", "NAME"]), { LEVEL: "prod", NAME: "web" });
    assert.equal(cli(["down", "-f", file]).code, 0);
    writeFileSync(file, JSON.stringify({ daemons: [{ name: "w", command, envFile: 3 }] }));
    const bad = cli(["up", "-f", file]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      `daemonize: ${file}: daemon "w" (entry 1): "envFile" must be a path or an array of paths\n`,
    );
  },
);

formTest(
  "unit names each environment file, says which lines systemd reads otherwise, and holds no value",
  ({ home, work, cli }) => {
    const file = join(work, "app.env");
    writeFileSync(file, "A=plain\nexport B='x'\nC=\"two\\nlines\"\n");
    const ran = cli([
      "unit",
      "--name",
      "u",
      "--env-file",
      file,
      "--env",
      "TOKEN=s3cr3t 'quoted'",
      "--",
      "sleep",
      "100",
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const values = join(home, "u.env");
    const lines = ran.stdout.split("\n");
    // Files in order, the --env values last: they win, as at a start.
    assert.deepEqual(lines.filter((l) => l.startsWith("Environment")), [
      `EnvironmentFile=${file}`,
      `EnvironmentFile=${values}`,
    ]);
    assert.ok(!ran.stdout.includes("s3cr3t") && !ran.stderr.includes("s3cr3t"));
    assert.equal(
      ran.stderr,
      `daemonize: note: --env-file ${file} is read otherwise by systemd (line 2: systemd ignores a line with export; line 3: systemd keeps \\n in double quotes as two characters): the unit names it all the same\n` +
        `daemonize: note: the --env values are in ${values} (mode 0600), which the unit reads\n`,
    );
    assert.equal(statSync(values).mode & 0o777, 0o600);
    assert.match(readText(values), /^TOKEN="s3cr3t 'quoted'"$/m);
    const path = join(work, "u.service");
    writeFileSync(path, ran.stdout);
    const verified = run(["systemd-analyze", "verify", path], { cwd: work });
    assert.equal(`${verified.stdout}${verified.stderr}`.trim(), "");
    // A file of the user's where the values go is never overwritten.
    writeFileSync(values, "MINE=1\n");
    const refused = cli(["unit", "--name", "u", "--env", "T=1", "--", "sleep", "100"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not a file of daemonize's .*: move it away\n$/);
    assert.equal(readText(values), "MINE=1\n");
    // A name systemd would drop is refused, and a bad file as at a start.
    const named = cli(["unit", "--name", "v", "--env", "my-var=1", "--", "sleep", "100"]);
    assert.equal(named.code, 2);
    assert.match(named.stderr, /--env "my-var": systemd takes only names of letters/);
    writeFileSync(file, "nonsense\n");
    assert.equal(cli(["unit", "--env-file", file, "--", "sleep", "100"]).code, 2);
  },
);
