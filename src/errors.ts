/**
 * The one error class for daemon failures. It names the step that failed,
 * carries the errno code when the system refused, and keeps the cause.
 *
 * @module
 */
import { SysCallError } from "../ffi/libc.ts";

/** A libc call that failed, with its errno (raised where no step wraps it). */
export { SysCallError };

/**
 * The one line for a runtime that refused a permission (Deno without
 * `--allow-ffi`), or undefined for any other error.
 */
export function permissionProblem(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== "NotCapable") return undefined;
  return "needs FFI access (it calls libc): run it with deno run --allow-ffi, or -A";
}

/** The steps a start, stop or status check goes through, by name. */
export type Step =
  | "options"
  | "reexec"
  | "spawn"
  | "ready"
  | "streams"
  | "pid-file"
  | "core-dump"
  | "chroot"
  | "working-directory"
  | "umask"
  | "user"
  | "group"
  | "signals"
  | "startup"
  | "program"
  | "exec"
  | "status"
  | "stop"
  | "saved-start";

/** Options of {@link DaemonError}. */
export interface DaemonErrorOptions {
  /** The errno name (`ENOENT`, `EACCES`, …) when the system refused. */
  code?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A daemon could not be started, stopped or inspected. `step` names what was
 * being done; `message` says what was attempted, on what, and why it failed.
 *
 * @example Telling a refused start from other failures
 * ```ts
 * import { DaemonError } from "./errors.ts";
 *
 * const error = new DaemonError("pid-file", "already running (pid 42)");
 * console.log(error instanceof DaemonError, error.step); // true "pid-file"
 * ```
 */
export class DaemonError extends Error {
  /** The step that failed. */
  readonly step: Step;
  /** The errno name, when a system call failed. */
  readonly code: string | undefined;

  /** Creates an error for `step` with a message saying what went wrong. */
  constructor(step: Step, message: string, options: DaemonErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "DaemonError";
    this.step = step;
    this.code = options.code;
  }
}

/**
 * Runs `action`; a failing system call or any other error becomes a
 * {@link DaemonError} of `step` whose message starts with `attempt`
 * ("cannot change working directory to /srv").
 */
export function attempt<T>(step: Step, what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw asDaemonError(step, what, error);
  }
}

/** Wraps `error` as a {@link DaemonError} of `step` (kept as is if it is one). */
export function asDaemonError(
  step: Step,
  what: string,
  error: unknown,
): DaemonError {
  if (error instanceof DaemonError) return error;
  if (isOptionError(error)) return new DaemonError("options", error.message, { cause: error });
  if (error instanceof SysCallError) {
    return new DaemonError(step, `${what}: ${error.message}`, {
      code: error.code,
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DaemonError(step, `${what}: ${reason}`, { cause: error });
}

/**
 * A wrong option given to the library: a `TypeError` (a value of the wrong
 * type) or a `RangeError` (the right type, a value out of range), as
 * JavaScript's own are, naming the option; thrown before anything starts.
 * Its `step` is `"options"`, as a {@link DaemonError}'s would be.
 */
export type OptionError = (TypeError | RangeError) & { readonly step: "options" };

/** An {@link OptionError} with `message`; a `RangeError` when `range`, else a `TypeError`. */
export function optionError(message: string, range = false): OptionError {
  const error = range ? new RangeError(message) : new TypeError(message);
  return Object.assign(error, { step: "options" as const });
}

/** Whether `error` is an {@link OptionError}. */
export function isOptionError(error: unknown): error is OptionError {
  return (error instanceof TypeError || error instanceof RangeError) &&
    (error as { step?: unknown }).step === "options";
}
