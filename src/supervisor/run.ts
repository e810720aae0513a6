/**
 * One run of a supervised program: the process, its pidfd and its output;
 * started by this supervisor (its child), or taken over from one that was
 * killed (see `orphan.ts`), whose end is seen by looking at it; and the
 * signals sent to it.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { readStat } from "../process/proc.ts";
import type { OutputCapture, RunOutput } from "./capture.ts";
import type { Orphan } from "./orphan.ts";
import { OutputKeeper, pidfdOf } from "./output_keeper.ts";

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

/** How often a taken-over program is looked at, to see it end (ms). */
const TAKEN_OVER_LOOK = 1000;

/**
 * The run of `orphan`, its output taken back from its keeper into
 * `capture`; `outputTaken` says whether it could be.
 */
export function takeOver(
  orphan: Orphan,
  capture: OutputCapture,
): { run: Run; outputTaken: boolean } {
  const taken = orphan.keeper && OutputKeeper.takeOver(orphan.keeper);
  const output = capture.adopt(taken ? taken.fds : {}, taken ? taken.keeper : undefined);
  const run: Run = {
    pid: orphan.pid,
    // Opened after the keeper: checked by stillRuns below, it names the program.
    pidfd: pidfdOf(orphan.pid),
    output,
    startedAt: orphan.since,
    start: orphan.start,
    adopted: true,
  };
  return { run, outputTaken: !!taken };
}

/** Whether `run`'s process still runs (the same process: its start time too). */
export function stillRuns(run: Run): boolean {
  const stat = readStat(run.pid);
  return stat !== undefined && stat.startTicks === run.start && stat.state !== "Z" &&
    stat.state !== "X";
}

/**
 * Calls `ended` once taken-over run `run` ends (it is not our child: no
 * SIGCHLD), unless `current()` says it is no longer the run watched.
 */
export function watchTakenOver(run: Run, current: () => boolean, ended: () => void): void {
  const watch = setInterval(() => {
    if (!current()) clearInterval(watch);
    else if (!stillRuns(run)) {
      clearInterval(watch);
      ended();
    }
  }, TAKEN_OVER_LOOK);
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
