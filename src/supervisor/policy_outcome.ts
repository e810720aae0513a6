/**
 * What follows a run's end under the restart policy: the decision
 * (`decision.ts`) with the line the daemon's log gets and the event the
 * on-failure hook is told of (`failure_hook.ts`), as a pure function.
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import { formatDelay } from "../text.ts";
import { decideRestart, type RestartHistory } from "./decision.ts";
import type { FailureCause, FailureEvent } from "./failure_event.ts";
import { hookEvent } from "./failure_hook.ts";
import type { SupervisorPlan } from "./plan.ts";
import type { Run } from "./run.ts";

/** A run that ended, and what the supervisor knows of it. */
export interface EndedRun {
  readonly run: Run;
  readonly end: ExitStatus;
  /** How it ended, as the log tells it (`exited with status 1`). */
  readonly told: string;
  /** Why it ended, for the on-failure hook. */
  readonly cause: FailureCause;
  /** The supervisor ended it (its memory, its health). */
  readonly overgrown: boolean;
  /** The supervisor was told to stop. */
  readonly stopping: boolean;
  /** Restarts so far. */
  readonly restarts: number;
}

/** What the supervisor does next, what it says (if anything), and the hook's event. */
export type PolicyOutcome =
  | { readonly action: "stop" | "give-up"; readonly line?: string; readonly event: FailureEvent }
  | {
    readonly action: "restart";
    readonly line: string;
    readonly event: FailureEvent;
    /** How long until the next run starts (ms). */
    readonly delay: number;
    /** The restarts so far, counting the one to come. */
    readonly history: RestartHistory;
  };

/** What follows `ended` under `plan`'s restart policy, given the restarts in `history`. */
export function policyOutcome(
  plan: SupervisorPlan,
  history: RestartHistory,
  ended: EndedRun,
  now: number,
): PolicyOutcome {
  const { supervision, program } = plan;
  const { run, end, cause, restarts } = ended;
  const decision = decideRestart(supervision, history, {
    status: end,
    startedAt: run.startedAt,
    overgrown: ended.overgrown,
    stopping: ended.stopping,
  }, now);
  const said = `${program.name} ${ended.told}`;
  if (decision.action === "stop") {
    const event = hookEvent("failed", cause, run, end, restarts, said);
    if (!plan.channel && supervision.restart === "no") return { action: "stop", event };
    const note = decision.reason === "by policy" && supervision.restart !== "no"
      ? "; not restarted"
      : "";
    return { action: "stop", line: `${said}${note}`, event };
  }
  if (decision.action === "give-up") {
    const line = `${said}; ${decision.reason}`;
    return {
      action: "give-up",
      line,
      event: hookEvent("gave-up", cause, run, end, restarts, line),
    };
  }
  const line = `${said}; restarting in ${formatDelay(decision.delay)}`;
  return {
    action: "restart",
    line,
    event: hookEvent("restarting", cause, run, end, restarts, line),
    delay: decision.delay,
    history: decision.history,
  };
}
