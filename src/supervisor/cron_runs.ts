/**
 * A supervisor's schedules: `--cron` starts the program at each time (never
 * while a run still goes: that time is skipped, and logged), and
 * `--restart-at` restarts a program that runs at each time (a planned
 * restart: see `planned_restart.ts`). What they did
 * and will do goes into the supervisor's record.
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import { Schedule } from "./schedule.ts";
import type {
  CronSettings,
  RestartAtRecord,
  ScheduledRun,
  ScheduleRecord,
} from "./schedule_record.ts";

/** What the schedules ask of the supervisor. */
export interface ScheduleHooks {
  /** The pid of the run going, if one is. */
  running(): number | null;
  /**
   * The pid of the run a planned restart may end: none while the starter
   * still judges the first run (a time of `--restart-at` then passes).
   */
  restartable(): number | null;
  /** Starts a run of the program. */
  start(): void;
  /** Ends the run for a planned restart (TERM, then KILL), giving why. */
  restart(why: string): void;
  /** Writes a line to the daemon's log. */
  say(line: string): void;
  /** The record is to be written again. */
  changed(): void;
  /** With `--cron`, once the first time is waited for: the start is done. */
  ready(): void;
  /** The schedules could not start (said in the log). */
  failed(): never;
}

/** `01:02:03` in the host's time zone. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** A supervisor's `--cron` and `--restart-at` schedules. */
export class CronRuns {
  readonly #cron: CronSettings | undefined;
  readonly #restartAt: CronSettings | undefined;
  readonly #hooks: ScheduleHooks;
  #runs: Schedule | undefined;
  #restarts: Schedule | undefined;
  #count = 0;
  #skipped = 0;
  #last: ScheduledRun | undefined;
  /** The run going was told to end at a time of --restart-at. */
  #restarting = false;

  constructor(
    settings: { cron?: CronSettings | undefined; restartAt?: CronSettings | undefined },
    hooks: ScheduleHooks,
  ) {
    this.#cron = settings.cron;
    this.#restartAt = settings.restartAt;
    this.#hooks = hooks;
  }

  /** The schedules `supervision` asks for, started; undefined when it asks for none. */
  static of(
    supervision: { cron?: CronSettings | undefined; restartAt?: CronSettings | undefined },
    hooks: ScheduleHooks,
  ): CronRuns | undefined {
    if (!supervision.cron && !supervision.restartAt) return undefined;
    const schedules = new CronRuns(supervision, hooks);
    schedules.begin().then(() => {
      if (supervision.cron) hooks.ready();
      hooks.changed();
    }, (error) => {
      hooks.say(`cannot schedule: ${(error as Error).message}`);
      hooks.failed();
    });
    return schedules;
  }

  /** Whether the program runs at times (`--cron`), not all along. */
  get runsAtTimes(): boolean {
    return this.#cron !== undefined;
  }

  /** Loads the cron library and waits for the first times. */
  async begin(): Promise<void> {
    if (this.#cron) {
      this.#runs = await Schedule.start(this.#cron, (due, missed) => this.#due(due, missed));
    }
    if (this.#restartAt) {
      this.#restarts = await Schedule.start(this.#restartAt, () => {
        if (this.#hooks.restartable() === null || this.#restarting) return;
        this.#restarting = true;
        this.#hooks.restart(
          `reached a time of --restart-at ${JSON.stringify(this.#restartAt!.expression)}`,
        );
        this.#hooks.changed();
      });
    }
  }

  /** Starts no more runs and restarts. */
  stop(): void {
    this.#runs?.stop();
    this.#restarts?.stop();
  }

  /**
   * Notes that the run that started at `startedAt` ended with `end` (told as
   * `told`), and says what comes next: `scheduled`, a wait for the next time
   * of `--cron`; `again`, a start at once (a time of `--restart-at` ended it:
   * a planned restart, not counted against the restart limits); undefined,
   * what the restart policy decides.
   */
  ended(startedAt: number, end: ExitStatus, told: string): "scheduled" | "again" | undefined {
    if (!this.#cron) {
      const planned = this.#restarting;
      this.#restarting = false;
      return planned ? "again" : undefined;
    }
    this.#last = {
      start: startedAt,
      durationMs: Date.now() - startedAt,
      exit: told,
      exitCode: "code" in end ? end.code : 128 + end.signal,
    };
    return "scheduled";
  }

  /** What goes into the supervisor's record. */
  facts(): { schedule?: ScheduleRecord; restartAt?: RestartAtRecord } {
    const zone = (s: CronSettings) => s.timeZone === undefined ? {} : { timeZone: s.timeZone };
    return {
      ...(this.#cron
        ? {
          schedule: {
            expression: this.#cron.expression,
            ...zone(this.#cron),
            nextRun: this.#runs?.next ?? null,
            runs: this.#count,
            skipped: this.#skipped,
            ...(this.#last ? { lastRun: this.#last } : {}),
          },
        }
        : {}),
      ...(this.#restartAt
        ? {
          restartAt: {
            expression: this.#restartAt.expression,
            ...zone(this.#restartAt),
            nextRestart: this.#restarts?.next ?? null,
          },
        }
        : {}),
    };
  }

  /** A time of `--cron`: a run starts, unless one still goes. */
  #due(due: number, missed: number): void {
    if (missed > 0) {
      this.#skipped += missed;
      this.#hooks.say(
        `${missed}${missed >= 1000 ? " or more" : ""} time${
          missed === 1 ? "" : "s"
        } of --cron before ${
          clock(due)
        } skipped: they passed while the supervisor could not run (the machine slept?)`,
      );
    }
    const pid = this.#hooks.running();
    if (pid !== null) {
      this.#skipped++;
      this.#hooks.say(
        `run due at ${clock(due)} skipped: the run started at ${
          clock(this.#last?.start ?? due)
        } (pid ${pid}) still goes`,
      );
      this.#hooks.changed();
      return;
    }
    this.#count++;
    this.#last = { start: Date.now() };
    this.#hooks.start();
  }
}
