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
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DaemonError } from "../errors.ts";

/** The folders of named daemons. */
export interface StateDirs {
  /** Pid files and saved start commands. */
  readonly run: string;
  /** Log files. */
  readonly log: string;
}

/** The state folders for this user and environment. */
export function stateDirs(
  env: Record<string, string | undefined> = process.env,
  uid: number = process.getuid?.() ?? 0,
): StateDirs {
  if (env.DAEMONIZE_HOME) {
    return { run: env.DAEMONIZE_HOME, log: env.DAEMONIZE_HOME };
  }
  if (uid === 0) return { run: "/run/daemonize", log: "/var/log/daemonize" };
  const state = join(env.HOME || homedir(), ".local", "state", "daemonize");
  return {
    run: env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "daemonize") : state,
    log: state,
  };
}

/** Checks a daemon name: letters, digits, `.`, `_`, `@`, `-`; no leading dot. */
export function checkName(name: string): string {
  if (!/^[A-Za-z0-9_@-][A-Za-z0-9._@-]*$/.test(name) || name.length > 100) {
    throw new DaemonError(
      "options",
      `Invalid name ${JSON.stringify(name)}: use letters, digits, '.', '_', '@' and '-'`,
    );
  }
  return name;
}

/** The files of daemon `name`. */
export function namedFiles(name: string, dirs: StateDirs = stateDirs()) {
  return {
    pidFile: join(dirs.run, `${name}.pid`),
    commandFile: join(dirs.run, `${name}.json`),
    log: join(dirs.log, `${name}.log`),
  };
}

/** Creates state folders (mode 0755), reporting which one failed. */
export function ensureDirs(dirs: readonly string[]): void {
  for (const dir of new Set(dirs)) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new DaemonError(
        "options",
        `cannot create state folder ${dir}: ${code ?? (error as Error).message}`,
        { code, cause: error },
      );
    }
  }
}
