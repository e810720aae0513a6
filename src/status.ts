/**
 * Whether a daemon runs, asked from any process with only its pid file.
 *
 * @module
 */
import { PidFile } from "./pid_file.ts";

/** What a pid file says about its daemon. */
export type DaemonStatus =
  /** A live process holds the pid file's lock. */
  | { readonly state: "running"; readonly pid: number }
  /** The file is there but nobody holds its lock: the daemon died. */
  | { readonly state: "dead"; readonly pid: number | undefined }
  /** No pid file. */
  | { readonly state: "stopped" };

/**
 * The status of the daemon that uses `pidFile`. Only the process holding the
 * file's lock counts as running; a pid merely written in the file does not.
 *
 * @example
 * ```ts
 * import { status } from "./status.ts";
 *
 * const s = status("/tmp/no-such-daemon.pid");
 * console.log(s.state); // "stopped"
 * ```
 * @throws {DaemonError} of step `"status"` when the file can't be read.
 */
export function status(pidFile: string | PidFile): DaemonStatus {
  const file = typeof pidFile === "string" ? new PidFile(pidFile) : pidFile;
  const pid = file.holder();
  if (pid !== undefined) return { state: "running", pid };
  const written = file.read();
  if (written !== undefined || file.exists()) {
    return { state: "dead", pid: written };
  }
  return { state: "stopped" };
}
