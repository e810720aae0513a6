/**
 * Where named daemons keep their pid files, logs and start commands.
 *
 * - `$DAEMONIZE_HOME` when set: everything in that folder;
 * - root: pid files in `/run/daemonize` (emptied at boot), saved starts and
 *   stop marks in `/var/lib/daemonize`, logs in `/var/log/daemonize`;
 * - others: pid files in `$XDG_RUNTIME_DIR/daemonize` (else the state
 *   folder), saved starts, stop marks and logs in `$XDG_STATE_HOME/daemonize`
 *   (`~/.local/state/daemonize` by default).
 *
 * Saved starts were kept beside the pid files before: they are read from
 * there too (see `saved_start.ts`), and written anew to the state folder.
 *
 * @module
 */
import { asDaemonError, DaemonError } from "../errors.ts";
import { cwd, effectiveUid, getenv as hostGetenv, homeOf, makeDirectory } from "../host.ts";
import { joinPath as join, resolvePath } from "../paths.ts";
import { validName } from "./option_values.ts";

/** The folders of named daemons. */
export interface StateDirs {
  /** Pid files, start locks and supervisors' records: boot-scoped. */
  readonly run: string;
  /** Saved start commands and stop marks: kept across reboots. */
  readonly state: string;
  /** Log files. */
  readonly log: string;
}

/** The state folders for this user and environment. */
export function stateDirs(
  getenv: (name: string) => string | undefined = hostGetenv,
  uid: number = effectiveUid(),
): StateDirs {
  // A relative folder is taken from the current directory, once: every path
  // of the daemon is then absolute, wherever its set-up moves.
  const absolute = (path: string) => resolvePath(cwd(), path);
  const home = getenv("DAEMONIZE_HOME");
  if (home) return { run: absolute(home), state: absolute(home), log: absolute(home) };
  if (uid === 0) {
    return { run: "/run/daemonize", state: "/var/lib/daemonize", log: "/var/log/daemonize" };
  }
  // The XDG base directory rules: a relative value is ignored.
  const xdg = (name: string) => {
    const value = getenv(name);
    return value?.startsWith("/") ? value : undefined;
  };
  const stateHome = xdg("XDG_STATE_HOME") ??
    join(absolute(getenv("HOME") || homeOf(uid) || "/"), ".local/state");
  const state = join(stateHome, "daemonize");
  const runtime = xdg("XDG_RUNTIME_DIR");
  return { run: runtime ? join(runtime, "daemonize") : state, state, log: state };
}

/** Whether a name is a valid daemon name (see the command line's parser). */
export { validName };

/** Checks a daemon name: letters, digits, `.`, `_`, `@`, `-`; no leading dot. */
export function checkName(name: string): string {
  if (!validName(name)) {
    throw new DaemonError(
      "options",
      `Invalid name ${JSON.stringify(name)}: use letters, digits, '.', '_', '@' and '-'`,
    );
  }
  return name;
}

/**
 * The files of daemon `name`, each named so that no file of the user's is
 * taken for one (see `saved_start.ts`).
 */
export function namedFiles(name: string, dirs: StateDirs = stateDirs()): {
  pidFile: string;
  /** Its saved start (see `saved_start.ts`), kept across reboots. */
  commandFile: string;
  /** Where earlier versions saved its start, newest first (read, then removed). */
  oldCommandFiles: string[];
  /** Whether it was stopped on purpose (see `stop_mark.ts`), kept across reboots. */
  stopMark: string;
  /** Held by a start of this name from its check to its saved start. */
  lock: string;
  log: string;
} {
  return {
    pidFile: join(dirs.run, `${name}.pid`),
    commandFile: join(dirs.state, `${name}.start.json`),
    oldCommandFiles: [
      ...(dirs.state === dirs.run ? [] : [join(dirs.run, `${name}.start.json`)]),
      join(dirs.run, `${name}.json`),
    ],
    stopMark: join(dirs.state, `${name}.stopped`),
    lock: join(dirs.run, `${name}.start.lock`),
    log: join(dirs.log, `${name}.log`),
  };
}

/** Creates state folders (mode 0755), reporting which one failed. */
export function ensureDirs(dirs: readonly string[]): void {
  for (const dir of new Set(dirs)) {
    try {
      makeDirectory(dir, 0o755);
    } catch (error) {
      throw asDaemonError("options", `cannot create state folder ${dir}`, error);
    }
  }
}
