/**
 * How a program starts itself again: the same executable, the same
 * arguments and runtime flags, the same environment, plus a few markers that
 * tell the new process which stage of the start it is.
 *
 * JS runtimes are multi-threaded, so `fork()` is not an option; the daemon is
 * a fresh process running the same program (as go-daemon does for Go).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError } from "../errors.ts";
import { readCommandWords, readEnviron } from "../process/proc.ts";
import { execPath, isDeno, mainModule as hostMainModule, platform, scriptArgs } from "../host.ts";

const STAGE = "DAEMONIZE_STAGE";
const READY_FD = "DAEMONIZE_READY_FD";
const MAIN = "DAEMONIZE_MAIN";

/** What the markers told a re-executed process. */
export interface Markers {
  /** The descriptor to report readiness on. */
  readonly readyFd: number;
  /** The main module of the program that started it. */
  readonly main: string;
}

/** A command line to start. */
export interface Command {
  readonly path: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
}

/** The running program's main module, as the runtime names it. */
export const mainModule: () => string = hostMainModule;

/** Whether this process is a stage of a start (markers present, not taken). */
export function isRelaunched(): boolean {
  const stage = getLibc().getenv(STAGE);
  return stage === "daemon" || stage === "program";
}

/**
 * Reads the markers and removes them from the environment, so that programs
 * the daemon starts are not mistaken for stages of this start.
 */
export function takeMarkers(): Markers | undefined {
  const libc = getLibc();
  const stage = libc.getenv(STAGE);
  if (stage !== "daemon") return undefined;
  const readyFd = Number(libc.getenv(READY_FD));
  const main = libc.getenv(MAIN) ?? "";
  for (const name of [STAGE, READY_FD, MAIN]) {
    libc.unsetenv(name);
    // Bun's process.env is a copy made at start-up; Deno's reads libc's.
    if (!isDeno) {
      delete (globalThis as { process: { env: Record<string, string> } }).process.env[name];
    }
  }
  // Started by a shell in the background: SIGINT and SIGQUIT come ignored.
  libc.ignoreSignal(libc.constants.signals.SIGINT!, false);
  libc.ignoreSignal(libc.constants.signals.SIGQUIT!, false);
  return { readyFd, main };
}

/** The marker of a program's own stage, started by its supervisor. */
export const PROGRAM_STAGE = `${STAGE}=program`;

/**
 * The marker of a program's on-failure stage: as the program's stage, but
 * it runs the on-failure hook (`/bin/sh -c`) in the program's place.
 */
export const ON_FAILURE_STAGE = `${STAGE}=on-failure`;

/** Whether this process is a program's stage (or its on-failure stage), started by its supervisor. */
export function isProgramStage(): boolean {
  const stage = getLibc().getenv(STAGE);
  return stage === "program" || stage === "on-failure";
}

/** Whether this process is a program's on-failure stage. */
export function isOnFailureStage(): boolean {
  return getLibc().getenv(STAGE) === "on-failure";
}

/** The marker of a command that goes on outside the daemon it was run in. */
export const CONTINUED = `${STAGE}=outside`;

/**
 * Whether this process is a command going on outside the daemon it was run
 * in (see `continueOutside`): its parent is gone by design, which does not
 * mean init started it.
 */
export function isContinued(): boolean {
  return getLibc().getenv(STAGE) === "outside";
}

/**
 * Values the first process of a start read for its later stages (the
 * command's environment files): kept through every stage, as the stages
 * must not read them again, and never given to the program.
 */
export const STAGE_VALUES_VARIABLE = `${STAGE}_VALUES`;

/** Whether an environment entry (`NAME=value`) is one of our markers. */
export function isMarker(entry: string): boolean {
  return /^DAEMONIZE_(STAGE|READY_FD|MAIN|LISTEN_FDS|PLAN)=/.test(entry);
}

/**
 * The command that starts this program again as its daemon, reporting on
 * descriptor `readyFd`.
 * @throws {DaemonError} of step `"reexec"` when the program can't be started
 * again (a module read from standard input).
 */
export function relaunchCommand(readyFd: number, extraEnv: readonly string[] = []): Command {
  const main = mainModule();
  const command = sameCommand(extraEnv);
  return {
    ...command,
    env: [...command.env, `${STAGE}=daemon`, `${READY_FD}=${readyFd}`, `${MAIN}=${main}`],
  };
}

/** Arguments and variables this program is started again with, in place of its own. */
let replaced:
  | { readonly args: readonly string[] | undefined; readonly env: readonly string[] }
  | undefined;

/**
 * Starts this program again with `args` in place of its own arguments, and
 * the `env` entries (`NAME=value`) added to its environment: for arguments
 * that must not show in a process list, which every user can read.
 */
export function relaunchWith(args: readonly string[], env: readonly string[]): void {
  replaced = { args, env: [...(replaced?.env ?? []), ...env] };
}

/** Starts this program again with the `env` entries (`NAME=value`) added to its environment. */
export function relaunchAdding(env: readonly string[]): void {
  replaced = { args: replaced?.args, env: [...(replaced?.env ?? []), ...env] };
}

/**
 * This program's own command line and environment (without our markers),
 * with `extraEnv` entries replacing or adding variables (`NAME=` removes one).
 * @throws {DaemonError} of step `"reexec"` when the program can't be started
 * again (a module read from standard input).
 */
export function sameCommand(extraEnv: readonly string[] = []): Command {
  const main = mainModule();
  if (main.includes("$deno$stdin")) {
    throw new DaemonError(
      "reexec",
      "cannot start the program again: its module was read from standard input; save it to a file",
    );
  }
  let cmdline: string[];
  let env: string[];
  if (platform === "linux") {
    // The command line as typed, runtime flags included: Deno shows its flags
    // nowhere else, and Bun's execArgv also holds BUN_OPTIONS values.
    cmdline = readCommandWords("self") ?? [];
    // The environment the program was given, not process.env: Bun adds the
    // values of a .env file there, which the new process loads again anyway.
    env = readEnviron("self") ?? [];
  } else {
    const node = (globalThis as {
      process: { argv0: string; execArgv: string[]; argv: string[]; env: Record<string, string> };
    }).process;
    cmdline = [node.argv0, ...node.execArgv, ...node.argv.slice(1)];
    env = Object.entries(node.env).map(([k, v]) => `${k}=${v}`);
  }
  // Values of replaced arguments, set as they are (an empty one too).
  const values = replaced?.env ?? [];
  if (replaced?.args) {
    cmdline = [...cmdline.slice(0, cmdline.length - scriptArgs().length), ...replaced.args];
  }
  const names = new Set(
    [...values, ...extraEnv].map((entry) => entry.slice(0, entry.indexOf("=") + 1)),
  );
  env = env.filter((entry) =>
    !isMarker(entry) && !names.has(entry.slice(0, entry.indexOf("=") + 1))
  );
  env.push(...values, ...extraEnv.filter((entry) => !entry.endsWith("=")));
  const path = execPath();
  return { path, argv: [cmdline[0] ?? path, ...cmdline.slice(1)], env };
}
