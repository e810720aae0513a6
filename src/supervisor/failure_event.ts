/**
 * What the on-failure hook is told: the event, and the facts about it, as
 * variables of its environment (see `failure_hook.ts`, which runs it).
 *
 * | variable | value |
 * |---|---|
 * | `DAEMONIZE_EVENT` | `restarting`, `failed` or `gave-up` (see `FailureEventName`) |
 * | `DAEMONIZE_CAUSE` | `exit` (the program ended by itself), `memory` or `health` (the supervisor ended it) |
 * | `DAEMONIZE_NAME` | the daemon's name |
 * | `DAEMONIZE_EXIT` | how the program ended, in words (`exited with status 3`) |
 * | `DAEMONIZE_EXIT_CODE` | its exit status, or empty when a signal ended it |
 * | `DAEMONIZE_EXIT_SIGNAL` | the signal that ended it (`SIGKILL`), or empty |
 * | `DAEMONIZE_PID` | the pid the program had |
 * | `DAEMONIZE_RESTARTS` | the restarts so far (this one not counted) |
 * | `DAEMONIZE_LOG` | the log the supervisor writes to, or empty when output is not captured |
 * | `DAEMONIZE_LOG_TAIL` | its last lines (at most 20, and 4 KiB) |
 * | `DAEMONIZE_MESSAGE` | the line the supervisor wrote to the log about it |
 *
 * @module
 */
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { signalName } from "../signal_names.ts";
import { TOKEN_VARIABLE } from "../process/identity.ts";

/**
 * `restarting`: the program ended (by itself, or ended for its memory or
 * health) and is started again after the restart delay; `failed`: it ended
 * with a failure and is not started again (restart policy `no`); `gave-up`:
 * it ended once more than the restart limit allows, the daemon has failed.
 */
export type FailureEventName = "restarting" | "failed" | "gave-up";

/** Why the program ended: by itself, or ended by the supervisor. */
export type FailureCause = "exit" | "memory" | "health";

/** One event the hook is run for. */
export interface FailureEvent {
  readonly event: FailureEventName;
  readonly cause: FailureCause;
  /** How it ended; undefined when not known (it ran under an earlier supervisor). */
  readonly end: ExitStatus | undefined;
  /** How it ended, in words. */
  readonly exit: string;
  readonly pid: number | undefined;
  readonly restarts: number;
  /** The supervisor's log line about it. */
  readonly message: string;
}

/** The log lines passed at most, and their size in bytes at most. */
export const TAIL_LINES = 20;
export const TAIL_BYTES = 4096;

/** The variables the hook is given (those of the program's environment with these names are replaced). */
export const EVENT_VARIABLES = [
  "DAEMONIZE_EVENT",
  "DAEMONIZE_CAUSE",
  "DAEMONIZE_NAME",
  "DAEMONIZE_EXIT",
  "DAEMONIZE_EXIT_CODE",
  "DAEMONIZE_EXIT_SIGNAL",
  "DAEMONIZE_PID",
  "DAEMONIZE_RESTARTS",
  "DAEMONIZE_LOG",
  "DAEMONIZE_LOG_TAIL",
  "DAEMONIZE_MESSAGE",
] as const;

/**
 * The hook's environment for `event`: the program's (`env`), without the
 * daemon's token (the hook is no process of the daemon's), and the event's
 * variables.
 */
export function eventEnv(
  env: readonly string[],
  name: string,
  log: string | undefined,
  event: FailureEvent,
): string[] {
  const end = event.end;
  const values: Record<(typeof EVENT_VARIABLES)[number], string> = {
    DAEMONIZE_EVENT: event.event,
    DAEMONIZE_CAUSE: event.cause,
    DAEMONIZE_NAME: name,
    DAEMONIZE_EXIT: event.exit,
    DAEMONIZE_EXIT_CODE: end && "code" in end ? String(end.code) : "",
    DAEMONIZE_EXIT_SIGNAL: end && "signal" in end ? signalName(end.signal) : "",
    DAEMONIZE_PID: event.pid === undefined ? "" : String(event.pid),
    DAEMONIZE_RESTARTS: String(event.restarts),
    DAEMONIZE_LOG: log ?? "",
    DAEMONIZE_LOG_TAIL: log === undefined ? "" : logTail(log),
    DAEMONIZE_MESSAGE: event.message,
  };
  const replaced = new Set<string>([TOKEN_VARIABLE, ...EVENT_VARIABLES]);
  return [
    ...env.filter((entry) => !replaced.has(entry.slice(0, entry.indexOf("=")))),
    ...Object.entries(values).map(([key, value]) => `${key}=${value.replaceAll("\0", "")}`),
  ];
}

/**
 * The last lines of the file at `path` (at most `TAIL_LINES`, and
 * `TAIL_BYTES` from its end, whole lines only), or "" when it can't be read.
 */
export function logTail(path: string): string {
  const libc = getLibc();
  let fd: number;
  try {
    fd = libc.open(path, libc.constants.O_CLOEXEC);
  } catch {
    return "";
  }
  try {
    const size = libc.fileIdOf(fd).size;
    const from = Math.max(0, size - TAIL_BYTES);
    const buffer = new Uint8Array(size - from);
    let got = 0;
    while (got < buffer.length) {
      const n = libc.pread(fd, buffer.subarray(got), from + got);
      if (n <= 0) break;
      got += n;
    }
    let lines = new TextDecoder().decode(buffer.subarray(0, got)).split("\n");
    // A line cut by the start of what was read is left out.
    if (from > 0) lines = lines.slice(1);
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-TAIL_LINES).join("\n");
  } catch {
    return "";
  } finally {
    libc.close(fd);
  }
}
