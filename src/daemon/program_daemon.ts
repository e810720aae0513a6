/**
 * A daemon that runs another program: once set up, it becomes the program
 * (same pid and start time, so the recorded identity names the program), or
 * stays as its supervisor; and the program's own stage under a privileged
 * supervisor, which finishes the set-up the supervisor left.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { asDaemonError, type DaemonError } from "../errors.ts";
import { cwd as currentDirectory, exitProgram, pid as ownPid } from "../host.ts";
import type { ResolvedOptions } from "../options.ts";
import { newToken, TOKEN_VARIABLE } from "../process/identity.ts";
import {
  isOnFailureStage,
  type Markers,
  ON_FAILURE_STAGE,
  PROGRAM_STAGE,
  sameCommand,
} from "../start/relaunch.ts";
import type { SupervisorPlan } from "../supervisor/supervisor.ts";
import { findOrphan, lastSupervisor, type Orphan } from "../supervisor/orphan.ts";
import { endLeftKeeper } from "../supervisor/output_keeper.ts";
import { daemonStart, daemonToken } from "./daemon.ts";
import type { DaemonStart } from "./handle.ts";
import { OwnerChange } from "./privileges.ts";
import { envValue, findProgram, type Program, programDirectory, programEnv } from "./program.ts";
import {
  DAEMON_SET_UP,
  daemonValues,
  PRIVILEGED_SUPERVISOR_SET_UP,
  PROGRAM_STAGE_SET_UP,
  runSetUp,
  SUPERVISOR_SET_UP,
} from "./set_up.ts";

/** What a program daemon needs after its set-up. */
interface Launch {
  readonly program: Program;
  readonly start: DaemonStart;
  /** The program's environment (read before the privilege drop: /proc/self is root's until exec then). */
  readonly env: string[];
  /** Where this process started (the supervisor's own command is found from there). */
  readonly startedIn: string;
  /** The daemon's working directory: a program named by a relative path is found from there. */
  readonly programDir: string;
}

/**
 * This process as the daemon of `program`: set up, then becomes it or, with
 * `program.supervise`, stays as its supervisor. Returns only as a supervisor.
 */
export function runProgramDaemon(
  options: ResolvedOptions,
  markers: Markers | undefined,
  program: Program,
): void {
  if (!markers) {
    findProgram(program.command[0] ?? "", getLibc().getenv("PATH"), programDirectory(options));
  }
  const start = daemonStart(options, markers);
  const token = daemonToken(start);
  const launch = {
    program,
    start,
    env: programEnv(program, token),
    startedIn: currentDirectory(),
    // Looked up after the set-up, inside the root directory if any.
    programDir: options.workingDirectory,
  };
  const supervision = program.supervise;
  const privileged = supervision !== undefined &&
    (options.user !== undefined || options.group !== undefined ||
      options.chrootDirectory !== undefined);
  // Read before the set-up, which clears what the last supervisor said.
  const last = supervision && start.pidFile ? lastSupervisor(start.pidFile.path) : undefined;
  const orphan = last && findOrphan(start.pidFile!.path, token);
  start.watchExit();
  try {
    const record = {
      file: start.pidFile,
      pid: ownPid(),
      token,
      ownSession: start.detached,
      handles: undefined,
    };
    runSetUp(
      privileged ? PRIVILEGED_SUPERVISOR_SET_UP : supervision ? SUPERVISOR_SET_UP : DAEMON_SET_UP,
      // Until the exec, "terminate" ends this process as a daemon's stop would.
      daemonValues(options, record, () => exitProgram(0)),
    );
  } catch (error) {
    start.fail(error as DaemonError);
  }
  // The daemon's now: a keeper its last supervisor left, with no program to keep, goes.
  if (!orphan) endLeftKeeper(last?.keeper);
  if (supervision) supervise(launch, options, privileged, token, orphan || undefined);
  else become(launch);
}

/**
 * The program's own stage under a privileged supervisor: the steps the
 * supervisor left (root, directory, mask, user), then the program.
 */
export function runProgramStage(options: ResolvedOptions, program: Program): never {
  const start = daemonStart({ ...options, pidFile: undefined }, undefined);
  const env = programEnv(program, getLibc().getenv(TOKEN_VARIABLE) ?? newToken());
  const startedIn = currentDirectory();
  const owner = new OwnerChange(options.user, options.group, options.initgroups);
  try {
    runSetUp(PROGRAM_STAGE_SET_UP, {
      "look-up-owner": owner,
      "chroot": options.chrootDirectory,
      "working-directory": options.workingDirectory,
      "umask": options.umask,
      "change-owner": owner,
    });
  } catch (error) {
    start.fail(error as DaemonError);
  }
  // The on-failure stage runs the hook as the program would run.
  const hook = isOnFailureStage() ? program.supervise?.onFailure?.command : undefined;
  const ran = hook === undefined ? program : { ...program, command: ["/bin/sh", "-c", hook] };
  return become({ program: ran, start, env, startedIn, programDir: options.workingDirectory });
}

/** Stays as the program's parent: a supervisor (see `supervisor/supervisor.ts`). */
function supervise(
  launch: Launch,
  options: ResolvedOptions,
  privileged: boolean,
  token: string,
  orphan: Orphan | undefined,
): void {
  const { program, start, env, startedIn, programDir } = launch;
  const [name, ...args] = program.command;
  let command: { path: string; argv: readonly string[]; env: readonly string[] };
  let onFailureAs: typeof command | undefined;
  try {
    // Run as the program's user: through a stage of its own, as the program is.
    if (privileged && program.supervise?.onFailure) onFailureAs = sameCommand([ON_FAILURE_STAGE]);
    command = privileged ? sameCommand([`${PROGRAM_STAGE}`, `${TOKEN_VARIABLE}=${token}`]) : {
      path: findProgram(name!, envValue(env, "PATH"), programDir),
      argv: [name!, ...args],
      env,
    };
  } catch (error) {
    return start.fail(asDaemonError("exec", `cannot execute ${name}`, error));
  }
  // The program's output is captured into the daemon's log files, if it has any.
  const capture = (path: string | undefined) =>
    path !== undefined && isRegularOrMissing(path) ? path : undefined;
  const plan: SupervisorPlan = {
    program: {
      name: name!,
      ...command,
      stdout: capture(options.stdout),
      stderr: capture(options.stderr),
      onFailureAs,
    },
    supervision: { killAfter: options.stopTimeout, ...program.supervise! },
    pidFile: start.pidFile,
    channel: start.channel,
    ownSession: start.detached,
    adopt: orphan,
  };
  // Loaded here: a starter, and a daemon that becomes its program, need none of it.
  void import("../supervisor/handoff.ts").then(async ({ handOff }) => {
    // The supervisor goes on in an image of its own, with none of the
    // set-up's code; where it can't, here.
    handOff(plan, startedIn);
    const { supervise } = await import("../supervisor/supervisor.ts");
    supervise(plan);
  }).catch((error) => start.fail(asDaemonError("startup", "cannot supervise", error)));
}

/** Replaces this process with the program (same pid: the recorded identity stays true). */
function become({ program, start, env, programDir }: Launch): never {
  let failure: unknown;
  try {
    const [name, ...args] = program.command;
    const path = findProgram(name!, envValue(env, "PATH"), programDir);
    start.channel?.execing();
    getLibc().execve(path, [name!, ...args], env);
  } catch (error) {
    failure = error;
  }
  return start.fail(asDaemonError("exec", `cannot execute ${program.command[0]}`, failure));
}

/** Whether `path` is a regular file or none yet (a device or FIFO is never rotated). */
function isRegularOrMissing(path: string): boolean {
  try {
    return (getLibc().fileIdAt(path).mode & 0o170000) === 0o100000;
  } catch {
    return true;
  }
}
