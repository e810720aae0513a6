/**
 * Hostile pid files: garbage, empty, negative, zero, pid 1, the caller's own
 * pid, a live stranger's pid, trailing junk, a huge number, a directory, a
 * FIFO, a file of another user, a directory anyone may write to. status,
 * stop and start say what they found and never signal what is not theirs.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { alive, formTest, run, tagged, waitFor } from "./harness.ts";

const t = formTest;

/** A live process that is nobody's daemon: the stranger a pid file may name. */
function stranger(): number {
  const child = spawn("sleep", ["300"], { stdio: "ignore", detached: true });
  child.unref();
  return child.pid!;
}

t("status and stop say what a hostile pid file holds, and signal nothing", ({ work, cli }) => {
  const victim = stranger();
  try {
    const cases: [string, string, RegExp][] = [
      ["garbage", "hello\n", /left: it holds no pid: "hello"\)$/],
      ["empty", "", /left: it is empty\)$/],
      ["negative", "-5\n", /left: it holds no pid: "-5"\)$/],
      ["zero", "0\n", /left: it holds no pid: "0"\)$/],
      ["init", "1\n", /left: it names pid 1, a process this pid file does not prove its own\)$/],
      ["caller", `${process.pid}\n`, new RegExp(`names pid ${process.pid}, a process`)],
      ["stranger", `${victim}\n`, new RegExp(`names pid ${victim}, a process`)],
      ["junk", `${victim} and more\n`, /left: it holds no pid: ".* and more"\)$/],
      ["huge", "99999999999999999999999\n", /left: it holds no pid: "9+"\)$/],
      ["ended", "4194303\n", /left: it names pid 4194303, which has ended\)$/],
    ];
    for (const [name, text, said] of cases) {
      const pidFile = join(work, `${name}.pid`);
      writeFileSync(pidFile, text);
      const status = cli(["status", "--pid-file", pidFile]);
      assert.equal(status.code, 1, `${name}: ${status.stderr}`);
      assert.match(status.stdout.trim(), said, name);
      const stop = cli(["stop", "--pid-file", pidFile, "--timeout", "1"]);
      assert.equal(stop.code, 0, `${name}: ${stop.stderr}`);
      assert.equal(stop.stdout, `${pidFile} is not running\n`, name);
    }
    // Owned by another user, naming a live process: not believed either.
    const other = join(work, "other.pid");
    writeFileSync(other, `${victim}\n`);
    chownSync(other, 65534, 65534);
    assert.equal(cli(["stop", "--pid-file", other, "--timeout", "1"]).code, 0);
    assert.ok(alive(victim), "the stranger named by the pid files was not signalled");
    assert.ok(alive(process.pid));
  } finally {
    process.kill(victim, "SIGKILL");
  }
});

t(
  "a directory or a FIFO in the pid file's place is refused by start and stop, said by status",
  ({ work, cli, tag }) => {
    const folder = join(work, "dir.pid");
    mkdirSync(folder);
    const fifo = join(work, "fifo.pid");
    assert.equal(run(["mkfifo", fifo]).code, 0);
    for (const [path, what] of [[folder, "a directory"], [fifo, "a FIFO"]] as const) {
      const status = cli(["status", "--pid-file", path]);
      assert.equal(status.code, 1);
      assert.match(
        status.stdout,
        new RegExp(`left: it is ${what}, not a pid file: remove it\\)\\n$`),
      );
      const stop = cli(["stop", "--pid-file", path]);
      assert.equal(stop.code, 1);
      assert.equal(
        stop.stderr,
        `daemonize: stop: refusing pid file ${path}: it is ${what}, not a pid file: remove it\n`,
      );
      const start = cli(["start", "--pid-file", path, "--name", "x", "--", "sleep", "300"]);
      assert.equal(start.code, 1);
      assert.equal(
        start.stderr,
        `daemonize: pid-file: refusing pid file ${path}: it is ${what}, not a pid file: remove it\n`,
      );
    }
    assert.equal(run(["test", "-p", fifo]).code, 0, "the FIFO is left as it was");
    assert.deepEqual(tagged(tag), [], "nothing started");
  },
);

t(
  "a pid file in a directory anyone may write to, without the sticky bit, is refused",
  async ({ work, cli, tag }) => {
    const open = join(work, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const pidFile = join(open, "d.pid");
    const start = cli(["start", "--pid-file", pidFile, "--name", "d", "--", "sleep", "300"]);
    assert.equal(start.code, 1);
    assert.match(
      start.stderr,
      /^daemonize: pid-file: refusing pid file .*: its directory .* is writable by anyone and has no sticky bit, so another user could replace it\n$/,
    );
    assert.deepEqual(readdirSync(open), [], "nothing written there");
    await waitFor(() => tagged(tag).length === 0, 10_000);
    assert.deepEqual(tagged(tag), [], "nothing started");
    writeFileSync(pidFile, "1\n");
    assert.equal(cli(["stop", "--pid-file", pidFile]).code, 1);
    // With the sticky bit (as /tmp has), the same directory is fine.
    chmodSync(open, 0o1777);
    const sticky = cli([
      "start",
      "--pid-file",
      join(open, "s.pid"),
      "--name",
      "s",
      "--",
      "sleep",
      "300",
    ]);
    assert.equal(sticky.code, 0, sticky.stderr);
    assert.equal(cli(["stop", "s"]).code, 0);
  },
);
