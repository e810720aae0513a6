/**
 * The one printer of failures, for `daemonize` and self-controlling scripts
 * alike: an error becomes one line on stderr and an exit status.
 *
 * @module
 */
import { DaemonError, isOptionError, permissionProblem, SysCallError } from "../errors.ts";
import { printable } from "../text.ts";
import { EXIT } from "./exit_codes.ts";
import { DaemonFileError, UsageError } from "./usage.ts";

/** A failure as it is reported: its line (without the program's name) and exit status. */
export interface Failure {
  readonly message: string;
  readonly code: number;
}

/** A message as a terminal should show it: each line's control characters made visible. */
function visible(message: string): string {
  return message.split("\n").map(printable).join("\n");
}

/**
 * How `error` is reported by `program`; undefined for an error no failure
 * of ours explains (a bug, to be thrown on with its stack).
 */
export function failureOf(error: unknown, program: string): Failure | undefined {
  if (error instanceof DaemonFileError) {
    return { message: visible(error.message), code: EXIT.usage };
  }
  if (error instanceof UsageError) {
    const hint = error.command ? `${program} ${error.command} --help` : `${program} --help`;
    return { message: `${error.message} (see '${hint}')`, code: EXIT.usage };
  }
  if (isOptionError(error)) {
    return { message: `options: ${visible(error.message)}`, code: EXIT.failed };
  }
  if (error instanceof DaemonError) {
    const code = error.step !== "program"
      ? EXIT.failed
      : error.code === "EACCES"
      ? EXIT.notExecutable
      : EXIT.notFound;
    return { message: `${error.step}: ${visible(error.message)}`, code };
  }
  const permission = permissionProblem(error);
  if (permission) return { message: permission, code: EXIT.usage };
  // The system refused something not wrapped with its step: one line still.
  if (error instanceof SysCallError) {
    return { message: `${error.call}: ${error.message}`, code: EXIT.failed };
  }
  return undefined;
}

/**
 * Writes `error` as `program: message` to `err` and returns its exit status.
 * @throws the error itself when no failure of ours explains it.
 */
export function reportFailure(
  err: (text: string) => void,
  program: string,
  error: unknown,
): number {
  const failure = failureOf(error, program);
  if (!failure) throw error;
  err(`${program}: ${failure.message}\n`);
  return failure.code;
}
