/**
 * Taking over the program a killed supervisor left running (see
 * `orphan.ts`): its output taken back from its keeper, its end seen by
 * looking at it (it is not our child: no SIGCHLD, and its exit status is
 * not ours to read).
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";
import { readStat } from "../process/proc.ts";
import type { OutputCapture } from "./capture.ts";
import type { Orphan } from "./orphan.ts";
import { OutputKeeper, pidfdOf } from "./output_keeper.ts";
import type { Run } from "./run.ts";

/**
 * How a taken-over program ended, for the restart policy: not known (its
 * parent was another); counted as a failure.
 */
const UNKNOWN_END: ExitStatus = { code: 1 };

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

/** What the supervisor does with a program it takes over. */
export interface TakeOverHooks {
  /** `run` is the run going now. */
  taken(run: Run): void;
  /** It runs on, supervised again (said in the log). */
  supervised(): void;
  /** Whether `run` is still the run going. */
  current(run: Run): boolean;
  /** `run` ended; how is not known. */
  ended(run: Run, end: ExitStatus): void;
}

/**
 * Supervises `orphan` again: takes it over into `capture`, says so (as
 * program `name`), and tells `hooks` when it ends (at once, when it has
 * ended already).
 */
export function superviseAgain(
  orphan: Orphan,
  capture: OutputCapture,
  name: string,
  hooks: TakeOverHooks,
): void {
  const { run, outputTaken } = takeOver(orphan, capture);
  hooks.taken(run);
  // Ended meanwhile: as if it ended now.
  if (!stillRuns(run)) return hooks.ended(run, UNKNOWN_END);
  capture.say(
    `${name} (pid ${orphan.pid}) is supervised again, by pid ${ownPid()}${
      outputTaken ? "" : "; its output could not be taken over"
    }`,
  );
  hooks.supervised();
  watchTakenOver(run, () => hooks.current(run), () => hooks.ended(run, UNKNOWN_END));
}
