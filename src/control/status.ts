/**
 * Whether a daemon runs, asked from any process with only its pid file.
 *
 * @module
 */
import { type PidFile, pidFileOf } from "../process/pid_file.ts";

/** What a pid file says about its daemon. */
export type DaemonStatus =
  /**
   * Its main process runs; `others` more processes of its session (those it
   * started) run beside it.
   */
  | {
    readonly state: "running";
    readonly pid: number;
    readonly others: number;
    /** The pids of those others. */
    readonly otherPids: readonly number[];
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
  /** No pid file. */
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
  if (tree) {
    try {
      const seen = tree.look();
      const others = seen.others.length;
      const otherPids = seen.others.map((m) => m.pid);
      if (seen.main) return { state: "running", pid: seen.main.pid, others, otherPids };
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
  return { state: "stopped" };
}
