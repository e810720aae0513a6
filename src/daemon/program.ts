/**
 * Running another program as the daemon: find it the way a shell would, and
 * give it the environment the daemon was started with, adjusted as asked.
 *
 * @module
 */
import type { ReadyCheck } from "../start/ready_probe.ts";
import type { Supervision } from "../supervisor/supervisor.ts";
import { getLibc } from "../../ffi/libc.ts";
import { cwd as currentDirectory, pid as ownPid, platform } from "../host.ts";
import { isAbsolute, joinPath as join, resolvePath as resolve } from "../paths.ts";
import { DaemonError, optionError } from "../errors.ts";
import { type ResolvedOptions, show } from "../options.ts";
import { TOKEN_VARIABLE } from "../process/identity.ts";
import { readEnviron } from "../process/proc.ts";
import { isMarker, STAGE_VALUES_VARIABLE } from "../start/relaunch.ts";
import { RESTART_POLICIES } from "../supervisor/record.ts";
import { checkWatchSettings } from "../supervisor/watch_paths.ts";
import { passedDescriptors } from "./socket_activation.ts";

/** A program to run as the daemon, in place of the rest of this program. */
export interface Program {
  /** The program (a path, or a name looked up in `PATH`) and its arguments. */
  readonly command: readonly string[];
  /** Variables added to (or replacing those of) the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Start from an empty environment (plus a default `PATH`) instead. */
  readonly clearEnv?: boolean;
  /**
   * Milliseconds the program must stay up after it started for the start to
   * count as a success; an exit within them is reported with its status.
   * Omitted, the start waits until the program has settled instead: every
   * process of it asleep in a call that waits (poll, accept, a sleep, a read
   * on a pipe or socket…) with its CPU time still, no sooner than 100 ms
   * after it started and no later than `settleLimit`; an exit before is a
   * failed start.
   */
  readonly grace?: number | undefined;
  /**
   * Without `grace`: the longest (ms) the start waits for the program to
   * settle; still busy then, it counts as started (5000 unless given).
   */
  readonly settleLimit?: number | undefined;
  /**
   * Wait until the program sends `READY=1` to `$NOTIFY_SOCKET` (the systemd
   * readiness protocol), up to the ready timeout, instead of `grace`.
   */
  readonly notify?: boolean;
  /**
   * Keep a supervisor of ours as the program's parent (restarts, captured
   * and rotated output, signals passed on) instead of executing the program
   * in the daemon's place.
   */
  readonly supervise?: Supervision | undefined;
  /**
   * Count the start a success once this holds (a port listened on, a log
   * line, a command exiting 0) instead of after `grace`, up to the ready
   * timeout.
   */
  readonly ready?: ReadyCheck | undefined;
}

/** The `PATH` given to a program started with a cleared environment. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function executable(path: string): boolean {
  const libc = getLibc();
  try {
    const { mode } = libc.fileIdAt(path);
    // access(X_OK) alone says yes to root for any file.
    return (mode & 0o170000) === 0o100000 && (mode & 0o111) !== 0 && libc.canExecute(path);
  } catch {
    return false;
  }
}

/**
 * A health command runs as the supervisor does: as root, outside a root
 * directory. So it is refused for a program that runs as another user or
 * group, or inside a root directory (a port check is not).
 * @throws {OptionError} naming the options.
 */
export function checkHealthPrivileges(
  program: Program,
  options: Pick<ResolvedOptions, "user" | "group" | "chrootDirectory">,
): void {
  if (program.supervise?.health?.command === undefined) return;
  const given = (["user", "group", "chrootDirectory"] as const).filter((o) =>
    options[o] !== undefined
  );
  if (given.length === 0) return;
  throw optionError(
    `Invalid program.supervise.health.command: with ${
      given.join(" and ")
    } it would run as root, outside the program's user and root directory: check a port instead`,
  );
}

/**
 * Checks a program's description as a caller without types may give it.
 * @throws {OptionError} naming the first field that is wrong.
 */
export function checkProgram(program: Program): void {
  const bad = (field: string, expected: string, value: unknown, range = false): never => {
    throw optionError(`Invalid program.${field}: expected ${expected}, got ${show(value)}`, range);
  };
  if (typeof program !== "object" || program === null) {
    throw optionError(`Invalid program: expected an object, got ${show(program)}`);
  }
  const { command, env, grace, settleLimit, supervise, ready } = program;
  const text = (value: unknown) => typeof value === "string" && !value.includes("\0");
  if (!Array.isArray(command) || command.length === 0 || command[0] === "") {
    bad("command", "the program and its arguments (strings)", command);
  }
  for (let i = 0; i < command.length; i++) {
    if (!text(command[i])) bad(`command[${i}]`, "a string without NUL", command[i]);
  }
  if (env !== undefined) {
    const proto = typeof env === "object" && env !== null ? Object.getPrototypeOf(env) : undefined;
    if (proto !== Object.prototype && proto !== null) {
      bad("env", "an object of variables and their values", env);
    }
    for (const [name, value] of Object.entries(env)) {
      if (!text(name) || name === "" || name.includes("=")) {
        bad("env", "variable names without = or NUL", name);
      }
      if (!text(value)) bad(`env.${name}`, "a string without NUL", value);
    }
  }
  for (const [field, value] of [["grace", grace], ["settleLimit", settleLimit]] as const) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
      bad(field, "milliseconds (a finite number, 0 or more)", value, typeof value === "number");
    }
  }
  if (ready !== undefined) checkReady(ready, bad);
  if (supervise === undefined) return;
  if (typeof supervise !== "object" || supervise === null) {
    bad("supervise", "an object", supervise);
  }
  if (!RESTART_POLICIES.includes(supervise.restart)) {
    bad(
      "supervise.restart",
      `one of ${RESTART_POLICIES.map((p) => `"${p}"`).join(", ")}`,
      supervise.restart,
    );
  }
  // [field, required, Infinity allowed (no limit)]
  const numbers: [keyof Supervision, boolean, boolean][] = [
    ["restartDelay", true, false],
    ["maxRestarts", true, true],
    ["restartWindow", true, true],
    ["logMaxSize", false, true],
    ["logKeep", false, false],
    ["maxMemory", false, true],
    ["killAfter", false, false],
  ];
  for (const [field, required, unlimited] of numbers) {
    const value = supervise[field];
    if (value === undefined && !required) continue;
    if (typeof value !== "number" || !(value >= 0) || (!unlimited && value === Infinity)) {
      bad(
        `supervise.${field}`,
        unlimited ? "a number, 0 or more (Infinity: no limit)" : "a finite number, 0 or more",
        value,
        typeof value === "number",
      );
    }
  }
  const hook = supervise.onFailure;
  if (hook !== undefined) {
    if (
      typeof hook !== "object" || hook === null || typeof hook.command !== "string" ||
      !hook.command.trim()
    ) {
      bad("supervise.onFailure", "an object with a shell command", hook);
    }
    const { timeout, name } = hook;
    if (
      timeout !== undefined &&
      (typeof timeout !== "number" || !(timeout > 0) || timeout === Infinity)
    ) {
      bad(
        "supervise.onFailure.timeout",
        "a finite number above 0",
        timeout,
        typeof timeout === "number",
      );
    }
    if (name !== undefined && typeof name !== "string") {
      bad("supervise.onFailure.name", "a string", name);
    }
  }
  if (supervise.watch !== undefined) checkWatchSettings(supervise.watch, bad);
  const health = supervise.health;
  if (health === undefined) return;
  const one = typeof health === "object" && health !== null &&
    (health.command === undefined) !== (health.port === undefined);
  if (!one) bad("supervise.health", "an object with one of command or port", health);
  if (
    health.command !== undefined && (typeof health.command !== "string" || !health.command.trim())
  ) {
    bad("supervise.health.command", "a shell command", health.command);
  }
  const { port } = health;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    bad("supervise.health.port", "a TCP port (1 to 65535)", port, typeof port === "number");
  }
  for (const field of ["interval", "timeout", "retries"] as const) {
    const value = health[field];
    if (typeof value !== "number" || !(value > 0) || value === Infinity) {
      bad(`supervise.health.${field}`, "a finite number above 0", value, typeof value === "number");
    }
  }
}

/** A readiness check names exactly one of a port, a log pattern or a command. */
function checkReady(
  ready: ReadyCheck,
  bad: (field: string, expected: string, value: unknown, range?: boolean) => never,
): void {
  if (typeof ready !== "object" || ready === null) {
    bad("ready", "an object with one of port, log or command", ready);
  }
  const given = (["port", "log", "command"] as const).filter((key) => ready[key] !== undefined);
  if (given.length !== 1) {
    bad("ready", "one of port, log or command", ready);
  }
  const { port, log, command } = ready;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    bad("ready.port", "a TCP port (1 to 65535)", port, typeof port === "number");
  }
  if (log !== undefined) {
    if (typeof log !== "string" || log === "") bad("ready.log", "a regular expression", log);
    try {
      new RegExp(log);
    } catch {
      bad("ready.log", "a valid regular expression", log);
    }
  }
  if (command !== undefined && (typeof command !== "string" || command.trim() === "")) {
    bad("ready.command", "a shell command", command);
  }
}

/**
 * The absolute path of `name`: as given when it holds a slash (relative to
 * `cwd`), else the first executable match in `pathVariable`.
 * @throws {DaemonError} of step `"program"` when there is none.
 */
export function findProgram(
  name: string,
  pathVariable: string | undefined,
  cwd: string = currentDirectory(),
): string {
  if (name.includes("/")) {
    const path = isAbsolute(name) ? name : resolve(cwd, name);
    try {
      getLibc().fileIdAt(path);
    } catch {
      throw new DaemonError(
        "program",
        `program not found: ${name}${isAbsolute(name) ? "" : ` (in ${cwd})`}`,
        {
          code: "ENOENT",
        },
      );
    }
    if (!executable(path)) {
      throw new DaemonError("program", `program is not executable: ${name}`, {
        code: "EACCES",
      });
    }
    return path;
  }
  for (const dir of (pathVariable ?? DEFAULT_PATH).split(":")) {
    const candidate = resolve(cwd, join(dir || ".", name));
    if (executable(candidate)) return candidate;
  }
  throw new DaemonError("program", `program not found in PATH: ${name}`, {
    code: "ENOENT",
  });
}

/**
 * Where a program named by a relative path is found, seen from outside the
 * daemon: its working directory (inside its root directory, if any), as a
 * shell started there would find it.
 */
export function programDirectory(options: ResolvedOptions): string {
  const root = options.chrootDirectory;
  return root === undefined ? options.workingDirectory : join(root, options.workingDirectory);
}

/**
 * The environment `program` starts with: this process's, adjusted, and the
 * daemon's `token` (which every process it starts keeps).
 */
export function programEnv(program: Program, token: string): string[] {
  const env = new Map<string, string>();
  if (!program.clearEnv) {
    const initial = platform === "linux"
      ? readEnviron("self") ?? []
      : Object.entries((globalThis as { process: { env: Record<string, string> } }).process.env)
        .map(([k, v]) => `${k}=${v}`);
    for (const entry of initial) {
      const eq = entry.indexOf("=");
      if (eq > 0 && !isMarker(entry) && entry.slice(0, eq) !== STAGE_VALUES_VARIABLE) {
        env.set(entry.slice(0, eq), entry.slice(eq + 1));
      }
    }
  } else {
    env.set("PATH", DEFAULT_PATH);
    const socket = getLibc().getenv("NOTIFY_SOCKET");
    if (program.notify && socket) env.set("NOTIFY_SOCKET", socket);
  }
  for (const [key, value] of Object.entries(program.env ?? {})) {
    env.set(key, value);
  }
  env.set(TOKEN_VARIABLE, token);
  // Passed sockets are the program's: it runs as this process (the start's
  // shell or a supervisor sets the pid it gets).
  if (env.has("LISTEN_FDS") && passedDescriptors() > 0) env.set("LISTEN_PID", String(ownPid()));
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** The value of variable `name` in `env` (`NAME=value` entries), if any. */
export function envValue(env: readonly string[], name: string): string | undefined {
  const entry = env.find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}
