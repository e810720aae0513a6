/**
 * The supervisor's record file (`PATH.supervisor`, see `record.ts`):
 * written from what the supervisor knows at each change, and removed when
 * it stops.
 *
 * @module
 */
import { pid as ownPid, removeFile, writeTextFile } from "../host.ts";
import type { CronRuns } from "./cron_runs.ts";
import {
  type HealthResult,
  recordPath,
  type RestartPolicy,
  type SupervisorRecord,
  type WatchRecord,
} from "./record.ts";
import type { Run } from "./run.ts";

/** What the supervisor knows, as the record tells it. */
export interface RecordFacts {
  readonly state: SupervisorRecord["state"];
  /** The run going, when the state is `running`. */
  readonly run: Run | undefined;
  readonly restarts: number;
  readonly lastExit: string | null;
  readonly restartPolicy: RestartPolicy;
  readonly health: HealthResult | undefined;
  readonly droppedLines: number;
  readonly nextStart: number | undefined;
  readonly watch: WatchRecord | undefined;
  readonly schedules: ReturnType<CronRuns["facts"]> | undefined;
}

/** The record of `facts`, by this process as the supervisor. */
export function supervisorRecord(facts: RecordFacts): SupervisorRecord {
  const { run, health, nextStart, watch } = facts;
  return {
    supervisor: ownPid(),
    program: run?.pid ?? null,
    ...(run ? { programStart: run.start, keeper: run.output.keeper, adopted: run.adopted } : {}),
    state: facts.state,
    restarts: facts.restarts,
    since: run?.startedAt ?? Date.now(),
    lastExit: facts.lastExit,
    restartPolicy: facts.restartPolicy,
    ...(health ? { health } : {}),
    droppedLines: facts.droppedLines,
    ...(nextStart === undefined ? {} : { nextStart }),
    ...(watch ? { watch } : {}),
    ...facts.schedules,
  };
}

/** Writes the record of the daemon whose pid file is `pidFile`. */
export function writeRecord(pidFile: string, facts: RecordFacts): void {
  try {
    writeTextFile(recordPath(pidFile), JSON.stringify(supervisorRecord(facts)) + "\n", 0o644);
  } catch {
    // Status then knows less; the program runs all the same.
  }
}

/** Removes the record of the daemon whose pid file is `pidFile`: a stop leaves nothing. */
export function removeRecord(pidFile: string): void {
  try {
    removeFile(recordPath(pidFile));
  } catch {
    // Left: it names a supervisor that is gone, which status sees.
  }
}
