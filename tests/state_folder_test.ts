/**
 * The state folder owns only its own files: a start never overwrites a
 * file it did not write (it says so in one line and starts nothing),
 * `forget` removes every file the daemon's starts wrote (rotated logs
 * included) and nothing else, and the saved start is readable by its owner only.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, formTest, pidOf, waitFor } from "./harness.ts";

formTest("a user's NAME.json beside the daemon's files is never touched", ({ home: dir, cli }) => {
  const config = join(dir, "cpu.json");
  writeFileSync(config, '{"interval": 250}\n');
  const started = cli(["start", "--name", "cpu", "--", "sleep", "300"]);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(readFileSync(config, "utf8"), '{"interval": 250}\n');
  const saved = join(dir, "cpu.start.json");
  assert.equal(statSync(saved).mode & 0o777, 0o600, "the saved start is its owner's only");
  assert.equal(JSON.parse(readFileSync(saved, "utf8")).args[0], "start");
  const list = JSON.parse(cli(["status", "--json"]).stdout);
  assert.deepEqual(list.map((d: { name: string }) => d.name), ["cpu"]);
  assert.equal(cli(["stop", "cpu"]).code, 0);
  const forgot = cli(["forget", "cpu"]);
  assert.equal(forgot.code, 0, forgot.stderr);
  assert.ok(!existsSync(saved) && !existsSync(join(dir, "cpu.log")));
  assert.equal(readFileSync(config, "utf8"), '{"interval": 250}\n', "still the user's");
});

formTest(
  "a foreign file where a saved start or pid file goes is refused in one line",
  ({ home: dir, cli }) => {
    writeFileSync(join(dir, "a.start.json"), "my notes\n");
    const refused = cli(["start", "--name", "a", "--", "sleep", "300"]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `daemonize: saved-start: ${join(dir, "a.start.json")} is not a saved start of daemonize: ` +
        "move it away, or give the daemon another name\n",
    );
    assert.equal(readFileSync(join(dir, "a.start.json"), "utf8"), "my notes\n");
    assert.ok(!existsSync(join(dir, "a.pid")), "nothing started");
    writeFileSync(join(dir, "b.pid"), "hello\n");
    const pid = cli(["start", "--name", "b", "--", "sleep", "300"]);
    assert.equal(pid.code, 1);
    assert.match(
      pid.stderr,
      /^daemonize: saved-start: .*b\.pid is not a pid file of daemonize \(it holds no pid: "hello"\): move it away/,
    );
    assert.equal(readFileSync(join(dir, "b.pid"), "utf8"), "hello\n");
  },
);

formTest(
  "forget removes the daemon's rotated logs and leaves a user's log alone",
  async ({ home: dir, cli }) => {
    const started = cli([
      "start",
      "--name",
      "r",
      "--restart",
      "on-failure",
      "--log-max-size",
      "1K",
      "--log-keep",
      "2",
      "--",
      "sh",
      "-c",
      "i=0; while [ $i -lt 300 ]; do echo line $i of a log that grows past a kilobyte; i=$((i+1)); done; exec sleep 300",
    ]);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => existsSync(join(dir, "r.log.2")), 10_000), "rotated twice");
    writeFileSync(join(dir, "r.log.bak"), "the user's copy\n");
    writeFileSync(join(dir, "other.log"), "a user's log\n");
    const supervisor = pidOf(dir, "r");
    assert.equal(cli(["stop", "r"]).code, 0);
    assert.ok(await waitFor(() => !alive(supervisor), 5000));
    const forgot = cli(["forget", "r"]);
    assert.equal(forgot.code, 0, forgot.stderr);
    for (const f of ["r.log", "r.log.1", "r.log.2", "r.start.json", "r.pid", "r.start.lock"]) {
      assert.ok(!existsSync(join(dir, f)), `${f} removed`);
    }
    assert.equal(readFileSync(join(dir, "r.log.bak"), "utf8"), "the user's copy\n");
    const unknown = cli(["forget", "other"]);
    assert.equal(unknown.code, 5, unknown.stderr);
    assert.equal(readFileSync(join(dir, "other.log"), "utf8"), "a user's log\n");
  },
);

formTest(
  "a start saved by an earlier version still restarts, then is saved anew",
  ({ home: dir, cli }) => {
    const legacy = join(dir, "old.json");
    writeFileSync(
      legacy,
      JSON.stringify({
        args: ["start", "--name", "old", "--", "sleep", "300"],
        cwd: "/",
        env: ["PATH=/usr/bin:/bin"],
        pidFile: join(dir, "old.pid"),
      }),
      { mode: 0o600 },
    );
    const again = cli(["start", "old"]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(existsSync(join(dir, "old.start.json")) && !existsSync(legacy));
    assert.equal(cli(["stop", "old"]).code, 0);
  },
);
