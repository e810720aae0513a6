/**
 * How a start sees that a program has settled: the calls that count as a
 * wait (on recorded `/proc/…/syscall` lines), and real processes looked at,
 * idle and busy.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { lookAt, SettleWatch, treeOf, waitsIn, waitsInFunction } from "../src/start/settle.ts";
import { alive, killTagged, newTag, tagged, test, until } from "./harness.ts";

const pipe = () => "pipe:[123]";

test("a thread in a waiting call counts as waiting; one running or in another call does not", () => {
  // Recorded on x86_64: clock_nanosleep (sleep), epoll_pwait (node), poll (python), futex.
  for (
    const line of ["230 0x0 0x0 0x7ffd 0x7ffd 0x0 0x0 0x7ffd 0x7f00", "281 0x3", "7 0x1", "202 0x1"]
  ) {
    assert.equal(waitsIn(line, "x86_64", pipe), true, line);
  }
  // write, connect: waiting on something, but not idle.
  assert.equal(waitsIn("1 0x1 0x55 0x10", "x86_64", pipe), false);
  assert.equal(waitsIn("42 0x3 0x7ffd 0x10", "x86_64", pipe), false);
  assert.equal(waitsIn("running", "x86_64", pipe), false);
  assert.equal(waitsIn("-1 0x7ffd 0x7f00", "x86_64", pipe), false, "a page fault");
  // aarch64 numbers its calls otherwise: ppoll is 73 there.
  assert.equal(waitsIn("73 0x1", "aarch64", pipe), true);
  assert.equal(waitsIn("7 0x1", "aarch64", pipe), false);
  assert.equal(waitsIn("7 0x1", "riscv64", pipe), undefined, "an architecture not known here");
});

test("a read waits on a pipe, socket or device, not on a regular file", () => {
  const read = (target: string | undefined) =>
    waitsIn("0 0x5 0x7ffd 0x1000", "x86_64", (fd) => {
      assert.equal(fd, 5, "the descriptor read from");
      return target;
    });
  assert.equal(read("pipe:[4711]"), true);
  assert.equal(read("socket:[4711]"), true);
  assert.equal(read("/dev/pts/0"), true);
  assert.equal(read("/var/lib/app/data.db"), false);
  assert.equal(read(undefined), true, "a descriptor that can't be seen: the call alone");
});

test("the kernel function a thread sleeps in tells a wait when its call can't be read", () => {
  for (const name of ["do_epoll_wait", "hrtimer_nanosleep", "futex_wait_queue", "pipe_read"]) {
    assert.equal(waitsInFunction(name), true, name);
  }
  assert.equal(waitsInFunction("folio_wait_bit_common"), false);
  assert.equal(waitsInFunction("0"), undefined, "hidden");
});

/** Starts `sh -c script`, tagged; returns its pid. */
function shell(script: string, tag: string): number {
  const child = spawn("sh", ["-c", script], {
    env: { ...process.env, TEST_TAG: tag },
    stdio: "ignore",
  });
  child.unref();
  return child.pid!;
}

test("a sleeping program and the children it waits for are seen idle, and settle", async () => {
  const tag = newTag();
  try {
    const pid = shell("sleep 300 & wait", tag);
    await until(() => treeOf(pid).length === 2, () => `the shell and its sleep: ${treeOf(pid)}`);
    await until(() => lookAt(pid)?.idle === true, () => JSON.stringify(lookAt(pid)));
    const watch = new SettleWatch(pid, Date.now());
    await until(() => watch.look(), "the program to settle");
    assert.ok(alive(pid));
  } finally {
    await killTagged(tag);
  }
  assert.deepEqual(tagged(tag), []);
});

test("a busy program is never seen idle, and one that ended is not seen at all", async () => {
  const tag = newTag();
  try {
    const pid = shell("while :; do :; done", tag);
    await until(() => lookAt(pid) !== undefined, "the shell");
    const watch = new SettleWatch(pid, Date.now());
    for (let i = 0; i < 5; i++) {
      assert.equal(lookAt(pid)!.idle, false);
      assert.equal(watch.look(), false);
    }
    process.kill(pid, "SIGKILL");
    await until(() => lookAt(pid) === undefined, "the shell's end");
    assert.deepEqual(treeOf(pid), []);
  } finally {
    await killTagged(tag);
  }
});

test("a program settles no sooner than it is allowed to", async () => {
  const tag = newTag();
  try {
    const pid = shell("exec sleep 300", tag);
    await until(() => lookAt(pid)?.idle === true, "the sleep");
    const watch = new SettleWatch(pid, Date.now() + 60_000);
    assert.ok(watch.untilNext() > 0, "no look before its time");
    for (let i = 0; i < 3; i++) assert.equal(watch.look(), false);
  } finally {
    await killTagged(tag);
  }
});
