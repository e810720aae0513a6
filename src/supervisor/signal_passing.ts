/**
 * Which of the signals the supervisor is sent it passes on to its program:
 * not those a terminal sent the whole process group (the program has them
 * already), nor a log rotation's HUP or USR2 that would end a program that
 * has no use for it.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { whyFatal } from "../process/proc.ts";
import { inTerminalForeground } from "./session.ts";

/** Signals after which the program is not started again. */
export const STOPPING: ReadonlySet<string> = new Set(["SIGTERM", "SIGINT", "SIGQUIT"]);
/** Signals a terminal sends to its whole foreground process group. */
const FROM_TERMINAL: ReadonlySet<string> = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);
/** Signals that also reopen the logs (after an external rotation). */
export const REOPEN: ReadonlySet<string> = new Set(["SIGHUP", "SIGUSR2"]);

/** Whether signal `name`, sent to the supervisor, is passed on to the program (pid `pid`). */
export function passedOn(name: string, pid: number | undefined): boolean {
  // The terminal signalled our whole group, the program included: once is enough.
  if (FROM_TERMINAL.has(name) && inTerminalForeground()) return false;
  // A log rotation's HUP or USR2 must not end a program that has no use for it.
  if (REOPEN.has(name) && pid !== undefined) {
    return !whyFatal(pid, getLibc().constants.signals[name]!, name);
  }
  return true;
}
