/**
 * Times named by a cron expression: read by croner (a cron library without
 * dependencies that runs on Deno, Bun and Node), loaded only by a daemon
 * that has a schedule (`--cron`, `--restart-at`) and by a start that checks
 * one; and a timer that waits for each time in turn.
 *
 * @module
 */
import type { Cron } from "croner";
import type { CronSettings } from "./schedule_record.ts";

export type { CronSettings };

let loading: Promise<typeof Cron> | undefined;

/** The cron library, loaded once, when first needed. */
export function loadCron(): Promise<typeof Cron> {
  loading ??= import("croner").then((module) => module.Cron);
  return loading;
}

/** The longest one timer waits (ms): a later time is waited for in steps (timers stop at 24.8 days). */
const LONGEST_WAIT = 60 * 60 * 1000;

/** Times counted as missed at most, after a long sleep of the machine. */
const MOST_MISSED = 1000;

/** The fields of a six-field expression, with what each takes. */
const FIELDS = [
  ["second", "0-59"],
  ["minute", "0-59"],
  ["hour", "0-23"],
  ["day-of-month", "1-31 or L"],
  ["month", "1-12 or JAN-DEC"],
  ["day-of-week", "0-7 or SUN-SAT"],
] as const;

const NICKNAMES = "@yearly, @monthly, @weekly, @daily, @hourly";

/**
 * What is wrong with `settings`, as one line naming `flag` and the wrong
 * field or time zone (`invalid --cron "61 * * * *": the minute field "61"
 * is not valid (expected 0-59 …)`); undefined when nothing is.
 */
export async function cronProblem(
  settings: CronSettings,
  flag: string,
  zoneFlag: string,
): Promise<string | undefined> {
  const Cron = await loadCron();
  const { expression, timeZone } = settings;
  const shown = JSON.stringify(expression);
  if (timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone });
    } catch {
      return `invalid ${zoneFlag} ${
        JSON.stringify(timeZone)
      }: not a time zone (expected a name like Europe/Paris, or UTC)`;
    }
  }
  const words = expression.trim().split(/\s+/);
  if (words.length === 1 && words[0]!.startsWith("@")) {
    if (!/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i.test(words[0]!)) {
      return `invalid ${flag} ${shown}: expected ${NICKNAMES} or 5 or 6 fields`;
    }
  } else if (words.length !== 5 && words.length !== 6) {
    return `invalid ${flag} ${shown}: expected 5 fields (minute hour day-of-month month day-of-week), 6 with a second first, or ${NICKNAMES}; got ${words.length}`;
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, cronOptions(settings));
  } catch (error) {
    // Which field: each tried alone, the others left at `*`.
    const first = 6 - words.length;
    for (let i = 0; i < words.length && words.length > 1; i++) {
      const alone = FIELDS.map((_, j) => j === first + i ? words[i]! : "*").join(" ");
      try {
        new Cron(alone, { mode: "6-part" });
      } catch {
        const [name, takes] = FIELDS[first + i]!;
        return `invalid ${flag} ${shown}: the ${name} field ${
          JSON.stringify(words[i])
        } is not valid (expected ${takes}, *, a range a-b, a list a,b or a step */n)`;
      }
    }
    return `invalid ${flag} ${shown}: ${(error as Error).message.replace(/^CronPattern: /, "")}`;
  }
  if (cron.nextRun() === null) return `invalid ${flag} ${shown}: it names no time to come`;
  return undefined;
}

/** Croner's options for `settings`: 5 or 6 fields, in the time zone if one is given. */
function cronOptions(settings: CronSettings): { mode: "5-or-6-parts"; timezone?: string } {
  return {
    mode: "5-or-6-parts",
    ...(settings.timeZone === undefined ? {} : { timezone: settings.timeZone }),
  };
}

/**
 * Waits for each time `settings` names and calls `onTime` with it and with
 * how many earlier times passed unseen (the machine slept, or the process
 * was stopped).
 */
export class Schedule {
  readonly #cron: Cron;
  readonly #onTime: (due: number, missed: number) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due: number | null = null;
  #stopped = false;

  private constructor(cron: Cron, onTime: (due: number, missed: number) => void) {
    this.#cron = cron;
    this.#onTime = onTime;
  }

  /** A schedule of `settings` (checked at start), waiting for its first time. */
  static async start(
    settings: CronSettings,
    onTime: (due: number, missed: number) => void,
  ): Promise<Schedule> {
    const Cron = await loadCron();
    const schedule = new Schedule(new Cron(settings.expression, cronOptions(settings)), onTime);
    schedule.#plan(Date.now());
    return schedule;
  }

  /** The next time waited for (ms since the epoch); null when none comes, or stopped. */
  get next(): number | null {
    return this.#stopped ? null : this.#due;
  }

  /** Waits for no more times. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Waits for the first time after `after`. */
  #plan(after: number): void {
    this.#due = this.#cron.nextRun(new Date(after))?.getTime() ?? null;
    if (this.#due !== null) this.#wait();
  }

  #wait(): void {
    const delay = Math.min(Math.max(0, this.#due! - Date.now()), LONGEST_WAIT);
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const due = this.#due!;
    const now = Date.now();
    // Early (a timer may fire a little early), or one step of a long wait.
    if (now < due) return this.#wait();
    let missed = 0;
    for (
      let later = this.#cron.nextRun(new Date(due))?.getTime();
      later !== undefined && later <= now && missed < MOST_MISSED;
      later = this.#cron.nextRun(new Date(later))?.getTime()
    ) missed++;
    this.#plan(now);
    this.#onTime(due, missed);
  }
}
