/**
 * What watches a supervised program and may end or start its runs, each
 * started when the plan asks for it: its memory (`memory_watch.ts`), its
 * health (`health_check.ts`), changes under its watched paths
 * (`change_restart.ts`) and its schedules (`cron_runs.ts`).
 *
 * @module
 */
import { ChangeRestarts } from "./change_restart.ts";
import { CronRuns } from "./cron_runs.ts";
import { HealthCheck } from "./health_check.ts";
import { watchMemory } from "./memory_watch.ts";
import type { SupervisorPlan } from "./plan.ts";
import type { HealthResult } from "./record.ts";

/**
 * Why a watcher ends a run: its memory, its health, or a planned restart
 * (a change, a time of `--restart-at`; see `planned_restart.ts`).
 */
export type EndCause = "memory" | "health" | "planned";

/** What the supervisor lets its watchers see and do. */
export interface WatcherHooks {
  /** The run's pid, unless it is ending already or the supervisor stops; null then. */
  endable(): number | null;
  /** Whether the start was judged a success (the starter left). */
  started(): boolean;
  /** The pid of the run going, if one is. */
  running(): number | null;
  /** Ends the run (SIGTERM, then SIGKILL) for `cause`, saying `why` and the lines of `details`. */
  end(cause: EndCause, why: string, details?: readonly string[]): void;
  /** Starts a run. */
  start(): void;
  /** Says a line in the daemon's log. */
  say(line: string): void;
  /** A health check ended with `result`. */
  checked(result: HealthResult): void;
  /** The record is to be written again. */
  changed(): void;
  /** With `--cron`, once the first time is waited for: the start is done. */
  ready(): void;
  /** The schedules could not start (said in the log). */
  failed(): never;
}

/** The watchers of one supervisor. */
export interface Watchers {
  readonly health: HealthCheck | undefined;
  readonly changes: ChangeRestarts | undefined;
  readonly schedules: CronRuns | undefined;
  /** Ends the watches of memory, health and changes. */
  stop(): void;
}

/** Starts the watchers `plan` asks for. */
export function startWatchers(plan: SupervisorPlan, hooks: WatcherHooks): Watchers {
  const { maxMemory } = plan.supervision;
  const stopMemory = maxMemory === undefined
    ? undefined
    : watchMemory(maxMemory, () => hooks.endable(), (usage) => hooks.end("memory", usage));
  // Health, changes and restart times leave the first run alone while the starter judges it.
  const restartable = () => {
    const pid = hooks.endable();
    return pid !== null && hooks.started() ? pid : null;
  };
  const health = checkHealth(plan, restartable, hooks);
  const changes = ChangeRestarts.start(plan, {
    restartable,
    restart: (why) => hooks.end("planned", why),
    say: (line) => hooks.say(line),
  });
  const schedules = CronRuns.of(plan.supervision, {
    running: () => hooks.running(),
    restartable,
    start: () => hooks.start(),
    restart: (why) => hooks.end("planned", why),
    say: (line) => hooks.say(line),
    changed: () => hooks.changed(),
    ready: () => hooks.ready(),
    failed: () => hooks.failed(),
  });
  return {
    health,
    changes,
    schedules,
    stop() {
      stopMemory?.();
      health?.stop();
      changes?.close();
    },
  };
}

/** The health check `plan` asks for, started; none when it asks for none. */
function checkHealth(
  plan: SupervisorPlan,
  watched: () => number | null,
  hooks: WatcherHooks,
): HealthCheck | undefined {
  const { health } = plan.supervision;
  if (!health) return undefined;
  const check = new HealthCheck(health, plan.program.env, {
    watched,
    checked: (result) => hooks.checked(result),
    unhealthy: (result, output) => {
      const times = `${result.failures} time${result.failures === 1 ? "" : "s"}`;
      hooks.end(
        "health",
        `failed its health check ${times} in a row (${result.message})`,
        output.map((line) => `health check output: ${line}`),
      );
    },
  });
  check.start();
  return check;
}
