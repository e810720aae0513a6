/**
 * The Prometheus series (text exposition 0.0.4) of daemons' schedules, for
 * `status --prometheus`: the last run of `--cron` (its start, duration and
 * exit status), the next time, the runs and the skipped times, and the next
 * restart of `--restart-at`. A pure function of the status reports; every
 * series is labelled with the daemon's `name`.
 *
 * @module
 */
import type { RestartScheduleReport, ScheduleReport } from "./schedule_report.ts";

/** What the series are read from: a status report's name and schedules. */
export interface ScheduledReport {
  readonly name: string;
  readonly schedule?: ScheduleReport | null;
  readonly restartSchedule?: RestartScheduleReport | null;
}

/** One family: its name, type, help, and each report's value (null: no sample). */
interface Series {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly value: (r: ScheduledReport) => number | null | undefined;
}

/** Seconds since the epoch of an ISO 8601 time; null when there is none. */
function seconds(iso: string | null | undefined): number | null {
  if (iso === null || iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

const SERIES: readonly Series[] = [
  {
    name: "daemonize_cron_next_run_time_seconds",
    type: "gauge",
    help: "When --cron next runs the program, in seconds since the Unix epoch.",
    value: (r) => seconds(r.schedule?.nextRun),
  },
  {
    name: "daemonize_cron_last_run_start_time_seconds",
    type: "gauge",
    help:
      "When the last run of --cron started (the one going, if one is), in seconds since the Unix epoch.",
    value: (r) => seconds(r.schedule?.lastRun?.start),
  },
  {
    name: "daemonize_cron_last_run_duration_seconds",
    type: "gauge",
    help: "How long the last ended run of --cron took.",
    value: (r) => r.schedule?.lastRun?.durationSeconds,
  },
  {
    name: "daemonize_cron_last_run_exit_code",
    type: "gauge",
    help:
      "How the last ended run of --cron ended: its exit status, or 128 + N when killed by signal N.",
    value: (r) => r.schedule?.lastRun?.exitCode,
  },
  {
    name: "daemonize_cron_runs_total",
    type: "counter",
    help: "Runs --cron started since the supervisor started.",
    value: (r) => r.schedule?.runs,
  },
  {
    name: "daemonize_cron_skipped_total",
    type: "counter",
    help: "Times of --cron skipped (a run still going, or missed while the machine slept).",
    value: (r) => r.schedule?.skipped,
  },
  {
    name: "daemonize_restart_at_next_time_seconds",
    type: "gauge",
    help: "When --restart-at next restarts the program, in seconds since the Unix epoch.",
    value: (r) => seconds(r.restartSchedule?.nextRestart),
  },
];

/** A label value as the format escapes it. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The schedules' series of `reports`, each family's HELP and TYPE lines and
 * a sample per daemon that has a value; empty when no daemon has a
 * schedule. Meant to follow the other series of `status --prometheus`.
 */
export function scheduleExposition(reports: readonly ScheduledReport[]): string {
  const lines: string[] = [];
  for (const series of SERIES) {
    const rows = reports.flatMap((r) => {
      const value = series.value(r);
      return value === null || value === undefined || !Number.isFinite(value)
        ? []
        : [`${series.name}{name="${label(r.name)}"} ${value}`];
    });
    if (!rows.length) continue;
    lines.push(`# HELP ${series.name} ${series.help}`, `# TYPE ${series.name} ${series.type}`);
    lines.push(...rows);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}
