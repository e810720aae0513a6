/**
 * What `status` says of a daemon's schedules (`--cron`, `--restart-at`):
 * the report's fields, read from its supervisor's record, and their words
 * in a status line.
 *
 * @module
 */
import type { RestartAtRecord, ScheduleRecord } from "../supervisor/schedule_record.ts";

/** A `--cron` schedule, as `status --json` gives it. */
export interface ScheduleReport {
  readonly expression: string;
  /** The time zone it is read in; null for the host's. */
  readonly timeZone: string | null;
  /** The next time (ISO 8601, UTC); null when none comes, or the daemon is stopping. */
  readonly nextRun: string | null;
  /** Runs started since the daemon started. */
  readonly runs: number;
  /** Times skipped: a run still going, or missed while the machine slept. */
  readonly skipped: number;
  /** The last run (the one going, if one is); null before the first. */
  readonly lastRun: {
    /** When it started (ISO 8601, UTC). */
    readonly start: string;
    /** How long it ran; null while it runs. */
    readonly durationSeconds: number | null;
    /** How it ended (`exited with status 0`); null while it runs. */
    readonly exit: string | null;
    /** Its exit status (128 + N for signal N); null while it runs. */
    readonly exitCode: number | null;
  } | null;
}

/** A `--restart-at` schedule, as `status --json` gives it. */
export interface RestartScheduleReport {
  readonly expression: string;
  readonly timeZone: string | null;
  /** The next restart (ISO 8601, UTC); null when none comes. */
  readonly nextRestart: string | null;
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** The report's fields for a supervisor's schedules (none without one). */
export function scheduleFields(
  schedule: ScheduleRecord | undefined,
  restartAt: RestartAtRecord | undefined,
): { schedule?: ScheduleReport; restartSchedule?: RestartScheduleReport } {
  const last = schedule?.lastRun;
  return {
    ...(schedule
      ? {
        schedule: {
          expression: schedule.expression,
          timeZone: schedule.timeZone ?? null,
          nextRun: iso(schedule.nextRun),
          runs: schedule.runs,
          skipped: schedule.skipped,
          lastRun: last
            ? {
              start: iso(last.start)!,
              durationSeconds: last.durationMs === undefined ? null : last.durationMs / 1000,
              exit: last.exit ?? null,
              exitCode: last.exitCode ?? null,
            }
            : null,
        },
      }
      : {}),
    ...(restartAt
      ? {
        restartSchedule: {
          expression: restartAt.expression,
          timeZone: restartAt.timeZone ?? null,
          nextRestart: iso(restartAt.nextRestart),
        },
      }
      : {}),
  };
}

/** `01:02:03, in 4.2 s` (host time; `in 3h 5m` when further), or `none to come`. */
function when(at: string | null, now: number): string {
  if (at === null) return "none to come";
  const ms = new Date(at).getTime();
  const left = Math.max(0, (ms - now) / 1000);
  const whole = Math.round(left);
  const [d, h, m, s] = [whole / 86400, (whole % 86400) / 3600, (whole % 3600) / 60, whole % 60]
    .map(Math.floor);
  const wait = left < 60
    ? `${left.toFixed(1)} s`
    : d
    ? `${d}d ${h}h`
    : h
    ? `${h}h ${m}m`
    : `${m}m ${s}s`;
  return `${new Date(ms).toTimeString().slice(0, 8)}, in ${wait}`;
}

/**
 * The words of a status line for the schedules: `next run at 01:02:03, in
 * 0.8 s; last run at 01:02:01 took 1.5 s, exited with status 0; 3 runs, 2
 * skipped`, `next restart at …`; empty without one.
 */
export function scheduleWords(
  report: { schedule?: ScheduleReport | null; restartSchedule?: RestartScheduleReport | null },
  now: number = Date.now(),
): string[] {
  const words: string[] = [];
  const s = report.schedule;
  if (s) {
    words.push(`next run at ${when(s.nextRun, now)}`);
    const last = s.lastRun;
    if (last && last.exit !== null) {
      words.push(
        `last run at ${new Date(last.start).toTimeString().slice(0, 8)} took ${
          last.durationSeconds!.toFixed(1)
        } s, ${last.exit}`,
      );
    }
    words.push(`${s.runs} run${s.runs === 1 ? "" : "s"}, ${s.skipped} skipped`);
  }
  if (report.restartSchedule) {
    words.push(`next restart at ${when(report.restartSchedule.nextRestart, now)}`);
  }
  return words;
}
