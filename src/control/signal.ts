/**
 * Signalling a running daemon from another process, with only its pid file:
 * through the same proof as `stop`, and judged first, so that a signal meant
 * to reload never ends a program that does not handle it.
 *
 * @module
 */
import { DaemonError } from "../errors.ts";
import type { PidFile } from "../process/pid_file.ts";
import { pidFileOf } from "../process/pid_file_of.ts";
import { whyFatal } from "../process/proc.ts";
import { signalFullName, signalNumber } from "../signal_names.ts";
import { status } from "./status.ts";

/** What {@link signal} and {@link reload} did. */
export type SignalResult =
  /** Sent to `pid`: the daemon's main process (a supervisor passes it on to `program`). */
  | {
    readonly sent: true;
    readonly signal: string;
    readonly pid: number;
    readonly program: number | undefined;
  }
  /** Nothing of the daemon runs. */
  | { readonly sent: false; readonly reason: "not-running"; readonly signal: string }
  /**
   * Not sent: the process judged (the program, under a supervisor) would end
   * of it; `why` says so (`neither catches nor ignores SIGHUP`).
   */
  | {
    readonly sent: false;
    readonly reason: "would-end";
    readonly signal: string;
    /** The process judged. */
    readonly pid: number;
    /** Whether that process is a supervised program (not the main process). */
    readonly program: boolean;
    readonly why: string;
  };

/** Signals that end no process by default. */
const HARMLESS = new Set(["SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"]);

/** Options of {@link reload}. */
export interface ReloadOptions {
  /**
   * The signal that tells the daemon to reload.
   * @default {"SIGHUP"}
   */
  signal?: string;
}

/**
 * Sends `name` to the daemon that uses `pidFile`, unless the process that
 * would receive it would end of it: a daemon of this library said what it
 * handles; any other program is judged by the signals it catches or ignores
 * (under a supervisor of ours, the program it runs is the one judged).
 *
 * @example
 * ```ts
 * import { signal } from "./signal.ts";
 *
 * const result = signal("/tmp/no-such-daemon.pid", "SIGUSR2");
 * console.log(result.sent); // false: not running
 * ```
 * @throws {RangeError} for an unknown signal name; {@link DaemonError} of
 * step `"status"` when the pid file can't be read, or the signal can't be sent.
 */
export function signal(pidFile: string | PidFile, name: string): SignalResult {
  const number = signalNumber(name);
  if (number === undefined) throw new RangeError(`Cannot send signal: unknown signal "${name}"`);
  const sig = signalFullName(name)!;
  const file = pidFileOf(pidFile);
  const now = status(file);
  const tree = now.state === "running" ? file.tree() : undefined;
  try {
    const main = tree?.look().main;
    if (now.state !== "running" || !main) {
      return { sent: false, reason: "not-running", signal: sig };
    }
    const program = now.supervised?.program ?? undefined;
    if (!HARMLESS.has(sig)) {
      const handles = tree!.identity.handles;
      const why = program !== undefined
        ? whyFatal(program, number, sig)
        : handles
        ? handles.includes(number) ? undefined : `has no handler for ${sig}`
        : whyFatal(main.pid, number, sig);
      if (why) {
        return {
          sent: false,
          reason: "would-end",
          signal: sig,
          pid: program ?? main.pid,
          program: program !== undefined,
          why,
        };
      }
    }
    let delivered: boolean;
    try {
      delivered = main.signal(number);
    } catch (error) {
      throw new DaemonError(
        "status",
        `cannot send ${sig} to pid ${main.pid}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (!delivered) return { sent: false, reason: "not-running", signal: sig };
    return { sent: true, signal: sig, pid: main.pid, program };
  } finally {
    tree?.close();
  }
}

/**
 * Tells the daemon that uses `pidFile` to reload (its configuration, its
 * logs): {@link signal} with its reload signal.
 *
 * @example
 * ```ts
 * import { reload } from "./signal.ts";
 *
 * const result = reload("/tmp/no-such-daemon.pid");
 * if (!result.sent) console.log(result.reason); // "not-running"
 * ```
 * @throws as {@link signal} does.
 */
export function reload(pidFile: string | PidFile, options: ReloadOptions = {}): SignalResult {
  return signal(pidFile, options.signal ?? "SIGHUP");
}
