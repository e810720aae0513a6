/**
 * `daemonize unit` of a daemon with a schedule: a cron expression (checked
 * by the cron library before) as systemd's `OnCalendar=`, and the `.timer`
 * units beside the service: `NAME.timer` starts the service (then a
 * `Type=oneshot` one) at each time of `--cron`; `NAME-restart.timer` and
 * `NAME-restart.service` restart it at each time of `--restart-at`. Pure.
 *
 * @module
 */
import type { CronSettings } from "../supervisor/schedule_record.ts";
import type { StartCommand } from "./parsed.ts";
import { quote, UsageError } from "./usage.ts";

/** One unit file beside the service: its file name and text. */
export interface TimerFile {
  readonly name: string;
  readonly text: string;
}

/** A nickname as the five fields it stands for (`@weekly` is Sunday's midnight, as in cron). */
const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Each field's lowest and highest value: second, minute, hour, day of month, month, day of week. */
const BOUNDS = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 7]] as const;

/** `word` of field `field` as a number (month and day names too). */
function value(word: string, field: number): number {
  const upper = word.toUpperCase();
  if (field === 4 && MONTHS.includes(upper)) return MONTHS.indexOf(upper) + 1;
  if (field === 5 && DAYS.some((d) => d.toUpperCase() === upper)) {
    return DAYS.findIndex((d) => d.toUpperCase() === upper);
  }
  if (!/^\d+$/.test(word)) throw new Error(word);
  return Number(word);
}

/** One field in systemd's words; undefined for "any" (`*`, `?`). */
function calendarField(text: string, field: number): string | undefined {
  if (text === "*" || text === "?") return undefined;
  const [low, high] = BOUNDS[field]!;
  const pad = (n: number) => field === 5 ? DAYS[n % 7]! : String(n).padStart(2, "0");
  const parts = text.split(",").flatMap((part) => {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? undefined : Number(stepText);
    if (step !== undefined && !(step >= 1)) throw new Error(part);
    const [from, to] = range === "*"
      ? [low, high]
      : range!.includes("-")
      ? range!.split("-").map((w) => value(w, field))
      : [value(range!, field), step === undefined ? value(range!, field) : high];
    // A step from `*` or from a value: systemd's own repetition, where it has the same meaning.
    if (step !== undefined && !range!.includes("-") && field !== 5) {
      return [`${pad(from!)}/${step}`];
    }
    if (step === undefined && from !== to && from! < to! && field !== 5) {
      return [`${pad(from!)}..${pad(to!)}`];
    }
    const values: string[] = [];
    for (let n = from!; n <= to!; n += step ?? 1) values.push(pad(n));
    return values;
  });
  return [...new Set(parts)].join(",");
}

/**
 * The `OnCalendar=` values of `settings`: one, or two when both the day of
 * the month and the day of the week are given (cron runs on either, and a
 * timer's `OnCalendar=` lines add up).
 * @throws {UsageError} for what systemd can't say (`L`, `W`, `#`).
 */
export function onCalendar(settings: CronSettings, flag: string): string[] {
  const expression = settings.expression.trim();
  let words = (NICKNAMES[expression.toLowerCase()] ?? expression).split(/\s+/);
  if (words.length === 5) words = ["0", ...words];
  let fields: (string | undefined)[];
  try {
    fields = words.map((word, i) => calendarField(word, i));
  } catch {
    throw new UsageError(
      `${flag} ${
        quote(settings.expression)
      } can't go into a unit: systemd's OnCalendar= has no L, W or #`,
      "unit",
    );
  }
  const [second, minute, hour, day, month, weekday] = fields;
  const zone = settings.timeZone === undefined ? "" : ` ${settings.timeZone}`;
  const line = (d: string | undefined, w: string | undefined) =>
    `${w === undefined ? "" : `${w} `}*-${month ?? "*"}-${d ?? "*"} ${hour ?? "*"}:${
      minute ?? "*"
    }:${second ?? "*"}${zone}`;
  if (day !== undefined && weekday !== undefined) {
    return [line(day, undefined), line(undefined, weekday)];
  }
  return [line(day, weekday)];
}

/** A `.timer` unit's text. */
function timer(description: string, calendar: string[], unit: string): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    ...calendar.map((c) => `OnCalendar=${c}`),
    `Unit=${unit}`,
    // A time missed while the machine was off: not made up for (as the supervisor skips it).
    "Persistent=false",
    "AccuracySec=1s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/**
 * The units beside `start`'s service (`NAME.service`, its name as the
 * unit's `Description=` has it): none without a schedule.
 */
export function timerUnits(start: StartCommand, userUnit: boolean): TimerFile[] {
  const { cron, restartAt } = start.supervision ?? {};
  const name = start.name.replaceAll("%", "%%");
  const files: TimerFile[] = [];
  if (cron) {
    files.push({
      name: `${start.name}.timer`,
      text: timer(
        `${name} at each time of ${cron.expression.replaceAll("%", "%%")} (daemonize unit)`,
        onCalendar(cron, "--cron"),
        `${start.name}.service`,
      ),
    });
  }
  if (restartAt) {
    files.push({
      name: `${start.name}-restart.timer`,
      text: timer(
        `restarts ${name} at each time of ${
          restartAt.expression.replaceAll("%", "%%")
        } (daemonize unit)`,
        onCalendar(restartAt, "--restart-at"),
        `${start.name}-restart.service`,
      ),
    }, {
      name: `${start.name}-restart.service`,
      text: [
        "[Unit]",
        `Description=restarts ${name} (daemonize unit)`,
        "",
        "[Service]",
        "Type=oneshot",
        `ExecStart=systemctl${userUnit ? " --user" : ""} try-restart ${start.name}.service`,
        "",
      ].join("\n"),
    });
  }
  return files;
}
