/**
 * A shell command the supervisor runs beside the program (a health check,
 * the on-failure hook): in a session of its own, its standard input
 * `/dev/null`, its output and errors on a pipe the supervisor reads.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";

/** A command started: its pid, and the read end of its output's pipe. */
export interface StartedCommand {
  readonly pid: number;
  readonly pipe: number;
}

/**
 * Starts `argv` (`["sh", "-c", CMD]`, or a stage that drops privileges
 * first) from `path` with `env`; throws what spawn(2) or pipe(2) threw.
 */
export function startCommand(
  path: string,
  argv: readonly string[],
  env: readonly string[],
): StartedCommand {
  const libc = getLibc();
  const [read, write] = libc.pipe();
  try {
    const pid = libc.spawn({
      path,
      argv,
      env,
      newSession: true,
      defaultSignals: [],
      fileActions: [
        { open: { fd: 0, path: "/dev/null", flags: 0, mode: 0 } },
        { dup2: { from: write, to: 1 } },
        { dup2: { from: write, to: 2 } },
        { closeFrom: 3 },
      ],
    });
    return { pid, pipe: read };
  } catch (error) {
    libc.close(read);
    throw error;
  } finally {
    libc.close(write);
  }
}
