/**
 * The restart decision, without a process: which ends are restarted under
 * each policy, the delay before a restart, and when the daemon gives up.
 */
import assert from "node:assert/strict";
import type { ExitStatus } from "../ffi/libc.ts";
import {
  decideRestart,
  MAX_RESTART_DELAY,
  NO_RESTARTS,
  type RestartDecision,
  type RestartHistory,
  type RestartRules,
  type RunEnd,
  STEADY_AFTER,
} from "../src/supervisor/decision.ts";
import { test } from "./harness.ts";

const NOW = 1_000_000_000;
const rules: RestartRules = {
  restart: "on-failure",
  restartDelay: 100,
  maxRestarts: 5,
  restartWindow: 60_000,
};
const exited = (code: number): ExitStatus => ({ code });
const killed: ExitStatus = { signal: 9 };

/** A run that ended as `status` at NOW, after `uptime` ms. */
function ended(status: ExitStatus, more: Partial<RunEnd> & { uptime?: number } = {}): RunEnd {
  const { uptime = 50, ...rest } = more;
  return { status, startedAt: NOW - uptime, overgrown: false, stopping: false, ...rest };
}

function decide(
  end: RunEnd,
  more: Partial<RestartRules> = {},
  history: RestartHistory = NO_RESTARTS,
): RestartDecision {
  return decideRestart({ ...rules, ...more }, history, end, NOW);
}

/** The decision's action, for tests that judge only that. */
const action = (decision: RestartDecision) => decision.action;

/** The delay of a restart decision; fails on any other. */
function delayOf(decision: RestartDecision): number {
  assert.equal(decision.action, "restart");
  return decision.action === "restart" ? decision.delay : NaN;
}

test("a program that exits 0 under on-failure is not restarted", () => {
  assert.deepEqual(decide(ended(exited(0))), { action: "stop", reason: "by policy" });
});

test("a program that exits non-zero or is killed under on-failure is restarted", () => {
  assert.equal(action(decide(ended(exited(1)))), "restart");
  assert.equal(action(decide(ended(killed))), "restart");
});

test("under always a program is restarted however it ended", () => {
  for (const status of [exited(0), exited(3), killed]) {
    assert.equal(action(decide(ended(status), { restart: "always" })), "restart");
  }
});

test("under no a program is never restarted", () => {
  for (const status of [exited(0), exited(3), killed]) {
    assert.deepEqual(decide(ended(status), { restart: "no" }), {
      action: "stop",
      reason: "by policy",
    });
  }
});

test("a program ended for its memory is restarted whatever the policy", () => {
  for (const restart of ["no", "on-failure", "always"] as const) {
    const decision = decide(ended(exited(0), { overgrown: true }), { restart });
    assert.equal(action(decision), "restart", restart);
  }
});

test("a supervisor told to stop restarts nothing, not even a program ended for its memory", () => {
  for (const restart of ["no", "on-failure", "always"] as const) {
    assert.deepEqual(
      decide(ended(killed, { stopping: true, overgrown: true }), { restart }),
      { action: "stop", reason: "told to stop" },
    );
  }
});

test("the first restart waits restartDelay", () => {
  assert.equal(delayOf(decide(ended(exited(1)))), 100);
});

test("the delay doubles after each quick crash and resets after a long run", () => {
  let history = NO_RESTARTS;
  const delays: number[] = [];
  for (const uptime of [50, 50, 50, STEADY_AFTER - 1, STEADY_AFTER, 50]) {
    const decision = decide(ended(exited(1), { uptime }), { maxRestarts: 100 }, history);
    assert.equal(decision.action, "restart");
    if (decision.action !== "restart") return;
    delays.push(decision.delay);
    history = { ...decision.history, restartTimes: [] };
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 100, 200]);
});

test("the delay stops doubling at 30 s", () => {
  const history = { restartTimes: [], streak: 20 };
  assert.equal(delayOf(decide(ended(exited(1)), {}, history)), MAX_RESTART_DELAY);
  assert.equal(MAX_RESTART_DELAY, 30_000);
});

test("the daemon gives up after maxRestarts within restartWindow", () => {
  const restartTimes = [NOW - 40_000, NOW - 30_000, NOW - 20_000, NOW - 10_000, NOW - 1];
  assert.deepEqual(decide(ended(exited(1)), {}, { restartTimes, streak: 5 }), {
    action: "give-up",
    reason: "giving up after 5 restarts within 60 s",
  });
  assert.equal(
    action(decide(ended(exited(1)), {}, { restartTimes: restartTimes.slice(1), streak: 4 })),
    "restart",
  );
});

test("restarts older than restartWindow are not counted, and are dropped from the history", () => {
  const restartTimes = [NOW - 60_000, NOW - 59_999, NOW - 1];
  const decision = decide(ended(exited(1)), { maxRestarts: 2 }, { restartTimes, streak: 3 });
  assert.equal(decision.action, "give-up");
  const later = decide(ended(exited(1)), { maxRestarts: 3 }, { restartTimes, streak: 3 });
  assert.equal(later.action, "restart");
  if (later.action === "restart") {
    assert.deepEqual(later.history, { restartTimes: [NOW - 59_999, NOW - 1], streak: 4 });
  }
});

test("with maxRestarts 0 the daemon gives up at the first end that would restart it", () => {
  assert.deepEqual(decide(ended(killed), { maxRestarts: 0, restartWindow: 1500 }), {
    action: "give-up",
    reason: "giving up after 0 restarts within 1.5 s",
  });
  assert.equal(action(decide(ended(exited(0)), { maxRestarts: 0 })), "stop");
});

test("a restart decision keeps the history it was given, but the restart's own time", () => {
  const history = { restartTimes: [NOW - 5], streak: 1 };
  const decision = decide(ended(exited(1)), {}, history);
  assert.deepEqual(decision, {
    action: "restart",
    delay: 200,
    history: { restartTimes: [NOW - 5], streak: 2 },
  });
  assert.deepEqual(history, { restartTimes: [NOW - 5], streak: 1 }, "not changed in place");
});
