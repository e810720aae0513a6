/**
 * The restart decision: what a supervisor does once a run of its program
 * ended (start it again after a delay, give up, or stop), as a pure function
 * of the policy, the restarts so far, how the run ended and the clock.
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import { DEFAULTS } from "../defaults.ts";
import type { Supervision } from "./plan.ts";

/** The longest wait between restarts (ms). */
export const MAX_RESTART_DELAY: number = DEFAULTS.maxRestartDelay;
/** A program that stayed up this long (ms) starts its next restart delay afresh. */
export const STEADY_AFTER = 10_000;

/** The settings a restart decision follows. */
export type RestartRules = Pick<
  Supervision,
  "restart" | "restartDelay" | "maxRestarts" | "restartWindow"
>;

/** The restarts before the run that ended. */
export interface RestartHistory {
  /** When recent restarts began (ms since the epoch); those out of the window may be left out. */
  readonly restartTimes: readonly number[];
  /** Quick failures in a row so far: how many times the delay has doubled. */
  readonly streak: number;
}

/** The history of a supervisor that has not restarted its program yet. */
export const NO_RESTARTS: RestartHistory = { restartTimes: [], streak: 0 };

/** How a run ended. */
export interface RunEnd {
  readonly status: ExitStatus;
  /** When the run started (ms since the epoch). */
  readonly startedAt: number;
  /** The supervisor ended it for its memory: it is started again whatever the policy. */
  readonly overgrown: boolean;
  /** The supervisor was told to stop (SIGTERM, SIGINT, SIGQUIT). */
  readonly stopping: boolean;
}

/** What a supervisor does after a run ended. */
export type RestartDecision =
  | {
    readonly action: "restart";
    /** How long to wait first (ms). */
    readonly delay: number;
    /** The history to keep; the restart's own time is added when it happens. */
    readonly history: RestartHistory;
  }
  | {
    readonly action: "give-up";
    /** Said after how the run ended: `giving up after 5 restarts within 60 s`. */
    readonly reason: string;
  }
  | {
    readonly action: "stop";
    /** Told to stop, or not restarted by the policy. */
    readonly reason: "told to stop" | "by policy";
  };

/** What to do after a run that ended as `end`, at `now` (ms since the epoch). */
export function decideRestart(
  rules: RestartRules,
  history: RestartHistory,
  end: RunEnd,
  now: number,
): RestartDecision {
  if (end.stopping) return { action: "stop", reason: "told to stop" };
  const failed = !("code" in end.status) || end.status.code !== 0;
  const again = end.overgrown || rules.restart === "always" ||
    (rules.restart === "on-failure" && failed);
  if (!again) return { action: "stop", reason: "by policy" };
  const restartTimes = history.restartTimes.filter((t) => now - t < rules.restartWindow);
  if (restartTimes.length >= rules.maxRestarts) {
    return {
      action: "give-up",
      reason: `giving up after ${restartTimes.length} restarts within ${
        rules.restartWindow / 1000
      } s`,
    };
  }
  const streak = now - end.startedAt >= STEADY_AFTER ? 0 : history.streak;
  return {
    action: "restart",
    delay: Math.min(MAX_RESTART_DELAY, rules.restartDelay * 2 ** streak),
    history: { restartTimes, streak: streak + 1 },
  };
}
