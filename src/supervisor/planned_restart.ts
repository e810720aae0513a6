/**
 * Planned restarts: a change under the watched paths (`change_restart.ts`)
 * or a time of `--restart-at` (`cron_runs.ts`) ends the run the way a memory
 * or health restart does (SIGTERM, then SIGKILL after the stop timeout), and
 * the next run starts once everything of the last one is gone
 * (`old_tree.ts`), so that it never finds the last run's port still taken.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { oldTreeGone, treeOf } from "./old_tree.ts";
import type { SupervisorPlan } from "./plan.ts";

/** The run a planned restart ends, seen before it is told to end. */
export class PlannedRestart {
  readonly #ownSession: boolean;
  readonly #killAfter: number;
  readonly #say: (line: string) => void;
  #tree: ReturnType<typeof treeOf> = [];

  constructor(plan: SupervisorPlan, say: (line: string) => void) {
    this.#ownSession = !!plan.ownSession;
    this.#killAfter = plan.supervision.killAfter ?? DEFAULTS.stopTimeout;
    this.#say = say;
  }

  /** Notes run `pid` and every process below it, which a planned restart is about to end. */
  ending(pid: number): void {
    this.#tree = treeOf(pid);
  }

  /**
   * Waits until every process of the run ended is gone (those that outlive
   * it are ended: SIGTERM, then SIGKILL), saying what it had to end.
   */
  async lastRunGone(): Promise<void> {
    const seen = this.#tree;
    this.#tree = [];
    await oldTreeGone(seen, this.#ownSession, this.#killAfter, this.#say);
  }
}
