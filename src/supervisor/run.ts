/**
 * One run of a supervised program: the process, its pidfd and its output;
 * started by this supervisor (its child), or taken over from one that was
 * killed (see `take_over.ts`); the signals sent to it, and how its end is
 * told.
 *
 * @module
 */
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { describeEnd } from "../text.ts";
import type { RunOutput } from "./capture.ts";

/** One run of the program. */
export interface Run {
  readonly pid: number;
  /** The program's pidfd: signals reach it, never a process that took its pid. */
  readonly pidfd: number | undefined;
  readonly output: RunOutput;
  readonly startedAt: number;
  /** Its start time in clock ticks after boot (with the pid, it names the process). */
  readonly start: number;
  /** Started by a supervisor before this one, and taken over. */
  readonly adopted?: boolean;
}

/** Sends signal `name` to `run`'s process, through its pidfd when it has one. */
export function signalRun(run: Run, name: string): void {
  const libc = getLibc();
  const number = libc.constants.signals[name]!;
  try {
    if (run.pidfd !== undefined) libc.pidfdSendSignal(run.pidfd, number);
    else libc.kill(run.pid, number);
  } catch {
    // Ended meanwhile: its exit is on its way.
  }
}

/** Ends `run`: SIGTERM, then SIGKILL after `killAfter` ms, unless `current()` says it ended. */
export function endRun(run: Run, killAfter: number, current: () => boolean): void {
  signalRun(run, "SIGTERM");
  setTimeout(() => {
    if (current()) signalRun(run, "SIGKILL");
  }, killAfter);
}

/** How `run` ended with `end`, as the log tells it (`exited with status 1`). */
export function toldEnd(run: Run, end: ExitStatus): string {
  return run.adopted
    ? "ended (how is not known: it ran under an earlier supervisor)"
    : describeEnd(end);
}
