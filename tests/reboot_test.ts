/**
 * State that survives a reboot: saved starts and stop marks live in the
 * state folder, pid files in the boot-scoped one. A reboot is played by
 * killing the daemons, emptying the boot-scoped folder and giving the
 * commands another boot id (the `DAEMONIZE_TEST_BOOT_ID` seam); `status`,
 * `start NAME` and `up` must stay truthful after it.
 */
import assert from "node:assert/strict";
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDirs } from "../src/cli/state.ts";
import {
  alive,
  cliCommand,
  type Ctx,
  formTest,
  killTagged,
  pidOf,
  type Ran,
  run,
  tagged,
  test,
} from "./harness.ts";

/** The uid and gid of `nobody`, who runs the commands of a user other than root. */
const NOBODY = {
  uid: Number(run(["id", "-u", "nobody"]).stdout),
  gid: Number(run(["id", "-g", "nobody"]).stdout),
};

/** A user's folders (owned by nobody) and the command run as nobody, in them. */
function asNobody(c: Ctx) {
  const dir = (name: string) => {
    const path = join(c.work, name);
    mkdirSync(path, { recursive: true });
    chownSync(path, NOBODY.uid, NOBODY.gid);
    return path;
  };
  const folders = { home: dir("home"), state: dir("state"), run: dir("run"), deno: dir("deno") };
  const cli = (args: string[], env: Record<string, string> = {}): Ran =>
    run([
      "setpriv",
      `--reuid=${NOBODY.uid}`,
      `--regid=${NOBODY.gid}`,
      "--clear-groups",
      "env",
      "-u",
      "DAEMONIZE_HOME",
      `HOME=${folders.home}`,
      `XDG_STATE_HOME=${folders.state}`,
      `XDG_RUNTIME_DIR=${folders.run}`,
      `DENO_DIR=${folders.deno}`,
      `TEST_TAG=${c.tag}`,
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...cliCommand(args),
    ], { cwd: c.work });
  return {
    cli,
    /** Where the pid files go (emptied by a reboot). */
    runDir: join(folders.run, "daemonize"),
    /** Where saved starts and stop marks go (kept). */
    stateDir: join(folders.state, "daemonize"),
  };
}

/** A reboot: every process of the test ends, and the boot-scoped folder is emptied. */
async function reboot(c: Ctx, runDir: string): Promise<Record<string, string>> {
  await killTagged(c.tag);
  for (const file of readdirSync(runDir)) rmSync(join(runDir, file), { recursive: true });
  return { DAEMONIZE_TEST_BOOT_ID: crypto.randomUUID() };
}

test("the state folders: pid files boot-scoped, saved starts kept, DAEMONIZE_HOME for all", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(stateDirs(env({}), 0), {
    run: "/run/daemonize",
    state: "/var/lib/daemonize",
    log: "/var/log/daemonize",
  });
  assert.deepEqual(
    stateDirs(env({ HOME: "/home/a", XDG_RUNTIME_DIR: "/run/user/1000" }), 1000),
    {
      run: "/run/user/1000/daemonize",
      state: "/home/a/.local/state/daemonize",
      log: "/home/a/.local/state/daemonize",
    },
  );
  // A relative XDG folder is ignored, as the XDG rules say.
  assert.deepEqual(
    stateDirs(env({ HOME: "/home/a", XDG_STATE_HOME: "/s", XDG_RUNTIME_DIR: "rel" }), 1000),
    { run: "/s/daemonize", state: "/s/daemonize", log: "/s/daemonize" },
  );
  assert.deepEqual(stateDirs(env({ DAEMONIZE_HOME: "/d" }), 0), {
    run: "/d",
    state: "/d",
    log: "/d",
  });
});

formTest(
  "after a reboot, status says stopped, up starts all but the daemon stopped on purpose, start NAME starts it",
  async (c) => {
    const user = asNobody(c);
    const file = join(c.work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "db", command: ["sleep", "300"] },
          { name: "api", command: ["sleep", "301"], restart: "on-failure" },
          { name: "worker", command: ["sleep", "302"] },
        ],
      }),
    );
    const up = user.cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    for (const name of ["db", "api", "worker"]) {
      assert.ok(existsSync(join(user.stateDir, `${name}.start.json`)), `${name}'s saved start`);
      assert.ok(alive(pidOf(user.runDir, name)), name);
    }
    assert.equal(user.cli(["stop", "worker"]).code, 0);
    const booted = await reboot(c, user.runDir);
    const status = user.cli(["status", "--json"], booted);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(
      (JSON.parse(status.stdout) as { name: string; state: string }[]).map((
        d,
      ) => [d.name, d.state]),
      [["api", "stopped"], ["db", "stopped"], ["worker", "stopped"]],
    );
    const again = user.cli(["up", "-f", file], booted);
    assert.equal(again.code, 0, again.stderr);
    // Independent daemons start at once: their lines come in any order.
    assert.deepEqual(again.stdout.split("\n").filter(Boolean).sort(), [
      `api started (pid ${pidOf(user.runDir, "api")})`,
      `db started (pid ${pidOf(user.runDir, "db")})`,
      "worker left stopped: it was stopped on purpose (up worker starts it)",
    ]);
    assert.ok(alive(pidOf(user.runDir, "db")) && alive(pidOf(user.runDir, "api")));
    assert.ok(!existsSync(join(user.runDir, "worker.pid")));
    const started = user.cli(["start", "worker"], booted);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(alive(pidOf(user.runDir, "worker")));
    assert.ok(!existsSync(join(user.stateDir, "worker.stopped")), "the mark is cleared");
    const status2 = user.cli(["status", "--json"], booted);
    assert.deepEqual(
      (JSON.parse(status2.stdout) as { state: string }[]).map((d) => d.state),
      ["running", "running", "running"],
    );
    assert.equal(user.cli(["down", "-f", file], booted).code, 0);
    assert.deepEqual(tagged(c.tag), []);
  },
);

formTest(
  "a pid file left from an earlier boot is a stopped daemon's: status says so and start NAME starts it",
  async ({ home, cli, tag }) => {
    const started = cli(["start", "--name", "web", "--", "sleep", "300"]);
    assert.equal(started.code, 0, started.stderr);
    const before = pidOf(home, "web");
    await killTagged(tag);
    // In the same boot, a pid file whose process is gone is a dead daemon's.
    assert.equal(cli(["status", "web"]).code, 1);
    const booted = { DAEMONIZE_TEST_BOOT_ID: crypto.randomUUID() };
    const status = cli(["status", "web", "--json"], booted);
    assert.equal(status.code, 3, status.stdout);
    assert.equal(JSON.parse(status.stdout).state, "stopped");
    const all = cli(["status", "--json"], booted);
    assert.equal(all.code, 0, all.stdout);
    assert.deepEqual(JSON.parse(all.stdout).map((d: { state: string }) => d.state), ["stopped"]);
    const again = cli(["start", "web"], booted);
    assert.equal(again.code, 0, again.stderr);
    const after = pidOf(home, "web");
    assert.ok(after !== before && alive(after));
    assert.equal(JSON.parse(cli(["status", "web", "--json"], booted).stdout).state, "running");
    assert.equal(cli(["stop", "web"], booted).code, 0);
  },
);

formTest(
  "a start saved beside the pid files by an earlier version still starts, and moves to the state folder",
  (c) => {
    const user = asNobody(c);
    mkdirSync(user.runDir, { recursive: true });
    chownSync(user.runDir, NOBODY.uid, NOBODY.gid);
    const old = join(user.runDir, "old.start.json");
    writeFileSync(
      old,
      JSON.stringify({
        kind: "daemonize saved start",
        args: ["start", "--name", "old", "--", "sleep", "300"],
        cwd: "/",
        env: ["PATH=/usr/bin:/bin", `TEST_TAG=${c.tag}`],
        pidFile: join(user.runDir, "old.pid"),
      }),
      { mode: 0o600 },
    );
    chownSync(old, NOBODY.uid, NOBODY.gid);
    const listed = user.cli(["status", "--json"]);
    assert.deepEqual(JSON.parse(listed.stdout).map((d: { name: string }) => d.name), ["old"]);
    const started = user.cli(["start", "old"]);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(alive(pidOf(user.runDir, "old")));
    assert.ok(existsSync(join(user.stateDir, "old.start.json")) && !existsSync(old));
    assert.equal(user.cli(["stop", "old"]).code, 0);
  },
);
