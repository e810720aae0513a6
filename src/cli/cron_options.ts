/**
 * The schedule's options of `start` and `run` (see `start_options.ts` for
 * what an entry says): `--cron` runs the program at times, `--restart-at`
 * restarts it at times, `--cron-tz` names the time zone of both. Their
 * rules with the other options are checked here as the command line is
 * parsed; the expressions themselves once a start or a unit needs them
 * (`checkSchedules`), which loads the cron library.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import type { CronSettings } from "../supervisor/schedule_record.ts";
import type { Scanned } from "./args.ts";
import type { StartCommand } from "./parsed.ts";
import { DaemonFileError, UsageError } from "./usage.ts";

/** The schedule's entries of the option table (checked as entries there). */
export const CRON_OPTIONS = [
  {
    flag: "--cron",
    type: "schedule",
    value: "EXPR",
    key: "cron",
    help:
      "run it at each time of the cron expression EXPR (5 fields, 6 with seconds first, or @hourly, @daily...), never while a run still goes",
    section: "supervision",
    unit: "OnCalendar= (in NAME.timer, beside a Type=oneshot service)",
  },
  {
    flag: "--restart-at",
    type: "schedule",
    value: "EXPR",
    key: "restartAt",
    help: `restart it at each time of the cron expression EXPR (TERM, KILL after ${
      DEFAULTS.stopTimeout / 1000
    } s)`,
    section: "supervision",
    unit: "OnCalendar= (in NAME-restart.timer, which restarts the service)",
  },
  {
    flag: "--cron-tz",
    type: "zone",
    value: "ZONE",
    key: "cronTz",
    shown: "the host's",
    help: "the time zone of --cron and --restart-at (like Europe/Paris, or UTC)",
    section: "supervision",
    unit: "OnCalendar= (its time zone)",
  },
] as const;

/** Options `--cron` can't go with: a run at times is judged by its exit, not kept up. */
const NOT_WITH_CRON = [
  "--restart",
  "--restart-delay",
  "--max-restarts",
  "--restart-window",
  "--restart-at",
  "--health-cmd",
  "--health-port",
  "--grace",
  "--settle-limit",
  "--ready-port",
  "--ready-log",
  "--ready-cmd",
];

/**
 * The rules of the schedule's options: `--cron` alone of the ways to keep
 * a program up or to judge its start, `--cron-tz` only with a schedule,
 * none with `run --exec`. Returns whether a schedule (which needs a
 * supervisor) is asked for.
 */
export function checkScheduleOptions(
  command: string,
  s: Scanned,
  v: { cron: string | undefined; restartAt: string | undefined; exec: boolean; notify: boolean },
): boolean {
  const given = v.cron !== undefined ? "--cron" : v.restartAt !== undefined ? "--restart-at" : "";
  if (!given) {
    if (s.values.has("--cron-tz")) {
      throw new UsageError("--cron-tz needs --cron or --restart-at", command);
    }
    return false;
  }
  if (v.exec) throw new UsageError(`${given} needs a supervisor: drop --exec`, command);
  const other = v.cron === undefined ? undefined : NOT_WITH_CRON.find((o) => s.values.has(o)) ??
    (v.notify ? "--notify" : undefined);
  if (other) {
    throw new UsageError(
      `--cron can't go with ${other}: each run is started at its time and ends on its own`,
      command,
    );
  }
  return true;
}

/** The settings of a schedule option's value, in the time zone given. */
export function cronSettings(
  expression: string | undefined,
  timeZone: string | undefined,
): CronSettings | undefined {
  if (expression === undefined) return undefined;
  return timeZone === undefined ? { expression } : { expression, timeZone };
}

/**
 * Checks the cron expressions and time zone of `start` (loading the cron
 * library only when there is one).
 * @throws {UsageError} naming the wrong field, or the time zone.
 */
export async function checkSchedules(start: StartCommand): Promise<void> {
  const { cron, restartAt } = start.supervision ?? {};
  if (!cron && !restartAt) return;
  const { cronProblem } = await import("../supervisor/schedule.ts");
  for (const [flag, settings] of [["--cron", cron], ["--restart-at", restartAt]] as const) {
    if (!settings) continue;
    const problem = await cronProblem(settings, flag, "--cron-tz");
    if (problem) throw new UsageError(problem, start.command);
  }
}

/**
 * Checks the cron expressions of daemon `d` of the file at `path`.
 * @throws {DaemonFileError} naming the file, the entry and the key.
 */
export async function checkFileSchedules(
  path: string,
  d: { readonly parsed: StartCommand; readonly label: string },
): Promise<void> {
  try {
    await checkSchedules(d.parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The file's words for the command line's.
    const keys = error.message.replace(
      /--cron-tz|--restart-at|--cron/g,
      (flag) => JSON.stringify(CRON_OPTIONS.find((o) => o.flag === flag)!.key),
    );
    throw new DaemonFileError(`${path}: ${d.label}: ${keys}`);
  }
}
