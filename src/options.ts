/**
 * The options of `daemonize()`, named after python-daemon's `DaemonContext`
 * (PEP 3143) in camelCase, each with its default and the reason for it; and
 * their validation, done before anything is started.
 *
 * @module
 */
import { DEFAULTS } from "./defaults.ts";
import { optionError } from "./errors.ts";
import { cwd as currentDirectory, isDeno } from "./host.ts";
import { isAbsolute, resolvePath as resolve } from "./paths.ts";
import { signalNumber } from "./signal_names.ts";

/** What a signal does in the daemon. */
export type SignalAction =
  /** Call this function (it may return a promise; errors go to stderr). */
  | (() => void | Promise<void>)
  /** Ignore the signal (`SIG_IGN`). */
  | "ignore"
  /** Stop cleanly: run `onStop` callbacks, remove the pid file, exit 0. */
  | "terminate";

/** A signal name such as `"SIGHUP"`. */
export type SignalName = `SIG${string}`;

/** Signals and what they do; see {@link DaemonOptions.signalMap}. */
export type SignalMap = Partial<Record<SignalName, SignalAction>>;

/** How a daemon is set up. Every option has a default. */
export interface DaemonOptions {
  /**
   * Directory the daemon changes to (inside the chroot, if one is set).
   * A daemon must not keep the directory it was started from busy, so that
   * file system can still be unmounted. Relative paths are taken from the
   * directory the program was started in.
   * @default {"/"}
   */
  workingDirectory?: string;
  /**
   * Directory to `chroot(2)` into, confining the daemon; needs root.
   * Everything the daemon imports later must be inside it.
   * @default {undefined} no chroot
   */
  chrootDirectory?: string;
  /**
   * File-creation mask. `0o022` lets others read but not write what the
   * daemon creates; python-daemon's `0` would make every new file
   * world-writable, which is rarely meant.
   * @default {0o022}
   */
  umask?: number;
  /**
   * User (name or uid) to run as. Needs root; the drop happens after the pid
   * file and the log files are opened, and is checked to be irreversible.
   * @default {undefined} keep the current user
   */
  user?: string | number;
  /**
   * Group (name or gid) to run as.
   * @default {undefined} the user's primary group, else the current group
   */
  group?: string | number;
  /**
   * Whether to give the daemon the user's supplementary groups
   * (`initgroups(3)`). When false, the only group is `group`: root's own
   * supplementary groups are never kept.
   * @default {true}
   */
  initgroups?: boolean;
  /**
   * Turn core dumps off (`RLIMIT_CORE` 0): a daemon's memory may hold
   * secrets, and a dump would write them to disk.
   * @default {true}
   */
  preventCore?: boolean;
  /**
   * Descriptors (numbers, such as a listening socket a supervisor handed
   * over) that stay open in the daemon. Every other inherited descriptor above
   * 2 is closed. Files your program opens before `daemonize()` need no entry:
   * the daemon runs your program again and opens them itself.
   * @default {[]}
   */
  filesPreserve?: readonly number[];
  /**
   * Pid file. The daemon writes its pid in it, and its identity beside it
   * (`PATH.identity`: start time, session, boot, so a reused pid is never
   * taken for it); a second start is refused while a process of the daemon
   * runs; a file left by a daemon that is wholly gone never blocks a start.
   * @default {undefined} no pid file
   */
  pidFile?: string;
  /**
   * File the daemon's standard input reads from.
   * @default {"/dev/null"}
   */
  stdin?: string;
  /**
   * File standard output is appended to (created with mode 0644).
   * @default {"/dev/null"} (kept as is when not detaching)
   */
  stdout?: string;
  /**
   * File standard error is appended to; the same path as `stdout` shares one
   * descriptor, so lines of both keep their order.
   * @default {"/dev/null"} (kept as is when not detaching)
   */
  stderr?: string;
  /**
   * What signals do, merged over the PEP 3143 defaults: `SIGTERM`
   * terminates cleanly, `SIGTSTP`, `SIGTTIN` and `SIGTTOU` are ignored (a
   * daemon has no terminal to stop for). Under Deno `SIGUSR1` can't be
   * mapped: Deno opens its debugger on it, so the daemon ignores it.
   * @default {{ SIGTERM: "terminate", SIGTSTP: "ignore", SIGTTIN: "ignore", SIGTTOU: "ignore" }}
   */
  signalMap?: SignalMap;
  /**
   * Whether to detach. `undefined` detects, as PEP 3143 does: a program
   * started by init or a supervisor (parent pid 1, or standard input is a
   * socket) stays in the foreground, where its supervisor expects it.
   * @default {undefined}
   */
  detachProcess?: boolean;
  /**
   * Detach once instead of twice. The daemon is then a session leader, which
   * could acquire a controlling terminal if it opened one without
   * `O_NOCTTY`; in return the start is one runtime start-up faster.
   * @default {false}
   */
  singleDetach?: boolean;
  /**
   * When the daemon is ready. `"auto"`: once the code following
   * `await daemonize()` has run its first synchronous part. `"manual"`: when
   * the program calls `daemon.ready()`.
   * @default {"auto"}
   */
  readiness?: "auto" | "manual";
  /**
   * Milliseconds the starter waits for the daemon to be ready before it
   * kills it and reports the timeout.
   * @default {30000}
   */
  readyTimeout?: number;
  /**
   * Milliseconds `onStop` callbacks may take when the daemon is told to stop
   * before it exits anyway (with status 1).
   * @default {10000}
   */
  stopTimeout?: number;
}

/** Options of `control()`: the daemon's, plus its name. */
export interface ControlOptions extends DaemonOptions {
  /**
   * The daemon's name, for messages and the default pid file and log.
   * @default {the script's file name without extension}
   */
  name?: string;
}

/** Options after validation: paths absolute, defaults filled in. */
export interface ResolvedOptions {
  workingDirectory: string;
  chrootDirectory: string | undefined;
  umask: number;
  user: string | number | undefined;
  group: string | number | undefined;
  initgroups: boolean;
  preventCore: boolean;
  filesPreserve: number[];
  pidFile: string | undefined;
  stdin: string;
  stdout: string | undefined;
  stderr: string | undefined;
  signals: Map<number, SignalAction>;
  detachProcess: boolean | undefined;
  singleDetach: boolean;
  readiness: "auto" | "manual";
  readyTimeout: number;
  stopTimeout: number;
}

const defaultSignals: SignalMap = {
  SIGTERM: "terminate",
  SIGTSTP: "ignore",
  SIGTTIN: "ignore",
  SIGTTOU: "ignore",
};

/** The names of the library's options (of {@link DaemonOptions}). */
export const OPTION_NAMES: readonly (keyof DaemonOptions)[] = [
  "workingDirectory",
  "chrootDirectory",
  "umask",
  "user",
  "group",
  "initgroups",
  "preventCore",
  "filesPreserve",
  "pidFile",
  "stdin",
  "stdout",
  "stderr",
  "signalMap",
  "detachProcess",
  "singleDetach",
  "readiness",
  "readyTimeout",
  "stopTimeout",
];
const known: ReadonlySet<string> = new Set(OPTION_NAMES);

/** A wrong option: a TypeError, or a RangeError for a value of the right type out of range. */
function bad(message: string, range = false): never {
  throw optionError(message, range);
}

function path(name: string, value: unknown, base: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    bad(`Invalid ${name}: expected a non-empty path, got ${show(value)}`);
  }
  return isAbsolute(value) ? value : resolve(base, value);
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    bad(`Invalid ${name}: expected true or false, got ${show(value)}`);
  }
  return value;
}

function millis(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    bad(
      `Invalid ${name}: expected a positive number of ms, got ${show(value)}`,
      typeof value === "number",
    );
  }
  return value;
}

function principal(name: string, value: unknown): string | number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    return value;
  }
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return Number(value);
  if (typeof value === "string" && value !== "" && !value.includes("\0")) {
    return value;
  }
  bad(`Invalid ${name}: expected a name or a numeric id, got ${show(value)}`);
}

/** A value as a message shows it: strings quoted. */
export function show(value: unknown): string {
  let text = String(value);
  const plain = typeof value === "object" && value !== null &&
    [Object.prototype, Array.prototype, null].includes(Object.getPrototypeOf(value));
  if (typeof value === "string" || plain) {
    try {
      text = JSON.stringify(value);
    } catch {
      // A cycle: shown as JS would.
    }
  }
  // A long value is cut: the message stays one line a reader takes in.
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function signalTable(map: unknown): Map<number, SignalAction> {
  if (map !== undefined && (typeof map !== "object" || map === null)) {
    bad(`Invalid signalMap: expected an object, got ${show(map)}`);
  }
  const merged = { ...defaultSignals, ...(map as SignalMap | undefined) };
  const table = new Map<number, SignalAction>();
  for (const [name, action] of Object.entries(merged)) {
    const number = signalNumber(name);
    if (number === undefined || !name.startsWith("SIG")) {
      bad(`Invalid signalMap: unknown signal ${show(name)}`, true);
    }
    if (name === "SIGKILL" || name === "SIGSTOP") {
      bad(`Invalid signalMap: ${name} cannot be caught or ignored`, true);
    }
    if (name === "SIGUSR1" && isDeno) {
      bad(
        "Invalid signalMap: SIGUSR1 opens Deno's debugger, so a Deno daemon ignores it; use SIGUSR2",
        true,
      );
    }
    if (
      typeof action !== "function" && action !== "ignore" &&
      action !== "terminate"
    ) {
      bad(
        `Invalid signalMap: ${name} must map to a function, "ignore" or "terminate", got ${
          show(action)
        }`,
      );
    }
    table.set(number, action);
  }
  return table;
}

/**
 * Checks `options` and fills in the defaults. Relative paths are resolved
 * against `cwd` (the directory the program was started in).
 * @throws {TypeError} or {RangeError} (an {@link OptionError}) naming the
 * option at fault.
 */
export function resolveOptions(
  options: DaemonOptions = {},
  cwd: string = currentDirectory(),
): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    bad(`Invalid options: expected an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) bad(`Unknown option ${show(key)}`);
  }
  const o = options;
  let umask: number = DEFAULTS.umask;
  if (o.umask !== undefined) {
    if (!Number.isInteger(o.umask) || o.umask < 0 || o.umask > 0o777) {
      bad(
        `Invalid umask: expected an integer from 0 to 0o777, got ${show(o.umask)}`,
        typeof o.umask === "number",
      );
    }
    umask = o.umask;
  }
  const preserve = o.filesPreserve ?? [];
  if (
    !Array.isArray(preserve) ||
    preserve.some((fd) => !Number.isInteger(fd) || fd < 0)
  ) {
    bad(
      `Invalid filesPreserve: expected descriptor numbers, got ${show(preserve)}`,
    );
  }
  if (
    o.readiness !== undefined && o.readiness !== "auto" &&
    o.readiness !== "manual"
  ) {
    bad(
      `Invalid readiness: expected "auto" or "manual", got ${show(o.readiness)}`,
      typeof o.readiness === "string",
    );
  }
  if (o.detachProcess !== undefined && typeof o.detachProcess !== "boolean") {
    bad(
      `Invalid detachProcess: expected true, false or undefined, got ${show(o.detachProcess)}`,
    );
  }
  const chroot = path("chrootDirectory", o.chrootDirectory, cwd);
  return {
    // Inside a chroot the working directory is a path within the jail.
    workingDirectory: chroot && o.workingDirectory && !isAbsolute(o.workingDirectory)
      ? resolve("/", o.workingDirectory)
      : path("workingDirectory", o.workingDirectory ?? "/", cwd)!,
    chrootDirectory: chroot,
    umask,
    user: principal("user", o.user),
    group: principal("group", o.group),
    initgroups: flag("initgroups", o.initgroups, true),
    preventCore: flag("preventCore", o.preventCore, true),
    filesPreserve: [...new Set(preserve)].filter((fd) => fd > 2).sort((a, b) => a - b),
    pidFile: path("pidFile", o.pidFile, cwd),
    stdin: path("stdin", o.stdin, cwd) ?? "/dev/null",
    stdout: path("stdout", o.stdout, cwd),
    stderr: path("stderr", o.stderr, cwd),
    signals: signalTable(o.signalMap),
    detachProcess: o.detachProcess,
    singleDetach: flag("singleDetach", o.singleDetach, false),
    readiness: o.readiness ?? "auto",
    readyTimeout: millis("readyTimeout", o.readyTimeout, DEFAULTS.readyTimeout),
    stopTimeout: millis("stopTimeout", o.stopTimeout, DEFAULTS.stopTimeout),
  };
}
