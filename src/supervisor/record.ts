/**
 * What a supervisor says it is doing, kept beside the pid file
 * (`PATH.supervisor`, JSON) for `status` and `reload`: small, so that they
 * need not load the supervisor itself.
 *
 * @module
 */
import type { KeeperRecord } from "./output_keeper.ts";
import type { RestartAtRecord, ScheduleRecord } from "./schedule_record.ts";

/** When a program that ended is started again. */
export type RestartPolicy = "no" | "on-failure" | "always";

/** Every restart policy, for checking a value given without types. */
export const RESTART_POLICIES: readonly RestartPolicy[] = ["no", "on-failure", "always"];

/**
 * The variable a supervised program finds its supervisor's pid in: a
 * `daemonize()` under it stays in the foreground, as under systemd.
 */
export const SUPERVISOR_VARIABLE = "DAEMONIZE_SUPERVISOR";

/**
 * The variable that carries a supervisor's plan across the exec into its
 * own process image (see `supervisor/handoff.ts`).
 */
export const PLAN_VARIABLE = "DAEMONIZE_PLAN";

/** Where a supervisor's record is kept, beside the pid file. */
export function recordPath(pidFile: string): string {
  return `${pidFile}.supervisor`;
}

/** What a supervisor says it is doing (`PATH.supervisor`). */
export interface SupervisorRecord {
  readonly supervisor: number;
  readonly program: number | null;
  /** The program's start time (clock ticks after boot): with its pid, it names the process. */
  readonly programStart?: number;
  /** The process that holds the program's output pipes beside the supervisor. */
  readonly keeper?: KeeperRecord | undefined;
  /** The program was taken over from a supervisor that was killed: not this one's child. */
  readonly adopted?: boolean | undefined;
  /**
   * `restarting`: between two runs, waiting for the next (an earlier version wrote `waiting`);
   * `scheduled`: waiting for the next time of `--cron`.
   */
  readonly state: "running" | "restarting" | "scheduled" | "failed" | "stopped";
  readonly restarts: number;
  /** When the program (or the wait for its restart) started, ms since the epoch. */
  readonly since: number;
  /** How its last run ended (`exited with status 1`), if it ended. */
  readonly lastExit: string | null;
  readonly restartPolicy: RestartPolicy;
  /** Lines of output its logs could not take (a full disk…) since the supervisor started. */
  readonly droppedLines?: number;
  /** The last health check's result, when the program's health is checked and was once. */
  readonly health?: HealthResult | undefined;
  /** While restarting: when the program is started again, ms since the epoch. */
  readonly nextStart?: number;
  /** Restarting on change: what is watched, and the last restart a change made. */
  readonly watch?: WatchRecord | undefined;
  /** With `--cron`: the times, the last run and the next. */
  readonly schedule?: ScheduleRecord | undefined;
  /** With `--restart-at`: the times and the next. */
  readonly restartAt?: RestartAtRecord | undefined;
}

/** What `status` shows of a watch for changes. */
export interface WatchRecord {
  /** Directories and files watched. */
  readonly watching: number;
  /** When a change last restarted the program, ms since the epoch. */
  readonly lastRestart?: number;
}

/** How the last health check went. */
export interface HealthResult {
  /** Whether the check passed. */
  readonly ok: boolean;
  /** Failures in a row (0 when it passed). */
  readonly failures: number;
  /** Failures in a row that restart the program. */
  readonly retries: number;
  /** When the check ended, ms since the epoch. */
  readonly at: number;
  /** What it found: `exited with status 1: …`, `port 8080: connection refused`. */
  readonly message: string;
}

/** Reads a supervisor's record; undefined when there is none or it is malformed. */
export function parseRecord(text: string | undefined): SupervisorRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    if (typeof value?.supervisor !== "number" || typeof value?.state !== "string") {
      return undefined;
    }
    // A supervisor started by an earlier version names the wait before a restart so.
    if (value.state === "waiting") value.state = "restarting";
    return value as SupervisorRecord;
  } catch {
    return undefined;
  }
}
