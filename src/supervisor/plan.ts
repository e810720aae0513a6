/**
 * What a supervisor is given: the program it starts (and starts again), how
 * it restarts it and keeps its output, and what it holds for the daemon (the
 * pid file, the starter's channel).
 *
 * @module
 */
import type { PidFile } from "../process/pid_file.ts";
import type { ReadyChannel } from "../start/ready_channel.ts";
import type { Orphan } from "./orphan.ts";
import type { RestartPolicy } from "./record.ts";
import type { WatchSettings } from "./watch_paths.ts";
import type { CronSettings } from "./schedule_record.ts";

/** How a supervisor restarts its program and keeps its output. */
export interface Supervision {
  /** `"no"`: never; `"on-failure"`: after a non-zero exit or a death by signal; `"always"`. */
  readonly restart: RestartPolicy;
  /** The first restart's delay (ms); each failure in a row doubles it, up to 30 s. */
  readonly restartDelay: number;
  /** Restarts allowed within `restartWindow`; one more failure and the daemon has failed. */
  readonly maxRestarts: number;
  /** The window (ms) `maxRestarts` counts in. */
  readonly restartWindow: number;
  /** Rotate a captured log before it grows past this many bytes. */
  readonly logMaxSize?: number | undefined;
  /** Rotated logs kept. */
  readonly logKeep?: number | undefined;
  /** Prefix each captured line with the time. */
  readonly logTime?: boolean | undefined;
  /**
   * Restart the program when its process tree's resident memory stays above
   * this many bytes (two looks a second apart): SIGTERM, then SIGKILL after
   * `killAfter` ms.
   */
  readonly maxMemory?: number | undefined;
  /**
   * How long a program told to end (a memory or health restart) has before
   * SIGKILL (ms); default 10 s.
   */
  readonly killAfter?: number | undefined;
  /** Check the running program's health, and restart it after failures in a row. */
  readonly health?: HealthSettings | undefined;
  /** Run a shell command when the program fails, is restarted, or the daemon gives up. */
  readonly onFailure?: FailureHookSettings | undefined;
  /** Restart the program after a burst of changes under these paths (see `change_restart.ts`). */
  readonly watch?: WatchSettings | undefined;
  /** Run the program at each time this names (never two runs at once), not all along. */
  readonly cron?: CronSettings | undefined;
  /** Restart the running program at each time this names (TERM, then KILL after `killAfter`). */
  readonly restartAt?: CronSettings | undefined;
}

/** The on-failure hook (see `failure_hook.ts`; its environment: `failure_event.ts`). */
export interface FailureHookSettings {
  /**
   * The shell command (`/bin/sh -c`, in the program's directory and
   * environment, as the program's user), told the event in its environment.
   */
  readonly command: string;
  /** A hook that runs longer (ms) is ended: SIGTERM, then SIGKILL 2 s later (default 30 s). */
  readonly timeout?: number | undefined;
  /** The daemon's name it is told (default: the program's name). */
  readonly name?: string | undefined;
}

/** A health check (see `health_check.ts`): a shell command or a TCP port; one of them. */
export interface HealthSettings {
  /**
   * Healthy when this shell command exits 0 (`/bin/sh -c`, in the program's
   * directory and environment, as the supervisor's user: refused with the
   * `user`, `group` or `chrootDirectory` option).
   */
  readonly command?: string | undefined;
  /** Healthy when a connection to 127.0.0.1 on this TCP port is accepted. */
  readonly port?: number | undefined;
  /** Time (ms) from the end of one check to the start of the next. */
  readonly interval: number;
  /** A check that takes longer (ms) fails (a command still running is killed). */
  readonly timeout: number;
  /** Failures in a row that restart the program. */
  readonly retries: number;
}

/** A command to run the on-failure hook through, in place of `/bin/sh -c`. */
export interface HookCommand {
  readonly path: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
}

/** The program a supervisor starts (and starts again). */
export interface SupervisedProgram {
  /** For messages. */
  readonly name: string;
  readonly path: string;
  /** Its arguments, `argv[0]` included. */
  readonly argv: readonly string[];
  readonly env: readonly string[];
  /** Capture standard output into this log (else it is inherited). */
  readonly stdout?: string | undefined;
  /** Capture standard error into this log (else it is inherited). */
  readonly stderr?: string | undefined;
  /** Runs the on-failure hook as the program's user, when the supervisor keeps root. */
  readonly onFailureAs?: HookCommand | undefined;
}

/** What a supervisor is given. */
export interface SupervisorPlan {
  readonly program: SupervisedProgram;
  readonly supervision: Supervision;
  readonly pidFile: PidFile | undefined;
  /** The starter waiting for readiness (a detached start), if any. */
  readonly channel: ReadyChannel | undefined;
  /** The session is the daemon's own (a detached start), not its caller's. */
  readonly ownSession?: boolean;
  /** A program its killed predecessor left running: taken over, not started. */
  readonly adopt?: Orphan | undefined;
}
