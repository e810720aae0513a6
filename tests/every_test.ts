/** every(): timing checked on a fake clock where time matters, and once for real. */
import assert from "node:assert/strict";
import { type Clock, every } from "../src/toolkit/every.ts";
import { test } from "./harness.ts";

/** A clock that moves only when told to. */
class FakeClock implements Clock {
  time = 0;
  #sleepers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = { at: this.time + ms, wake: resolve };
      this.#sleepers.push(sleeper);
      signal.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }

  /** Moves time forward by `ms`, waking sleepers in order and letting them run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      this.time = next.at;
      next.wake();
    }
    this.time = target;
    await settle();
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

test("every() runs a task the given number of times on a fixed grid", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const schedule = every(1000, () => {
    starts.push(clock.now());
  }, { times: 4, clock });
  await clock.advance(10_000);
  assert.deepEqual(await schedule.done, { reason: "times", runs: 4, failures: 0 });
  assert.deepEqual(starts, [0, 1000, 2000, 3000]);
});

test("every() never overlaps runs: a long run skips the starts it covered, without drift", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  let active = 0;
  let most = 0;
  const schedule = every(1000, async ({ signal }) => {
    starts.push(clock.now());
    most = Math.max(most, ++active);
    await clock.sleep(starts.length === 1 ? 2500 : 300, signal);
    active--;
  }, { times: 4, clock });
  await clock.advance(20_000);
  await schedule.done;
  assert.equal(most, 1, "two runs at once");
  assert.deepEqual(starts, [0, 3000, 4000, 5000]);
});

test("every() can wait one interval before the first run, and adds jitter below its bound", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const schedule = every(1000, () => {
    starts.push(clock.now());
  }, { times: 3, immediate: false, jitter: 100, clock });
  await clock.advance(10_000);
  await schedule.done;
  assert.equal(starts.length, 3);
  starts.forEach((start, i) => {
    assert.ok(start >= (i + 1) * 1000 && start < (i + 1) * 1000 + 100, `start ${start}`);
  });
});

test("every() logs a failing run and goes on; maxFailures in a row ends it", async () => {
  const clock = new FakeClock();
  const errors: [string, number][] = [];
  const onError = (error: unknown, index: number) => errors.push([(error as Error).message, index]);
  const flaky = every(100, ({ index }) => {
    if (index === 1) throw new Error("disk full");
  }, { times: 3, clock, onError });
  await clock.advance(1000);
  assert.deepEqual(await flaky.done, { reason: "times", runs: 3, failures: 1 });
  assert.deepEqual(errors, [["disk full", 1]]);

  const broken = every(100, () => Promise.reject(new Error("down")), {
    maxFailures: 3,
    clock,
    onError: () => {},
  });
  await clock.advance(1000);
  assert.deepEqual(await broken.done, { reason: "failures", runs: 3, failures: 3 });
});

test("stopping wakes a sleeping schedule at once", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const schedule = every(60_000, () => {}, { clock, signal: controller.signal });
  await clock.advance(1);
  controller.abort();
  assert.deepEqual(await schedule.done, { reason: "stopped", runs: 1, failures: 0 });
  assert.equal(clock.now(), 1, "it did not wait for the next start");
});

test("stop() lets a running task finish, but no longer than the grace period", async () => {
  const clock = new FakeClock();
  let finished = false;
  const polite = every(1000, async ({ signal }) => {
    await clock.sleep(50_000, signal);
    finished = true;
  }, { clock });
  await clock.advance(10);
  assert.deepEqual(await polite.stop(), { reason: "stopped", runs: 1, failures: 0 });
  assert.ok(finished, "the task saw its signal and finished");

  const stubborn = every(1000, () => new Promise(() => {}), { clock, grace: 500 });
  await clock.advance(10);
  const stopped = stubborn.stop();
  await clock.advance(499);
  let settled = false;
  void stopped.then(() => settled = true);
  await settle();
  assert.equal(settled, false, "gave up before the grace period");
  await clock.advance(1);
  assert.deepEqual(await stopped, { reason: "stopped", runs: 1, failures: 0 });
});

test("every() in real time: runs in order, spaced by at least the interval", async () => {
  const starts: number[] = [];
  const began = performance.now();
  const result = await every(20, () => {
    starts.push(performance.now() - began);
  }, { times: 6 }).done;
  assert.equal(result.runs, 6);
  starts.forEach((start, i) => assert.ok(start >= i * 20 - 1, `run ${i} at ${start} ms`));
});

test("every() refuses an interval that is not a positive number", () => {
  assert.throws(() => every(0, () => {}), RangeError);
  assert.throws(() => every(NaN, () => {}), /interval must be a positive number of ms, got NaN/);
});
