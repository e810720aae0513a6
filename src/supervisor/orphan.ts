/**
 * A supervised program whose supervisor was killed outright (SIGKILL, the
 * OOM killer): it runs on, unsupervised, its output kept by its keeper
 * (`output_keeper.ts`). A new start of the daemon takes it over instead of
 * starting it a second time: the new supervisor carries the daemon's token
 * (so the pid file lets it take the place of the one that is gone), reads
 * the program's output on from the keeper, and watches it.
 *
 * A program is taken over only when the record its supervisor left names
 * it (pid and start time) and it carries the daemon's token: it is then
 * certainly this daemon's program, not a process that took its pid.
 *
 * @module
 */
import { readTextFileIfAny } from "../host.ts";
import { carriesToken } from "../process/process_tree.ts";
import { readStat } from "../process/proc.ts";
import type { KeeperRecord } from "./output_keeper.ts";
import { parseRecord, recordPath, type SupervisorRecord } from "./record.ts";

/** What the last supervisor of the daemon with pid file `pidFile` said it was doing. */
export function lastSupervisor(pidFile: string): SupervisorRecord | undefined {
  return parseRecord(readTextFileIfAny(recordPath(pidFile)));
}

/** A program a killed supervisor left running. */
export interface Orphan {
  readonly pid: number;
  /** Its start time, in clock ticks after boot. */
  readonly start: number;
  /** Where its output pipes are kept, if they are. */
  readonly keeper?: KeeperRecord | undefined;
  /** How often it had been restarted. */
  readonly restarts: number;
  /** When it started (ms since the epoch). */
  readonly since: number;
}

/**
 * The program the last supervisor of the daemon with pid file `pidFile`
 * and token `token` left running; undefined when there is none. The
 * caller has seen that the supervisor itself is gone.
 */
export function findOrphan(pidFile: string, token: string | undefined): Orphan | undefined {
  if (token === undefined) return undefined;
  const record = lastSupervisor(pidFile);
  if (record?.state !== "running" || !record.program || record.programStart === undefined) {
    return undefined;
  }
  const stat = readStat(record.program);
  if (!stat || stat.startTicks !== record.programStart || stat.state === "Z") return undefined;
  if (!carriesToken(record.program, token)) return undefined;
  return {
    pid: record.program,
    start: record.programStart,
    keeper: record.keeper,
    restarts: record.restarts,
    since: record.since,
  };
}
