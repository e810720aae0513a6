/**
 * Running another program as the daemon: find it the way a shell would, and
 * give it the environment the daemon was started with, adjusted as asked.
 *
 * @module
 */
import type { ReadyCheck } from "./ready_probe.ts";
import type { Supervision } from "./supervisor.ts";
import { getLibc } from "../ffi/libc.ts";
import { cwd as currentDirectory, pid as ownPid, platform } from "./host.ts";
import { isAbsolute, joinPath as join, resolvePath as resolve } from "./paths.ts";
import { DaemonError, optionError } from "./errors.ts";
import { show } from "./options.ts";
import { TOKEN_VARIABLE } from "./identity.ts";
import { readEnviron } from "./proc.ts";
import { isMarker } from "./relaunch.ts";
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
   */
  readonly grace: number;
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

const POLICIES = ["no", "on-failure", "always"];

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
  const { command, env, grace, supervise, ready } = program;
  if (
    !Array.isArray(command) || command.length === 0 ||
    command.some((word) => typeof word !== "string" || word.includes("\0")) || command[0] === ""
  ) {
    bad("command", "the program and its arguments (strings)", command);
  }
  if (
    env !== undefined &&
    (typeof env !== "object" || env === null ||
      Object.values(env).some((value) => typeof value !== "string"))
  ) {
    bad("env", "an object of strings", env);
  }
  if (typeof grace !== "number" || !(grace >= 0) || grace === Infinity) {
    bad("grace", "milliseconds (a number, 0 or more)", grace, typeof grace === "number");
  }
  if (ready !== undefined && (typeof ready !== "object" || ready === null)) {
    bad("ready", "an object (port, log or command)", ready);
  }
  if (supervise === undefined) return;
  if (typeof supervise !== "object" || supervise === null) {
    bad("supervise", "an object", supervise);
  }
  if (!POLICIES.includes(supervise.restart)) {
    bad(
      "supervise.restart",
      `one of ${POLICIES.map((p) => `"${p}"`).join(", ")}`,
      supervise.restart,
    );
  }
  const numbers: [keyof Supervision, boolean][] = [
    ["restartDelay", true],
    ["maxRestarts", true],
    ["restartWindow", true],
    ["logMaxSize", false],
    ["logKeep", false],
    ["maxMemory", false],
    ["killAfter", false],
  ];
  for (const [field, required] of numbers) {
    const value = supervise[field];
    if (value === undefined && !required) continue;
    if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
      bad(`supervise.${field}`, "a number, 0 or more", value, typeof value === "number");
    }
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
      throw new DaemonError("program", `program not found: ${name}`, {
        code: "ENOENT",
      });
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
      if (eq > 0 && !isMarker(entry)) {
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
