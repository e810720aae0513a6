/**
 * A set of daemons at work through the command: `up` applying a changed
 * file (restarting only what changed, naming the change, reporting entries
 * removed), and `stop`, `restart`, `reload`, `status` and `logs` of several
 * names, a file's daemons or all of them.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, formTest, pidOf, readText, tagged, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

/** Writes a file of daemons; each daemon a `sleep` unless its entry says otherwise. */
function writeDaemons(file: string, daemons: Record<string, unknown>[]): void {
  writeFileSync(
    file,
    JSON.stringify({ daemons: daemons.map((d) => ({ command: ["sleep", "300"], ...d })) }),
  );
}

t(
  "up after an entry changed restarts only that daemon and names what changed, never an env value",
  ({ home, work, cli, tag }) => {
    const file = join(work, "daemonize.json");
    writeDaemons(file, [
      { name: "web", env: { API_KEY: "first-s3cret" }, readyTimeout: 10 },
      { name: "worker" },
    ]);
    const first = cli(["up", "-f", file]);
    assert.equal(first.code, 0, first.stderr);
    const web = pidOf(home, "web");
    const worker = pidOf(home, "worker");
    writeDaemons(file, [
      { name: "web", env: { API_KEY: "second-s3cret" }, readyTimeout: 11 },
      { name: "worker" },
    ]);
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^web: restarted \(readyTimeout 10 → 11, env API_KEY changed\)$/m);
    assert.match(up.stdout, new RegExp(`^worker already running \\(pid ${worker}\\)$`, "m"));
    assert.doesNotMatch(up.stdout + up.stderr, /s3cret/);
    assert.equal(up.stderr, "", "no other note");
    assert.ok(!alive(web), "the old web is stopped");
    assert.notEqual(pidOf(home, "web"), web);
    assert.equal(pidOf(home, "worker"), worker, "the unchanged one is left alone");
    const environ = readText(`/proc/${pidOf(home, "web")}/environ`).split("\0");
    assert.ok(environ.includes("API_KEY=second-s3cret"), "the new value reached the program");
    // Applied: nothing differs any more.
    const again = cli(["up", "-f", file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^web already running \(pid \d+\)\nworker already running/);
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "up --no-restart only says which running daemons differ from their entry",
  ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeDaemons(file, [{ name: "web", command: ["sleep", "300"] }]);
    assert.equal(cli(["up", "-f", file]).code, 0);
    const web = pidOf(home, "web");
    writeDaemons(file, [{ name: "web", command: ["sleep", "301"], restart: "always" }]);
    const up = cli(["up", "--no-restart", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(
      up.stdout,
      `web: differs from ${file} (restart added (always), command sleep 300 → sleep 301); not restarted (--no-restart)\n`,
    );
    assert.equal(pidOf(home, "web"), web);
    assert.ok(alive(web));
    assert.equal(cli(["down", "-f", file]).code, 0);
  },
);

t(
  "an entry removed from the file is reported by up, not stopped, and down NAME stops it",
  ({ home, work, cli, tag }) => {
    const file = join(work, "daemons.json");
    writeDaemons(file, [{ name: "kept" }, { name: "old" }]);
    assert.equal(cli(["up", "-f", file]).code, 0);
    const old = pidOf(home, "old");
    writeDaemons(file, [{ name: "kept" }]);
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      up.stdout,
      new RegExp(`^old: no longer in ${file}; down -f ${file} old stops it$`, "m"),
    );
    assert.ok(alive(old), "never stopped unasked");
    const down = cli(["down", "-f", file, "old"]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout, `old stopped (pid ${old})\n`);
    assert.ok(!alive(old));
    assert.ok(alive(pidOf(home, "kept")), "only the one named");
    assert.match(
      cli(["up", "-f", file]).stdout,
      /^old: no longer in .* \(not running\); forget old removes its saved start$/m,
    );
    assert.equal(cli(["forget", "old"]).code, 0);
    assert.doesNotMatch(cli(["up", "-f", file]).stdout, /old/);
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "stop of several names stops each; a name never known among them is one line, and the others are stopped",
  ({ home, cli, tag }) => {
    for (const name of ["a", "b", "c"]) {
      assert.equal(cli(["start", "--name", name, "--", "sleep", "300"]).code, 0);
    }
    const [a, b, c] = ["a", "b", "c"].map((name) => pidOf(home, name));
    const stop = cli(["stop", "a", "nosuch", "b"]);
    assert.equal(stop.code, 5);
    assert.equal(stop.stdout, `a stopped (pid ${a})\nb stopped (pid ${b})\n`);
    assert.match(stop.stderr, /^daemonize: no daemon named "nosuch" in [^\n]+\n$/);
    assert.ok(!alive(a!) && !alive(b!));
    assert.ok(alive(c!), "one not named runs on");
    const all = cli(["stop", "--all"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, `a is not running\nb is not running\nc stopped (pid ${c})\n`);
    const typos = cli(["stop", "nosuch", "a", "other"]);
    assert.equal(typos.code, 5);
    assert.match(
      typos.stderr,
      /^daemonize: no daemon named "nosuch" in .*; no daemon named "other" in .*\n$/,
    );
    assert.equal(typos.stdout, "a is not running\n");
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "restart -f FILE starts each daemon of the file again, as the file now says",
  ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeDaemons(file, [{ name: "one" }, { name: "two" }]);
    assert.equal(cli(["up", "-f", file]).code, 0);
    const [one, two] = [pidOf(home, "one"), pidOf(home, "two")];
    writeDaemons(file, [{ name: "one", command: ["sleep", "301"] }, { name: "two" }]);
    const restart = cli(["restart", "-f", file]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, new RegExp(`^one stopped \\(pid ${one}\\)\\none started`));
    assert.match(restart.stdout, new RegExp(`^two stopped \\(pid ${two}\\)\\ntwo started`, "m"));
    assert.ok(!alive(one) && !alive(two));
    assert.equal(readText(`/proc/${pidOf(home, "one")}/cmdline`), "sleep\x00301\x00");
    assert.equal(cli(["down", "-f", file]).code, 0);
  },
);

t("restart of two names starts each again as it was last started", ({ home, cli }) => {
  for (const name of ["a", "b"]) {
    assert.equal(cli(["start", "--name", name, "--", "sleep", "300"]).code, 0);
  }
  const [a, b] = [pidOf(home, "a"), pidOf(home, "b")];
  const restart = cli(["restart", "a", "b"]);
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, /^a stopped .*\na started .*\nb stopped .*\nb started .*\n$/);
  assert.ok(!alive(a) && !alive(b));
  assert.ok(alive(pidOf(home, "a")) && alive(pidOf(home, "b")));
  assert.equal(cli(["stop", "a", "b"]).code, 0);
});

t("status of several names, of --all and of a file's daemons", ({ home, work, cli }) => {
  const file = join(work, "daemonize.json");
  writeDaemons(file, [{ name: "a" }, { name: "b" }]);
  assert.equal(cli(["up", "-f", file, "a"]).code, 0);
  const some = cli(["status", "a", "b"]);
  assert.equal(some.code, 3, "b is not running");
  assert.match(some.stdout, new RegExp(`^a: running \\(pid ${pidOf(home, "a")}, `));
  assert.match(some.stdout, /\nb: stopped\n$/);
  const all = cli(["status", "--all"]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^NAME .*\na +\d+ +running/);
  const listed = cli(["status", "-f", file]);
  assert.match(listed.stdout, /\na +\d+ +running.*\nb +- +stopped/);
  assert.equal(cli(["down", "-f", file]).code, 0);
});

t(
  "reload of two names signals each; logs of two prints each one's tail after its name",
  async ({ work, cli }) => {
    const seen = (name: string) => join(work, `${name}.seen`);
    for (const name of ["x", "y"]) {
      const script = join(work, `${name}.sh`);
      writeFileSync(
        script,
        `#!/bin/sh\necho ${name} up\ntrap 'echo hup >> ${
          seen(name)
        }' HUP\nwhile :; do sleep 0.05; done\n`,
      );
      chmodSync(script, 0o755);
      assert.equal(cli(["start", "--name", name, "--", script]).code, 0);
    }
    const reload = cli(["reload", "x", "y"]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(
      reload.stdout,
      /^x reloaded \(SIGHUP to pid \d+\)\ny reloaded \(SIGHUP to pid \d+\)\n$/,
    );
    await until(
      () => readText(seen("x")) === "hup\n" && readText(seen("y")) === "hup\n",
      "both HUPs",
    );
    const logs = cli(["logs", "x", "y"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, "x | x up\ny | y up\n");
    assert.equal(cli(["stop", "y"]).code, 0);
    const half = cli(["reload", "x", "y"]);
    assert.equal(half.code, 7, "y is not running");
    assert.match(half.stdout, /^x reloaded/);
    assert.equal(half.stderr, "y is not running\n");
    assert.equal(cli(["stop", "x"]).code, 0);
  },
);

t(
  "a daemon up started with env values is restarted and its log read by name, with the same values",
  ({ home, work, cli }) => {
    const file = join(work, "daemonize.json");
    writeDaemons(file, [{ name: "keyed", env: { API_KEY: "kept-s3cret" } }]);
    assert.equal(cli(["up", "-f", file]).code, 0);
    const first = pidOf(home, "keyed");
    const restart = cli(["restart", "keyed"]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.ok(!alive(first));
    const environ = readText(`/proc/${pidOf(home, "keyed")}/environ`).split("\0");
    assert.ok(environ.includes("API_KEY=kept-s3cret"), "the value it was started with");
    const logs = cli(["logs", "keyed"]);
    assert.equal(logs.code, 0, logs.stderr);
    // Restarted as its entry says: up has nothing to apply.
    assert.match(cli(["up", "-f", file]).stdout, /^keyed already running/);
    assert.equal(cli(["down", "-f", file]).code, 0);
  },
);
