/**
 * What a supervisor with a schedule (`--cron`, `--restart-at`) records of
 * it beside its pid file: small and free of the cron library, so that
 * `status` reads it without loading either.
 *
 * @module
 */

/** A cron expression and the time zone it is read in. */
export interface CronSettings {
  /** Five or six fields (seconds first when six), or `@hourly`, `@daily`… */
  readonly expression: string;
  /** An IANA time zone (`Europe/Paris`); the host's when not given. */
  readonly timeZone?: string | undefined;
}

/** One run of a scheduled program. */
export interface ScheduledRun {
  /** When it started, ms since the epoch. */
  readonly start: number;
  /** How long it ran (ms), once it ended. */
  readonly durationMs?: number | undefined;
  /** How it ended (`exited with status 0`), once it ended. */
  readonly exit?: string | undefined;
  /** Its exit status (128 + N for death by signal N), once it ended. */
  readonly exitCode?: number | undefined;
}

/** What a supervisor running its program at times (`--cron`) says of them. */
export interface ScheduleRecord {
  /** The cron expression of `--cron`. */
  readonly expression: string;
  /** The time zone it is read in; the host's when not given. */
  readonly timeZone?: string | undefined;
  /** The next time, ms since the epoch; null when the expression names no more. */
  readonly nextRun: number | null;
  /** Runs started since the supervisor started. */
  readonly runs: number;
  /** Times skipped: a run still going, or missed (the machine slept). */
  readonly skipped: number;
  /** The last run (the one going, if one is). */
  readonly lastRun?: ScheduledRun | undefined;
}

/** What a supervisor restarting its program at times (`--restart-at`) says of them. */
export interface RestartAtRecord {
  /** The cron expression of `--restart-at`. */
  readonly expression: string;
  /** The time zone it is read in; the host's when not given. */
  readonly timeZone?: string | undefined;
  /** The next restart, ms since the epoch; null when the expression names no more. */
  readonly nextRestart: number | null;
}
