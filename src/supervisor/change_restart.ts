/**
 * Restarts on change, for the supervisor: a burst of changes under the
 * watched paths (`watch.ts`) ends the run for a planned restart
 * (`planned_restart.ts`): the next run starts once everything of the last
 * one is gone, at once and not counted against the restart policy (a change
 * is no failure).
 *
 * @module
 */
import type { SupervisorPlan } from "./plan.ts";
import type { WatchRecord } from "./record.ts";
import { type Burst, ChangeWatch } from "./watch.ts";

/** What the supervisor lets a watch see and do. */
export interface ChangeHooks {
  /** The program's pid, when a change may restart it now; null when not (ending, starting). */
  restartable(): number | null;
  /** Ends the run for a planned restart, saying `why` after the program's name. */
  restart(why: string): void;
  /** Says a line in the daemon's log. */
  say(line: string): void;
}

/** The watch of a supervisor whose plan asks for one (see the module's notes). */
export class ChangeRestarts {
  readonly #hooks: ChangeHooks;
  readonly #watch: ChangeWatch;
  #pending = false;
  #lastRestart: number | undefined;

  private constructor(plan: SupervisorPlan, hooks: ChangeHooks) {
    this.#hooks = hooks;
    this.#watch = new ChangeWatch(plan.supervision.watch!, (b) => this.#changed(b), hooks.say);
    this.#watch.arm();
  }

  /** The watch `plan` asks for, watching; none when it asks for none. */
  static start(plan: SupervisorPlan, hooks: ChangeHooks): ChangeRestarts | undefined {
    return plan.supervision.watch ? new ChangeRestarts(plan, hooks) : undefined;
  }

  /** Whether the run that ends was ended for a change. */
  get pending(): boolean {
    return this.#pending;
  }

  #changed({ changes, first }: Burst): void {
    const pid = this.#hooks.restartable();
    // Ending or starting again already: the next run reads the files as they are then.
    if (pid === null) return this.#watch.arm();
    this.#pending = true;
    this.#lastRestart = Date.now();
    this.#hooks.restart(
      `had ${changes} change${changes === 1 ? "" : "s"} under its watched paths (first: ${first})`,
    );
  }

  /**
   * Once every process of the run ended for a change is gone: says so and
   * watches again (the paths walked anew) for the next run; `ended` says how
   * the run ended (`app was killed by SIGTERM`).
   */
  restarting(ended: string): void {
    this.#pending = false;
    this.#hooks.say(`${ended}; restarting it for the change`);
    this.#watch.arm();
  }

  /** What `status` shows of it. */
  record(): WatchRecord {
    return {
      watching: this.#watch.watching,
      ...(this.#lastRestart === undefined ? {} : { lastRestart: this.#lastRestart }),
    };
  }

  /** Ends the watch. */
  close(): void {
    this.#watch.close();
  }
}
