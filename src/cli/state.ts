/**
 * Where named daemons keep their pid files, logs and start commands.
 *
 * - `$DAEMONIZE_HOME` when set: everything in that folder;
 * - root: pid files in `/run/daemonize`, logs in `/var/log/daemonize`;
 * - others: pid files in `$XDG_RUNTIME_DIR/daemonize` (else
 *   `~/.local/state/daemonize`), logs in `~/.local/state/daemonize`.
 *
 * @module
 */
import { asDaemonError, DaemonError } from "../errors.ts";
import { cwd, effectiveUid, getenv as hostGetenv, homeOf, makeDirectory } from "../host.ts";
import { joinPath as join, resolvePath } from "../paths.ts";
import { validName } from "./option_values.ts";

/** The folders of named daemons. */
export interface StateDirs {
  /** Pid files and saved start commands. */
  readonly run: string;
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
  if (home) return { run: absolute(home), log: absolute(home) };
  if (uid === 0) return { run: "/run/daemonize", log: "/var/log/daemonize" };
  const userHome = absolute(getenv("HOME") || homeOf(uid) || "/");
  const state = join(userHome, ".local/state/daemonize");
  const runtime = getenv("XDG_RUNTIME_DIR");
  return { run: runtime ? join(absolute(runtime), "daemonize") : state, log: state };
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
  /** Its saved start (see `saved_start.ts`). */
  commandFile: string;
  /** Where an earlier version saved its start. */
  legacyCommandFile: string;
  /** Held by a start of this name from its check to its saved start. */
  lock: string;
  log: string;
} {
  return {
    pidFile: join(dirs.run, `${name}.pid`),
    commandFile: join(dirs.run, `${name}.start.json`),
    legacyCommandFile: join(dirs.run, `${name}.json`),
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
