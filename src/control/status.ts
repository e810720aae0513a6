/**
 * Whether a daemon runs, asked from any process with only its pid file:
 * what the pid file, the processes it proves and a supervisor's record
 * together mean.
 *
 * @module
 */
import { readTextFileIfAny } from "../host.ts";
import type { PidFile } from "../process/pid_file.ts";
import { pidFileOf } from "../process/pid_file_of.ts";
import { bootId, readStat } from "../process/proc.ts";
import {
  type HealthResult,
  parseRecord,
  recordPath,
  type RestartPolicy,
  type SupervisorRecord,
  type WatchRecord,
} from "../supervisor/record.ts";
import type { RestartAtRecord, ScheduleRecord } from "../supervisor/schedule_record.ts";

/** What a supervisor of ours says of the program it runs. */
export interface Supervised {
  /** The supervisor's pid: the daemon's main process. */
  readonly supervisor: number;
  /** The program's pid; null between two of its runs (a restart is waited for). */
  readonly program: number | null;
  /** How often the supervisor restarted the program. */
  readonly restarts: number;
  /** How the program's last run ended (`exited with status 1`), if one did. */
  readonly lastExit: string | null;
  /** When the program is started again once it ends. */
  readonly restartPolicy: RestartPolicy;
  /** The last health check's result, when its health is checked and was once. */
  readonly health?: HealthResult | undefined;
  /** Restarting on change: what is watched, and the last restart a change made. */
  readonly watch?: WatchRecord | undefined;
  /** Between its runs: when the program is started again (ms since the epoch), if said. */
  readonly nextStart: number | null;
  /** With `--cron`: the times, the last run and the next (between runs, the program is null). */
  readonly schedule?: ScheduleRecord | undefined;
  /** With `--restart-at`: the times and the next restart. */
  readonly restartAt?: RestartAtRecord | undefined;
}

/** What a pid file says about its daemon. */
export type DaemonStatus =
  /**
   * Its main process runs; `others` more processes of its session (those it
   * started) run beside it. Under a supervisor of ours, `supervised` says
   * what it runs (the program is one of the `others`).
   */
  | {
    readonly state: "running";
    readonly pid: number;
    readonly others: number;
    /** The pids of those others. */
    readonly otherPids: readonly number[];
    /** Set when the main process is a supervisor of ours. */
    readonly supervised?: Supervised;
  }
  /**
   * The pid file is there but the main process has ended (or the file is not
   * a start's); `others` processes of its session still run.
   */
  | {
    readonly state: "dead";
    readonly pid: number | undefined;
    readonly others: number;
    /** The pids of those others. */
    readonly otherPids: readonly number[];
    /** Processes of its session this user could not check (see `Sighting`). */
    readonly unverified: number;
  }
  /**
   * Nothing of it runs: its supervisor gave up restarting the program
   * (as systemd says of a failed unit).
   */
  | {
    readonly state: "failed";
    readonly restarts: number;
    readonly lastExit: string | null;
  }
  /** No pid file, and no supervisor that failed. */
  | { readonly state: "stopped" };

/**
 * The status of the daemon that uses `pidFile`. Only the process the
 * recorded identity proves (pid, start time, boot) counts as running; a pid
 * merely written in the file does not, and a zombie has ended.
 *
 * @example
 * ```ts
 * import { status } from "./status.ts";
 *
 * const s = status("/tmp/no-such-daemon.pid");
 * console.log(s.state); // "stopped"
 * ```
 * @throws {DaemonError} of step `"status"` when the file can't be read;
 * `TypeError` for a `pidFile` that is neither a path nor a `PidFile`.
 */
export function status(pidFile: string | PidFile): DaemonStatus {
  const file = pidFileOf(pidFile);
  const tree = file.tree();
  // Recorded in an earlier boot: nothing of it can run now (a reboot ended it).
  if (tree && tree.identity.boot && tree.identity.boot !== bootId()) {
    tree.close();
    return { state: "stopped" };
  }
  if (tree) {
    try {
      const seen = tree.look();
      const others = seen.others.length;
      const otherPids = seen.others.map((m) => m.pid);
      if (seen.main) {
        const record = supervisorRecord(file.path, seen.main.pid);
        return {
          state: "running",
          pid: seen.main.pid,
          others,
          otherPids,
          ...(record ? { supervised: supervisedBy(record) } : {}),
        };
      }
      return {
        state: "dead",
        pid: tree.identity.pid,
        others,
        otherPids,
        unverified: seen.unverified,
      };
    } finally {
      tree.close();
    }
  }
  const written = file.read();
  if (written !== undefined || file.exists()) {
    return { state: "dead", pid: written, others: 0, otherPids: [], unverified: 0 };
  }
  const record = parseRecord(readTextFileIfAny(recordPath(file.path)));
  if (record?.state === "failed") {
    return { state: "failed", restarts: record.restarts, lastExit: record.lastExit };
  }
  return { state: "stopped" };
}

/**
 * The record of the supervisor `supervisor` (proven the daemon's main
 * process) beside `pidFile`; undefined when none or another's.
 */
function supervisorRecord(pidFile: string, supervisor: number): SupervisorRecord | undefined {
  const record = parseRecord(readTextFileIfAny(recordPath(pidFile)));
  return record?.supervisor === supervisor ? record : undefined;
}

/**
 * What a record says, its program checked to be the supervisor's child (or,
 * taken over from a killed supervisor, the very process it names).
 */
function supervisedBy(record: SupervisorRecord): Supervised {
  const stat = record.program ? readStat(record.program) : undefined;
  const program = stat &&
      (record.adopted
        ? stat.startTicks === record.programStart && stat.state !== "Z"
        : stat.ppid === record.supervisor)
    ? record.program
    : null;
  return {
    supervisor: record.supervisor,
    program,
    restarts: record.restarts,
    lastExit: record.lastExit,
    restartPolicy: record.restartPolicy,
    ...(record.health ? { health: record.health } : {}),
    ...(record.watch ? { watch: record.watch } : {}),
    nextStart: program === null ? record.nextStart ?? null : null,
    ...(record.schedule ? { schedule: record.schedule } : {}),
    ...(record.restartAt ? { restartAt: record.restartAt } : {}),
  };
}
