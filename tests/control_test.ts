/**
 * status(), stop() and PidFile from another process: only processes the
 * recorded identity proves are ever believed or signalled.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { PidFile, status, stop } from "../mod.ts";
import {
  alive,
  fixture,
  readText,
  run,
  runsUnsignalled,
  runtimeCommand,
  startFixture,
  test,
  waitFor,
  withHome,
  withTemp,
} from "./harness.ts";

test("status() tells running, dead and stopped apart by the recorded identity", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    assert.deepEqual(status(pidFile), { state: "stopped" });
    assert.equal(
      startFixture(tag, "/dev/null", { options: { pidFile } }).code,
      0,
    );
    const pid = Number(readText(pidFile));
    assert.deepEqual(status(pidFile), { state: "running", pid, others: 0, otherPids: [] });
    process.kill(pid, "SIGKILL");
    assert.ok(await waitFor(() => status(pidFile).state === "dead", 15_000));
    assert.deepEqual(status(pidFile), {
      state: "dead",
      pid,
      others: 0,
      otherPids: [],
      unverified: 0,
    });
  });
});

test("stop() sends SIGTERM, waits for the daemon to end and reports a clean stop", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    assert.equal(startFixture(tag, report, { options: { pidFile } }).code, 0);
    const pid = Number(readText(pidFile));
    assert.deepEqual(await stop(pidFile), {
      state: "stopped",
      pid,
      forced: false,
      others: 0,
      mainRan: true,
    });
    assert.match(readText(report), /stopped\nexit 0\n$/);
    assert.ok(!existsSync(pidFile));
    assert.deepEqual(await stop(pidFile), { state: "not-running" });
  });
});

test("processes a JS daemon spawns belong to it: status counts them, stop() ends them", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const report = join(dir, "report");
    const started = startFixture(tag, report, { options: { pidFile }, behaviour: "spawn-child" });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => /child \d+/.test(readText(report)), 15_000));
    const pid = Number(readText(pidFile));
    const child = Number(/child (\d+)/.exec(readText(report))![1]);
    assert.deepEqual(status(pidFile), { state: "running", pid, others: 1, otherPids: [child] });
    assert.deepEqual(await stop(pidFile), {
      state: "stopped",
      pid,
      forced: false,
      others: 1,
      mainRan: true,
    });
    assert.ok(!alive(child), "the child still runs");
    assert.match(readText(report), /stopped\nexit 0\n$/);
  });
});

test("stop() falls back to SIGKILL when the daemon outlasts the timeout", async () => {
  await withTemp(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const options = { pidFile, signalMap: { SIGTERM: "ignore" } };
    assert.equal(startFixture(tag, "/dev/null", { options }).code, 0);
    const pid = Number(readText(pidFile));
    const result = await stop(pidFile, { timeout: 300 });
    assert.deepEqual(result, { state: "stopped", pid, forced: true, others: 0, mainRan: true });
    assert.ok(await waitFor(() => !alive(pid), 15_000));
  });
});

test("stop() never signals a live process a forged pid file names", async () => {
  await withTemp(async (dir) => {
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pidFile = join(dir, "forged.pid");
      writeFileSync(pidFile, `${bystander.pid}\n`);
      assert.deepEqual(status(pidFile), {
        state: "dead",
        pid: bystander.pid,
        others: 0,
        otherPids: [],
        unverified: 0,
      });
      assert.deepEqual(await stop(pidFile, { timeout: 100 }), {
        state: "not-running",
      });
      assert.ok(runsUnsignalled(bystander.pid!), "the bystander was signalled");
    } finally {
      bystander.kill("SIGKILL");
    }
  });
});

test("PidFile acquire, holder and release work in-process, and a second acquire is refused", async () => {
  await withTemp((dir, tag) => {
    const path = join(dir, "own.pid");
    const mine = new PidFile(path);
    mine.acquire();
    try {
      assert.equal(readText(path), `${process.pid}\n`);
      assert.equal(mine.holder(), process.pid);
      const other = new PidFile(path);
      assert.throws(() => other.acquire(), {
        name: "DaemonError",
        step: "pid-file",
        message: `already running (pid ${process.pid})`,
      });
      // A daemon started on the same file is refused too.
      const ran = startFixture(tag, "/dev/null", {
        options: { pidFile: path },
      });
      assert.equal(ran.code, 1);
      assert.equal(
        ran.stderr,
        `daemonize: pid-file: already running (pid ${process.pid})\n`,
      );
    } finally {
      mine.release();
    }
    assert.ok(!existsSync(path));
    assert.equal(new PidFile(path).holder(), undefined);
  });
});

test("stop() rejects an unknown signal name with a RangeError naming it", async () => {
  await assert.rejects(stop("/tmp/x.pid", { signal: "SIGNOPE" }), {
    name: "RangeError",
    step: "options",
    message: "Invalid signal: SIGNOPE",
  });
});

test("a self-controlled daemon restarting itself from a process it spawned goes on outside and completes", async () => {
  await withHome(async ({ home, work, tag }) => {
    const out = join(work, "hook.out");
    const script = fixture("self_restart.ts");
    const env = { DAEMONIZE_HOME: home, HOOK_OUT: out, TEST_TAG: tag };
    const started = run(runtimeCommand(script, ["start"]), { env });
    assert.equal(started.code, 0, started.stderr);
    const first = Number(readText(join(home, "selfr.pid")));
    writeFileSync(`${out}.go`, "");
    assert.ok(
      await waitFor(() => /selfr started \(pid \d+\)/.test(readText(out)), 15_000),
      readText(out),
    );
    assert.match(
      readText(out),
      /runs in selfr's own session, which it ends: it goes on as pid \d+/,
    );
    const second = Number(readText(join(home, "selfr.pid")));
    assert.notEqual(second, first);
    assert.ok(!alive(first) && alive(second));
    assert.equal(run(runtimeCommand(script, ["stop"]), { env }).code, 0);
  });
});
